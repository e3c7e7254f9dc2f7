"""Rules that read no meaning stay near chance on the small world's sentence-pair tasks (the
bench, bench/shortcuts.py, measures the full sets)."""

import json

from xstilts.report.leakage import training_items
from xstilts.report.shortcuts import task_shortcuts
from xstilts.tasks import TASKS


def test_pair_rules_that_read_no_meaning_stay_near_chance(small_world):
    """300 training and 80 test pairs: loose bounds."""
    trained = {lang: training_items(small_world, lang) for lang in languages(small_world)}
    for task, bound in (("pawsx", 62), ("qqp", 62), ("xnli", 48)):
        found = task_shortcuts(small_world, TASKS[task], ["en"], trained)
        for rule in ("overlap", "second only"):
            assert found.baselines[rule]["en"] <= bound, (task, rule, found.baselines[rule])
        assert found.best("en")[1] == max(v["en"] for v in found.baselines.values())


def languages(world) -> list[str]:
    return list(json.loads((world / "languages.json").read_text()))
