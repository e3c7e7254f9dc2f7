"""The Markdown report: titled by the data it was computed on."""

from xstilts.report import tables
from xstilts.report.checks import run_checks


def test_real_data_report_is_titled_so(fake_study):
    study, notes = fake_study
    text = tables.render(study, run_checks(study), "xlmr", [0, 1], notes, [], source="hf")
    assert text.startswith("# X-STILTs on real data") and "offline" not in text
