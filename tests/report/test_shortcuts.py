"""Rules that read no meaning stay near chance on the small world's sentence-pair tasks (the
bench, bench/shortcuts.py, measures the full sets)."""

import json

from xstilts.data.files import task_file, write_jsonl
from xstilts.report.leakage import training_items
from xstilts.report.shortcuts import task_shortcuts
from xstilts.tasks import TASKS
from xstilts.world import datasets
from xstilts.world.languages import ENGLISH, World


def test_pair_rules_that_read_no_meaning_stay_near_chance(small_world):
    """300 training and 80 test pairs: loose bounds."""
    trained = {lang: training_items(small_world, lang) for lang in languages(small_world)}
    for task in ("pawsx", "qqp"):
        found = task_shortcuts(small_world, TASKS[task], ["en"], trained)
        for rule in ("overlap", "second only"):
            assert found.baselines[rule]["en"] <= 62, (task, rule, found.baselines[rule])
        assert found.best("en")[1] == max(v["en"] for v in found.baselines.values())


def test_balanced_nli_has_no_hypothesis_or_overlap_cue(tmp_path):
    """The balanced XNLI design (world.nli): 600 training and 300 test pairs."""
    world = World((ENGLISH,), 0, nli="balanced")
    for split, n in (("train", 600), ("test", 300)):
        write_jsonl(task_file(tmp_path, "xnli", split, "en"), datasets.xnli(world, split, "en", n))
    found = task_shortcuts(tmp_path, TASKS["xnli"], ["en"], {"en": (set(), set())})
    assert found.baselines["second only"]["en"] <= 45
    assert found.baselines["overlap"]["en"] <= 45


def languages(world) -> list[str]:
    return list(json.loads((world / "languages.json").read_text()))
