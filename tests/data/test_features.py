"""Encoders by task type on a tiny tokenizer: sentence pairs as XLM-R encodes them, labels by
id or name, span positions in context windows, tags on first subwords, and sentences longer
than max_length split into segments of whole words."""

import pytest

from tiny_text import SENTENCES, SPAN, TAGS, squad_record
from xstilts.data.features import encode, label_id
from xstilts.data.files import DataFileError
from xstilts.tasks import XNLI
from xstilts.tokenization import train_tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(SENTENCES * 20, vocab_size=120)


# --- pairs and labels ----------------------------------------------------------------------

def test_pair_encoding_follows_xlmr(tokenizer):
    record = {"sentence1": "the red ball .", "sentence2": "the ball is red .",
              "gold_label": "entailment"}
    [example] = encode(XNLI, [record], tokenizer, max_length=64)
    ids = example["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2 and ids.count(2) == 3
    assert example["labels"] == 0


def test_label_id_accepts_ids_and_names_only():
    assert label_id(XNLI, 2) == 2 and label_id(XNLI, "neutral") == 1
    for bad in (3, -1, "maybe"):
        with pytest.raises(DataFileError, match="is not one of"):
            label_id(XNLI, bad, "x.jsonl")


# --- spans ---------------------------------------------------------------------------------

def test_span_positions_cover_exactly_the_answer(tokenizer):
    record = squad_record(SENTENCES[0], "velta corp")
    (feature,) = encode(SPAN, [record], tokenizer, max_length=64)
    start, end = feature["start_positions"], feature["end_positions"]
    offsets = feature["offsets"]
    assert 0 < start <= end
    assert record["context"][offsets[start][0]:offsets[end][1]].strip() == "velta corp"


def test_unanswerable_and_out_of_window_answers_point_at_s(tokenizer):
    record = {**squad_record(SENTENCES[0], "anna"), "answers": {"text": [],
                                                               "answer_start": []}}
    (feature,) = encode(SPAN, [record], tokenizer, max_length=64)
    assert feature["start_positions"] == feature["end_positions"] == 0
    long_context = " ".join([SENTENCES[1]] * 30 + [SENTENCES[0]])
    features = encode(SPAN, [squad_record(long_context, "velta corp")], tokenizer,
                      max_length=48, stride=16)
    assert len(features) > 1  # the context was split into windows
    hits = [f for f in features if f["start_positions"] > 0]
    assert hits and any(f["start_positions"] == 0 for f in features)


# --- tags ----------------------------------------------------------------------------------

def test_tagging_labels_only_first_subwords(tokenizer):
    record = {"tokens": ["anna", "works", "at", "velta", "corp"], "ner_tags": [1, 0, 0, 3, 4]}
    (feature,) = encode(TAGS, [record], tokenizer, max_length=32)
    labelled = [label for label in feature["labels"] if label != -100]
    assert labelled == record["ner_tags"]


def test_a_word_without_subwords_keeps_its_tag_position(tokenizer):
    # "" gives no token; read as <unk> (as run_tag.py does), later words keep their tags.
    record = {"tokens": ["anna", "", "works", "at", "velta"], "ner_tags": [1, 0, 0, 0, 3]}
    assert tokenizer([[""]], is_split_into_words=True, add_special_tokens=False
                     )["input_ids"] == [[]]
    (feature,) = encode(TAGS, [record], tokenizer, max_length=32)
    labelled = [label for label in feature["labels"] if label != -100]
    assert labelled == record["ner_tags"]


def test_a_long_sentence_is_split_into_segments_that_tag_every_word(tokenizer, monkeypatch):
    """As XTREME's preprocessing does, a sentence longer than max_length becomes several
    features of whole words; scoring joins them again, so no word goes unscored."""
    from xstilts.eval import zero_shot

    words = ("anna works at velta corp in teskar and boris has 3 cups .".split()) * 4
    tags = [(1 if w == "anna" else 3 if w == "velta" else 4 if w == "corp" else 0)
            for w in words]
    record = {"tokens": words, "ner_tags": tags}
    short = {"tokens": words[:5], "ner_tags": tags[:5]}
    features = encode(TAGS, [short, record], tokenizer, max_length=16)
    assert len(features) > 3 and all(len(f["input_ids"]) <= 16 for f in features)
    assert [f["example"] for f in features][:2] == [0, 1]
    joined = [label for f in features[1:] for label in f["labels"] if label != -100]
    assert joined == tags

    def as_gold(model, head, features, batch_size, pad):  # a tagger that is always right
        return [[label for label in f["labels"] if label != -100] for f in features]

    scored = []
    monkeypatch.setattr(zero_shot, "predict_tags", as_gold)
    monkeypatch.setattr(zero_shot.metrics, "tagging_f1",
                        lambda gold, pred: scored.append((gold, pred)) or 1.0)
    zero_shot.score_records(None, tokenizer, TAGS, [short, record], "en", 8, 16)
    gold, pred = scored[0]
    assert pred == gold and [len(g) for g in gold] == [5, len(words)]
