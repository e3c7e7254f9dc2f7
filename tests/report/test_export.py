"""The report's exported files: a small summary of scores, intervals and gaps."""

from xstilts.report import export
from xstilts.report.checks import run_checks


def test_summary_is_small(fake_study):
    study, _ = fake_study
    s = export.summary(study, run_checks(study))
    assert set(s["cls_a"]["none"]) == {"score", "ci", "gap"}
    assert set(s["xtreme"]["none"]) == {"overall", "classification", "structured", "qa",
                                        "retrieval"}
