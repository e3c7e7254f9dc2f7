"""Encoders by task type, multi-task batching and span decoding on a tiny tokenizer."""

import pytest
import torch

from xstilts.data.features import encode
from xstilts.eval.predict import predict_spans
from xstilts.tasks import TaskSpec
from xstilts.tokenization import train_tokenizer
from xstilts.train.batching import BucketBatcher, MultiTaskBatcher, collate

SENTENCES = ["anna works at velta corp in teskar .", "the big red ball is above the box .",
             "what colour is the ball ?", "who works at velta corp ?", "boris has 3 cups ."]


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(SENTENCES * 20, vocab_size=120)


SPAN = TaskSpec("squad", "span", "em_f1", "qa", "rajpurkar/squad",
                ("question", "context"), "answers")
TAGS = TaskSpec("panx", "tagging", "f1", "structured", "google/xtreme/PAN-X",
                ("tokens",), "ner_tags", ("O", "B-PER", "I-PER", "B-ORG", "I-ORG"))
CHOICE = TaskSpec("cosmosqa", "multiple_choice", "accuracy", "classification",
                  "allenai/cosmos_qa", ("context", "question"), "label", ("0", "1", "2"),
                  choice_fields=("answer0", "answer1", "answer2"))


def squad_record(context: str, answer: str) -> dict:
    start = context.index(answer)
    return {"id": "q1", "question": "who works at velta corp ?", "context": context,
            "answers": {"text": [answer], "answer_start": [start]}}


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


class LogitsModel(torch.nn.Module):
    """A stand-in span model whose ``forward`` sets the logits; one parameter, so that the
    prediction code finds the model's device."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))


def test_predict_spans_decodes_the_highest_scoring_span(tokenizer):
    record = squad_record(SENTENCES[0], "velta corp")
    features = encode(SPAN, [record], tokenizer, max_length=64)
    target = features[0]

    class Oracle(LogitsModel):
        def forward(self, task, batch):
            b, t = batch["input_ids"].shape
            start = torch.full((b, t), -5.0)
            end = torch.full((b, t), -5.0)
            start[:, target["start_positions"]] = 5.0
            end[:, target["end_positions"]] = 5.0
            return {"start_logits": start, "end_logits": end}

    answers = predict_spans(Oracle(), "squad", features, [record["context"]], 4,
                            tokenizer.pad_token_id)
    assert answers == ["velta corp"]


def test_a_null_answer_needs_every_window_to_prefer_it(tokenizer):
    # SQuAD v2 (BERT's run_squad, HF's run_qa): the null score is the lowest over windows.
    long_context = " ".join([SENTENCES[1]] * 30 + [SENTENCES[0]])
    record = squad_record(long_context, "velta corp")
    features = encode(SPAN, [record], tokenizer, max_length=48, stride=16)
    hit = next(f for f in features if f["start_positions"] > 0)

    class TwoWindows(LogitsModel):
        """The answer's window: the answer scores 10, <s> 2; every other window: <s> 12."""

        def forward(self, task, batch):
            b, t = batch["input_ids"].shape
            start, end = torch.full((b, t), -20.0), torch.full((b, t), -20.0)
            for row in range(b):
                ids = batch["input_ids"][row].tolist()
                if ids[:len(hit["input_ids"])] == hit["input_ids"]:
                    start[row, hit["start_positions"]] = end[row, hit["end_positions"]] = 5.0
                    start[row, 0] = end[row, 0] = 1.0
                else:
                    start[row, 0] = end[row, 0] = 6.0
            return {"start_logits": start, "end_logits": end}

    answers = predict_spans(TwoWindows(), "squad", features, [long_context], 8,
                            tokenizer.pad_token_id, allow_null=True)
    assert answers == ["velta corp"]


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


def test_multiple_choice_flattens_to_one_sequence_per_choice(tokenizer):
    record = {"context": SENTENCES[0], "question": SENTENCES[3], "answer0": "anna",
              "answer1": "boris", "answer2": "velta corp", "label": 0}
    features = encode(CHOICE, [record, {**record, "label": 2}], tokenizer, max_length=64)
    batch = collate(features, tokenizer.pad_token_id)
    assert batch["input_ids"].shape[0] == 6
    assert batch["labels"].tolist() == [0, 2]
    assert batch["attention_mask"].shape == batch["input_ids"].shape


def test_multitask_schedule_is_deterministic_and_tempered():
    def batcher(n, seed=0):
        return BucketBatcher([{"input_ids": [5, 6, 7], "labels": 1}] * n, 2, seed, pad_id=1)

    big, small = batcher(900), batcher(100)
    a = MultiTaskBatcher({"big": big, "small": small}, steps=2000, seed=3)
    b = MultiTaskBatcher({"big": big, "small": small}, steps=2000, seed=3)
    assert a.schedule == b.schedule
    assert [a.batch(s)["task"] for s in (17, 5, 1999)] == [b.batch(s)["task"]
                                                           for s in (17, 5, 1999)]
    share = a.schedule.count(1) / len(a.schedule)
    assert share == pytest.approx(0.1, abs=0.03)  # proportional to size
    flat = MultiTaskBatcher({"big": big, "small": small}, steps=2000, seed=3, temperature=1e9)
    assert flat.schedule.count(1) / 2000 == pytest.approx(0.5, abs=0.05)
