"""The report's checks: the findings stated (yes) on the fake study, and no and n/a where
intermediate training hurts or a baseline is missing."""

import pytest

from fake_metrics import DIST, LANGS
from xstilts.report.analysis import analyse
from xstilts.report.checks import run_checks
from xstilts.report.collect import Target


def test_checks_state_the_findings(fake_study):
    study, _ = fake_study
    checks = {c.name: c for c in run_checks(study)}
    assert all(c.verdict == "yes" for c in checks.values()), checks
    numbers = {k: v for c in checks.values() for k, v in c.numbers.items()}
    assert numbers["all_above_chance"] is True
    assert numbers["drop_distance_rho"]["cls_a"] == pytest.approx(1.0)
    assert numbers["group_gain"]["retrieval"] == pytest.approx(4 * 3.5)  # (2 + 5) / 2 x 4
    assert numbers["multi_minus_best_single"] == pytest.approx((7 * 1 + 2 * 4) / 9, abs=1e-3)
    assert numbers["top_matches_paper"] == 1  # squad
    assert numbers["best_per_target_gain"] == pytest.approx((7 * 6 + 2 * 24) / 9, abs=1e-3)


def target(name: str, group: str, shifts: dict[str, float], langs=LANGS) -> Target:
    """A target whose cells are a fixed language profile shifted per intermediate task."""
    base = {lang: 80.0 - 30 * DIST[lang] for lang in langs}
    t = Target(name, "accuracy", group, 10.0, list(langs))
    t.per_seed = {i: [{k: v + d for k, v in base.items()}] for i, d in shifts.items()}
    return t


def test_checks_say_no_and_not_applicable():
    shifts = {"none": 0.0, "aa": -2.0, "multi": -5.0}  # intermediate training hurts
    study = analyse([target("c", "classification", shifts),
                     target("r", "retrieval", shifts, LANGS[1:])], list(shifts), DIST)
    checks = {c.name: c for c in run_checks(study)}
    assert checks["Intermediate-task training helps"].verdict == "no"
    assert checks["Top intermediate tasks include the paper's best"].verdict == "no"
    multi = checks["Multi-task at least as good as the best single task"]
    assert multi.verdict == "no" and multi.numbers["multi_minus_best_single"] == -3.0
    assert "**: NO —" in multi.line()
    no_base = analyse([target("c", "classification", {"aa": 1.0})], ["aa"], DIST)
    verdicts = {c.name: c.verdict for c in run_checks(no_base)}
    assert verdicts["Intermediate-task training helps"] == "n/a"
    assert verdicts["Multi-task at least as good as the best single task"] == "n/a"
    assert verdicts["Retrieval gains most"] == "n/a"
