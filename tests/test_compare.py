"""The CLIP-vs-XLM-R verdicts from per-seed cells, checked by hand."""

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


def test_the_study_key_ignores_the_encoder_and_its_clip_settings_only():
    from xstilts.config import Params
    from xstilts.tracking import setup_key

    base = Params()
    same = base.model_copy(update={"encoder": "clip", "seeds": [0, 1, 2],
                                   "clip": base.clip.model_copy(update={"steps": 800})})
    other = base.model_copy(update={"data": base.data.model_copy(
        update={"languages": ["en", "lat75"]})})
    assert setup_key(same) == setup_key(base) != setup_key(other)
    # Retrieval settings re-run no fine-tuning: a champion must not lose its study over them.
    retrieval = base.model_copy(update={"eval": base.eval.model_copy(
        update={"retrieval_layer": 3, "retrieval_max_length": 64})})
    assert setup_key(retrieval) == setup_key(base)


def test_the_encoder_key_tells_clip_settings_apart():
    from xstilts.config import Params
    from xstilts.tracking import encoder_key

    base = Params()
    english = base.model_copy(update={"clip": base.clip.model_copy(
        update={"caption_languages": "en"})})
    assert encoder_key(base) == encoder_key(english) == "xlmr"
    assert encoder_key(base, "clip").startswith("clip-")
    assert encoder_key(base, "clip") != encoder_key(english, "clip")
    # Offline the released model's name makes no encoder; in real mode only it does.
    released = base.model_copy(update={"hub": base.hub.model_copy(
        update={"clip_model": "xlm-roberta-base-ViT-B-32"})})
    assert encoder_key(released, "clip") == encoder_key(base, "clip")
    real = base.model_copy(update={"data": base.data.model_copy(update={"source": "hf"})})
    real_english = real.model_copy(update={"clip": english.clip})
    assert encoder_key(real, "clip") == encoder_key(real_english, "clip")
