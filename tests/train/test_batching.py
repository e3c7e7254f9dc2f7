"""Batching: batches are a pure function of seed and step, an epoch uses each example at
most once, padding, multiple-choice examples flattened to one sequence per choice, and the
multi-task schedule."""

import pytest
import torch

from tiny_text import CHOICE, SENTENCES
from tiny_training import PAD, examples
from xstilts.data.features import encode
from xstilts.tokenization import train_tokenizer
from xstilts.train.batching import (
    BucketBatcher,
    EvalBatch,
    MultiTaskBatcher,
    collate,
    eval_batches,
    split_by_tokens,
)


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(SENTENCES * 20, vocab_size=120)


def test_batches_are_a_pure_function_of_seed_and_step():
    data = [{**e, "labels": i} for i, e in enumerate(examples(50))]
    a = BucketBatcher(data, batch_size=4, seed=7, pad_id=PAD, bucket=3)
    b = BucketBatcher(data, batch_size=4, seed=7, pad_id=PAD, bucket=3)
    steps = list(range(30))  # more than two epochs of 12 batches
    forward = {s: a.batch(s) for s in steps}
    shuffled = [29, 3, 14, 0, 25, 3, 12, 11, 24, 7, 28]
    for s in shuffled + steps[::-1]:
        got = b.batch(s)
        assert got.keys() == forward[s].keys()
        assert all(torch.equal(got[k], forward[s][k]) for k in got), s
    other = BucketBatcher(data, batch_size=4, seed=8, pad_id=PAD, bucket=3)
    assert not torch.equal(other.batch(0)["labels"], forward[0]["labels"])


def test_an_epoch_uses_each_example_at_most_once():
    data = [{**e, "labels": i} for i, e in enumerate(examples(50))]
    batcher = BucketBatcher(data, batch_size=4, seed=0, pad_id=PAD, bucket=3)
    assert batcher.per_epoch == 12
    for epoch in range(2):
        seen = torch.cat([batcher.batch(epoch * 12 + s)["labels"] for s in range(12)]).tolist()
        assert len(seen) == len(set(seen)) == 48
    first = {tuple(batcher.batch(s)["labels"].tolist()) for s in range(12)}
    second = {tuple(batcher.batch(12 + s)["labels"].tolist()) for s in range(12)}
    assert first != second  # every epoch is reshuffled


def test_padding_uses_pad_id_and_zero_attention():
    data = examples(20)
    batcher = BucketBatcher(data, batch_size=5, seed=1, pad_id=PAD)
    lengths = {tuple(e["input_ids"]): len(e["input_ids"]) for e in data}
    for step in range(4):
        batch = batcher.batch(step)
        ids, mask = batch["input_ids"], batch["attention_mask"]
        assert ids.shape == mask.shape and batch["labels"].shape == (5,)
        for row, row_mask in zip(ids, mask, strict=True):
            n = int(row_mask.sum())
            assert tuple(row[:n].tolist()) in lengths  # the real tokens, unchanged
            assert (row[n:] == PAD).all() and (row_mask[n:] == 0).all()
            assert (row_mask[:n] == 1).all()
        assert int(mask.sum(1).max()) == ids.shape[1]  # padded to the longest only



def test_widths_round_up_to_the_multiple_and_padding_stays_masked():
    """train.pad_to_multiple: a compiled step meets a few widths, and the extra columns are
    padding the attention mask leaves out."""
    batcher = BucketBatcher(examples(200), 8, seed=0, pad_id=PAD, pad_multiple=16)
    widths = set()
    for step in range(batcher.per_epoch):
        batch = batcher.batch(step)
        widths.add(batch["input_ids"].shape[1])
        real = batch["attention_mask"].sum(1)
        assert int(real.max()) > batch["input_ids"].shape[1] - 16
        assert (batch["input_ids"][batch["attention_mask"] == 0] == PAD).all()
    assert all(w % 16 == 0 for w in widths)
    plain = collate([{"input_ids": [5, 6, 7]}], PAD)
    assert plain["input_ids"].shape == (1, 3)

def test_collate_pads_token_labels_with_label_pad():
    batch = collate([{"input_ids": [0, 5, 2], "labels": [3, 4, -100]},
                     {"input_ids": [0, 2], "labels": [1, -100]}], pad_id=PAD)
    assert batch["input_ids"].tolist() == [[0, 5, 2], [0, 2, PAD]]
    assert batch["labels"].tolist() == [[3, 4, -100], [1, -100, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]


def test_batcher_rejects_empty_data_and_caps_batch_size():
    with pytest.raises(ValueError, match="no training examples"):
        BucketBatcher([], batch_size=4, seed=0, pad_id=PAD)
    small = BucketBatcher(examples(3), batch_size=8, seed=0, pad_id=PAD)
    assert small.batch(5)["input_ids"].shape[0] == 3


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


def _tagged(n: int = 24, seed: int = 1) -> list[dict]:
    return [{**e, "labels": [i % 5] * len(e["input_ids"])} for i, e in
            enumerate(examples(n, seed))]


@pytest.mark.parametrize("budget,multiple,pad_multiple", [(64, 1, 1), (100, 2, 8),
                                                          (1, 1, 1), (10_000, 1, 1)])
def test_a_step_cut_by_tokens_keeps_every_example_once_within_the_budget(
        budget, multiple, pad_multiple):
    """train.micro_batch_tokens: each example of the step once, with its own tokens and
    labels; each micro-batch at most the budget (rows x width) unless it is one unit of
    ``multiple``; rows a power of two times ``multiple``; widths only the micro-batch's own
    longest, rounded up."""
    data = _tagged()
    step = collate(data, PAD, pad_multiple=pad_multiple)
    micro = split_by_tokens(step, budget, multiple, pad_multiple)
    seen = []
    for m in micro:
        rows, width = m["input_ids"].shape
        assert rows * width <= budget or rows == multiple
        assert rows % multiple == 0 and (rows // multiple) & (rows // multiple - 1) == 0
        longest = int(m["attention_mask"].sum(-1).max())
        assert width == -(-longest // pad_multiple) * pad_multiple
        for ids, mask, labels in zip(m["input_ids"], m["attention_mask"], m["labels"]):
            seq = ids[mask.bool()].tolist()
            seen.append(seq)
            assert labels[:len(seq)].tolist() == [labels[0].item()] * len(seq)
            assert (labels[len(seq):] == -100).all()
    assert sorted(seen) == sorted(e["input_ids"] for e in data)
    if budget == 10_000:  # no cut but into powers of two: 24 = 16 + 8
        assert [len(m["input_ids"]) for m in micro] == [16, 8]
    if budget == 1:
        assert len(micro) == len(data)


def test_a_multiple_choice_step_cut_by_tokens_keeps_each_examples_choices_together():
    data = [{"input_ids": [e["input_ids"], e["input_ids"][:3] + [2]], "labels": i % 2}
            for i, e in enumerate(examples(12))]
    micro = split_by_tokens(collate(data, PAD), 60)
    assert len(micro) > 1
    got = []
    for m in micro:
        assert len(m["input_ids"]) == 2 * len(m["labels"])
        for k, label in enumerate(m["labels"].tolist()):
            first = m["input_ids"][2 * k][m["attention_mask"][2 * k].bool()].tolist()
            got.append((first, label))
    assert sorted(got) == sorted((e["input_ids"][0], e["labels"]) for e in data)


@pytest.mark.parametrize("size", [5, EvalBatch(5), EvalBatch(1000, 60), EvalBatch(3, 60)])
def test_inference_batches_hold_each_example_once_within_rows_and_tokens(size):
    """eval.batch_size caps the rows of an inference batch, eval.batch_tokens (when set)
    its padded tokens: short examples go many to a batch, long ones few."""
    data = examples(40)
    limit = size if isinstance(size, EvalBatch) else EvalBatch(size)
    seen, rows = [], []
    for idx, batch in eval_batches(data, size, PAD):
        n, width = batch["input_ids"].shape
        assert n == len(idx) <= limit.rows
        assert limit.tokens is None or n * width <= limit.tokens or n == 1
        seen += idx
        rows.append(n)
    assert sorted(seen) == list(range(len(data)))
    if limit.tokens and limit.rows > 100:
        assert rows[0] > rows[-1]  # the short ones first, many at once
