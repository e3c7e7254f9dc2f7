"""The leakage audit on a small generated world: no dev or test item of any task, in any
language, is a training item or a corpus text, and one that is would be found."""

import json

from xstilts.data.files import read_jsonl, task_file
from xstilts.report.leakage import distinct_questions, item_key, leaked, normalise, training_items
from xstilts.report.shortcuts import audit
from xstilts.tasks import INTERMEDIATE_TASKS, TARGET_TASKS, TASKS


def test_no_scored_item_is_in_training_or_the_corpus(small_world):
    found = {f.task: f for f in audit(small_world, [*TARGET_TASKS, *INTERMEDIATE_TASKS],
                                      languages(small_world))}
    assert set(found) == set(TASKS)
    for task, shortcuts in found.items():
        assert shortcuts.found and all(h == 0 for h, _ in shortcuts.found.values()), task
    questions, seen = distinct_questions(small_world)
    assert questions == 100 and seen == 0.0  # every training question is new


def test_a_trained_item_is_found_in_either_order(small_world):
    spec = TASKS["pawsx"]
    trained = read_jsonl(task_file(small_world, "pawsx", "train", "en"))[0]
    record = {**trained, "sentence1": trained["sentence2"].upper(),
              "sentence2": trained["sentence1"] + " ."}
    assert item_key(spec, record) == item_key(spec, trained)
    assert leaked(spec, [record], training_items(small_world, "en")) == (1, 1)
    assert normalise("The  Ball , is red .") == "the ball is red"


def languages(world) -> list[str]:
    return list(json.loads((world / "languages.json").read_text()))
