"""Zero-shot evaluation: every language scored, retrieval queried with English (XTREME's
direction), and metric names with their average and English gap."""

from pathlib import Path

import pytest
import torch

from tiny_models import LANGS, WORLD
from xstilts.data.features import encode
from xstilts.data.files import read_jsonl, task_file, write_jsonl
from xstilts.eval import zero_shot
from xstilts.eval.metrics import retrieval_accuracy
from xstilts.eval.predict import predict_labels
from xstilts.eval.zero_shot import evaluate_retrieval, evaluate_target, summarise
from xstilts.tasks import TATOEBA, XNLI
from xstilts.world import datasets


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    for lang in LANGS:
        write_jsonl(task_file(root, "xnli", "test", lang), datasets.xnli(WORLD, "test", lang, 24))
    return root


# --- names ---------------------------------------------------------------------------------

def test_summarise_names_and_values():
    out = summarise("xnli", {"accuracy": {"en": 0.9, "lat75": 0.6, "cyr25": 0.3}})
    assert out == pytest.approx({
        "xnli/accuracy/en": 0.9, "xnli/accuracy/lat75": 0.6, "xnli/accuracy/cyr25": 0.3,
        "xnli/accuracy/avg": 0.6, "xnli/accuracy/gap": 0.9 - 0.45})


def test_summarise_has_no_gap_without_english_or_other_languages():
    assert summarise("tatoeba", {"accuracy": {"lat75": 0.2, "cyr25": 0.4}}) == pytest.approx(
        {"tatoeba/accuracy/lat75": 0.2, "tatoeba/accuracy/cyr25": 0.4,
         "tatoeba/accuracy/avg": 0.3})
    assert "mnli/accuracy/gap" not in summarise("mnli", {"accuracy": {"en": 0.7}})


# --- scores --------------------------------------------------------------------------------

def test_evaluate_target_scores_every_language(model, tokenizer, data_dir):
    scores = evaluate_target(model, tokenizer, XNLI, data_dir, LANGS, "test",
                             batch_size=8, max_length=64)["accuracy"]
    assert list(scores) == LANGS
    records = read_jsonl(task_file(data_dir, "xnli", "test", "en"))
    examples = encode(XNLI, records, tokenizer, 64)
    preds = predict_labels(model, "xnli", examples, 8, tokenizer.pad_token_id)
    gold = [e["labels"] for e in examples]
    assert scores["en"] == pytest.approx(sum(p == g for p, g in zip(preds, gold, strict=True))
                                         / len(gold))


def test_retrieval_queries_with_english(monkeypatch):
    """XTREME's direction: each English sentence searches the other language's sentences."""
    other = torch.tensor([[1.0, 0.0], [0.8, 0.6]])
    english = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    # English queries find both translations; from the other side row 1 finds English row 0
    assert retrieval_accuracy(english, other) == 1.0
    assert retrieval_accuracy(other, english) == 0.5
    monkeypatch.setattr(zero_shot, "load_records", lambda *a: [
        {"source_sentence": "o0", "target_sentence": "e0"},
        {"source_sentence": "o1", "target_sentence": "e1"}])
    monkeypatch.setattr(zero_shot, "embed", lambda enc, tok, sentences, *a: (
        other if sentences[0] == "o0" else english))
    scores = zero_shot.evaluate_retrieval(None, None, TATOEBA, Path("unused"), ["en", "xx"],
                                          layer=-1, batch_size=2)
    assert scores == {"xx": 1.0}


def test_retrieval_of_identical_sentences_is_perfect(tmp_path, model, tokenizer):
    for lang in LANGS[1:]:
        records = [{**r, "source_sentence": r["target_sentence"]}
                   for r in datasets.tatoeba(WORLD, "test", lang, 12)]
        write_jsonl(task_file(tmp_path, "tatoeba", "test", lang), records)
    scores = evaluate_retrieval(model.encoder, tokenizer, TATOEBA, tmp_path, LANGS, layer=-1,
                                batch_size=5)
    assert scores == {"lat75": 1.0, "lat50n": 1.0}  # English is never scored against itself
