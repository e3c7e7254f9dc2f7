"""Collecting the study: metrics files of any task names (unknown targets skipped with a
note), QA scores as the mean of EM and F1, and the guessing score of a target's test sets."""

import pytest

from fake_metrics import SPECS, write_xnli_test
from xstilts.data.files import task_file, write_jsonl
from xstilts.report.collect import guessing_score, language_scores
from xstilts.tasks import FINETUNE_TARGETS, RETRIEVAL_TARGETS


def test_qa_score_is_mean_of_em_and_f1():
    metrics = {"q/exact_match/en": 0.6, "q/f1/en": 0.8, "q/em_f1/xx": 0.5}
    assert language_scores(metrics, "q", "em_f1", ["en", "xx", "yy"]) == \
        pytest.approx({"en": 70.0, "xx": 50.0})


def test_collect_skips_unknown_targets_with_a_note(fake_study):
    study, notes = fake_study
    assert [t.name for t in study.targets] == list(SPECS)
    assert any("`unknown`" in n and "skipped" in n for n in notes)
    assert study.targets[-1].languages == ["l1", "l2", "l3"]  # retrieval: no English


def test_guessing_score_is_the_most_frequent_labels_share(tmp_path):
    write_xnli_test(tmp_path, {"en": ["entailment"] * 3 + ["neutral"],
                               "xx": ["neutral"] * 2 + ["contradiction"] * 2})
    xnli = FINETUNE_TARGETS["xnli"]
    assert guessing_score(tmp_path, xnli, ["en", "xx", "absent"]) == 75.0
    assert guessing_score(tmp_path, xnli, ["xx"]) == 50.0
    assert guessing_score(tmp_path / "nowhere", xnli, ["en"]) is None
    assert guessing_score(tmp_path, FINETUNE_TARGETS["udpos"], ["en"]) is None  # F1


def test_guessing_a_retrieval_is_one_pick_among_the_candidates(tmp_path):
    tatoeba = RETRIEVAL_TARGETS["tatoeba"]
    for lang, n in (("xx", 4), ("yy", 5)):
        write_jsonl(task_file(tmp_path, "tatoeba", "test", lang),
                    [{"source_sentence": f"s{i}", "target_sentence": f"t{i}",
                      "source_lang": "en", "target_lang": lang} for i in range(n)])
    assert guessing_score(tmp_path, tatoeba, ["en", "xx", "yy"]) == 25.0
    assert guessing_score(tmp_path, RETRIEVAL_TARGETS["bucc"], ["xx"]) is None  # F1
