"""The report's plots: valid PNG files with any task names, embedded in the Markdown report."""

from fake_metrics import assert_png
from xstilts.report import paper, plots, tables
from xstilts.report.checks import run_checks


def test_markdown_and_plots_with_any_names(fake_study, tmp_path):
    study, notes = fake_study
    pngs = plots.draw_all(study, tmp_path)
    assert set(pngs) >= {"matrix.png", "matrix_gain.png", "drop_vs_distance.png",
                         "languages_cls_a.png", "languages_ret_b.png"}
    for name in pngs:
        assert_png(tmp_path / name)
    text = tables.render(study, run_checks(study), "xlmr", [0, 1], notes, pngs)
    assert "| `squad` |" in text and "±" in text and "paper" in text
    assert paper.NOT_BUNDLED in text
