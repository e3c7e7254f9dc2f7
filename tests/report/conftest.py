"""The fake study the tests of the report's modules analyse (tests/fake_metrics.py), and a
small generated world for the shortcut and leakage audits."""

from types import SimpleNamespace

import pytest

from fake_metrics import BONUS, DIST, LANGS, SPECS, fake_value, write_metrics
from xstilts.config import Params
from xstilts.report.analysis import analyse
from xstilts.report.collect import collect
from xstilts.stages.generate import generate
from xstilts.world.languages import LANGUAGES_BY_CODE, World

WORLD_LANGUAGES = ["en", "lat25nm", "grk05nv"]


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


@pytest.fixture(scope="session")
def small_world(tmp_path_factory):
    """A world of every task at a few hundred items (about 2 s to generate)."""
    out = tmp_path_factory.mktemp("world")
    sizes = Params.model_validate({"world": {
        "corpus_sentences": 400, "intermediate_size": 300, "intermediate_cap": 300,
        "intermediate_floor": 100, "train_size": 300, "eval_size": 80,
        "tatoeba_size": 60}}).world
    generate(out, World(tuple(LANGUAGES_BY_CODE[c] for c in WORLD_LANGUAGES), 0), sizes)
    return out
