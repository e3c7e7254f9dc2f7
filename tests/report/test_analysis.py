"""The analysed study: XTREME and group scores, gaps and paired gains by hand."""

import pytest

from fake_metrics import BONUS, DIST, LANGS, T975_DF1


def test_xtreme_and_group_scores_by_hand(fake_study):
    study, _ = fake_study
    mean_lang = sum(0.8 - 0.3 * DIST[lang] for lang in LANGS) / 4  # 0.7
    mean_ret = sum(0.8 - 0.3 * DIST[lang] for lang in LANGS[1:]) / 3  # 0.65
    for inter, bonus in BONUS.items():
        seed_mean = 0.005  # seeds 0 and 1 add 0 and 0.01
        non_ret = 100 * (mean_lang + bonus + seed_mean)
        ret = 100 * (mean_ret + 4 * bonus + seed_mean)
        assert study.est(inter, "classification").mean == pytest.approx(non_ret)
        assert study.est(inter, "qa").mean == pytest.approx(non_ret)
        assert study.est(inter, "retrieval").mean == pytest.approx(ret)
        assert study.est(inter, "overall").mean == pytest.approx((7 * non_ret + 2 * ret) / 9)
        # Seeds differ by 1 point everywhere: half-width t * |a - b| / 2.
        assert study.est(inter, "overall").half_width == pytest.approx(T975_DF1 * 0.5)
        cell = study.cells["cls_a"][inter]
        assert cell.gap.mean == pytest.approx(100 * 0.3 * (0.2 + 0.5 + 0.8) / 3)
        assert cell.gap.half_width == pytest.approx(0.0)  # the gap is the same in both seeds
    assert study.cells["ret_a"]["none"].gap is None
    # Paired by seed, the seed offset cancels: the gain has no spread.
    gain = study.gain("squad", "retrieval")
    assert gain.mean == pytest.approx(20.0) and gain.half_width == pytest.approx(0.0)
