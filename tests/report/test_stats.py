"""The report's statistics against hand calculation: t-intervals, task scores, English gaps,
XTREME and group scores with any task names, and rank correlations."""

import pytest

from fake_metrics import T975_DF1
from xstilts.report.stats import estimate, gap, rank_correlation, task_score, xtreme_scores


def test_estimate_is_the_t_interval():
    e = estimate([65.0, 67.0])
    assert e.mean == 66.0 and e.n == 2
    # n = 2: s / sqrt(n) = |a - b| / 2, so the half-width is t * 1.
    assert e.half_width == pytest.approx(T975_DF1 * 1.0)
    three = estimate([1.0, 2.0, 6.0])  # s = sqrt(7), t(0.975, 2) = 4.302652729911275
    assert three.half_width == pytest.approx(4.302652729911275 * 7 ** 0.5 / 3 ** 0.5)
    one = estimate([70.0])
    assert one.half_width is None and one.fmt() == "70.0"
    assert e.fmt() == "66.0 ± 12.7" and estimate([2.5]).fmt(signed=True) == "+2.5"


def test_task_score_gap_and_xtreme_with_any_names():
    scores = {"en": 80.0, "aa": 70.0, "bb": 60.0}
    assert task_score(scores) == 70.0
    assert gap(scores) == 80.0 - 65.0
    assert gap({"aa": 1.0, "bb": 2.0}) is None  # retrieval: no English
    groups = {"t1": "classification", "t2": "classification", "t3": "qa", "t4": "retrieval",
              "t5": "structured"}
    x = xtreme_scores({"t1": 80.0, "t2": 70.0, "t3": 60.0, "t4": 40.0, "t5": 50.0}, groups)
    assert x == {"overall": 60.0, "classification": 75.0, "structured": 50.0, "qa": 60.0,
                 "retrieval": 40.0}
    assert rank_correlation([1, 2], [1, 2]) is None
    assert rank_correlation([1, 2, 3], [3, 5, 9]) == pytest.approx(1.0)
