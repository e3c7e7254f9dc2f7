"""The fake study the tests of the report's modules analyse (tests/fake_metrics.py)."""

from types import SimpleNamespace

import pytest

from fake_metrics import BONUS, DIST, LANGS, SPECS, fake_value, write_metrics
from xstilts.report.analysis import analyse
from xstilts.report.collect import collect


@pytest.fixture(scope="module")
def fake_study(tmp_path_factory):
    root = tmp_path_factory.mktemp("fake")
    fin, ret = root / "finetune", root / "retrieval"
    for inter in BONUS:
        for seed in (0, 1):
            for target, (metric, group) in SPECS.items():
                langs = [lang for lang in LANGS if group != "retrieval" or lang != "en"]
                by_lang = {lang: fake_value(inter, target, seed, lang) for lang in langs}
                folder = ret if group == "retrieval" else fin
                write_metrics(folder / f"{inter}-s{seed}.json", target, metric, by_lang)
    specs = {n: SimpleNamespace(metric=m, group=g, chance=0.1) for n, (m, g) in SPECS.items()}
    fine = [n for n, (_, g) in SPECS.items() if g != "retrieval"]
    retr = [n for n, (_, g) in SPECS.items() if g == "retrieval"]
    targets, notes = collect(fin, ret, list(BONUS), fine + ["unknown"], retr, [0, 1], LANGS,
                             specs, "xlmr")
    return analyse(targets, list(BONUS), DIST), notes
