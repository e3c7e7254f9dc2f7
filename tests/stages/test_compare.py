"""Stage `compare`: the CLIP-vs-XLM-R verdicts from per-seed cells, checked by hand, and the
cells taken from the newest runs of the same study."""

import pytest

from xstilts.stages.compare import compare_target


def cell(en, other):
    return {"xnli/accuracy/en": en, "xnli/accuracy/lat75": other, "xnli/accuracy/avg": 0.0}


def test_a_consistently_smaller_gap_is_a_significant_reduction():
    cells = {("xlmr", "xnli", s): cell(0.80, 0.60 + 0.01 * s) for s in range(3)}
    cells |= {("clip", "xnli", s): cell(0.80, 0.70 + 0.01 * s) for s in range(3)}
    rows, verdict, gaps = compare_target(cells, "xnli")
    assert verdict.startswith("xnli: CLIP reduces the gap by 10.0 ± 0.0")
    assert gaps["lat75"] == pytest.approx((19.0, 9.0))
    assert len(rows) == 1 and "| xnli | lat75 |" in rows[0]


def test_noisy_differences_are_not_significant_and_one_seed_gives_no_verdict():
    cells = {("xlmr", "xnli", s): cell(0.80, 0.60) for s in range(3)}
    cells |= {("clip", "xnli", s): cell(0.80, v) for s, v in enumerate([0.55, 0.66, 0.59])}
    assert "no significant difference" in compare_target(cells, "xnli")[1]
    one = {k: v for k, v in cells.items() if k[2] == 0}
    assert "one seed only" in compare_target(one, "xnli")[1]
    assert compare_target({("xlmr", "xnli", 0): cell(0.8, 0.6)}, "xnli") is None


def test_cells_come_from_runs_that_score_several_targets():
    from types import SimpleNamespace

    from xstilts.stages.compare import latest_cells

    def run(encoder, start, xnli, setup="a", encoder_setup=None):
        return SimpleNamespace(
            info=SimpleNamespace(start_time=start, status="FINISHED"),
            data=SimpleNamespace(params={"intermediate": "none", "encoder": encoder, "seed": "0",
                                         "setup": setup,
                                         "encoder_setup": encoder_setup or encoder},
                                 metrics={"xnli/accuracy/avg": xnli, "udpos/f1/avg": 0.5}))

    # The newest run of another study (say, fewer languages) is no partner, nor is a CLIP
    # trained with other settings (say, English captions only).
    runs = [run("xlmr", 2, 0.7), run("xlmr", 1, 0.6), run("clip", 3, 0.8),
            run("xlmr", 4, 0.9, setup="b"), run("clip", 5, 0.1, encoder_setup="clip-en")]
    cells = latest_cells(runs, "none", "a", {"xlmr": "xlmr", "clip": "clip"})
    assert set(cells) == {(e, t, 0) for e in ("xlmr", "clip") for t in ("xnli", "udpos")}
    assert cells[("xlmr", "xnli", 0)]["xnli/accuracy/avg"] == 0.7  # the newest run wins
    assert cells[("clip", "xnli", 0)]["xnli/accuracy/avg"] == 0.8
