"""Deterministic, length-bucketed batches with dynamic padding.

The batch at step ``s`` is a pure function of (seed, s): resuming at step ``s`` replays the
exact same data as an uninterrupted run, without saving any sampler state.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import torch

Example = dict[str, list[int] | int]


class BucketBatcher:
    """Shuffles each epoch, then sorts windows of ``bucket`` batches by length, so every
    batch holds sequences of similar length and little padding is computed."""

    def __init__(self, examples: Sequence[Example], batch_size: int, seed: int,
                 pad_id: int, bucket: int = 50, label_pad: int = -100, pad_multiple: int = 1):
        if not examples:
            raise ValueError("no training examples")
        self.examples = examples
        self.pad_multiple = pad_multiple
        self.batch_size = min(batch_size, len(examples))
        self.seed = seed
        self.pad_id = pad_id
        self.label_pad = label_pad
        self.bucket = bucket
        self.per_epoch = len(examples) // self.batch_size
        self._epoch, self._order = -1, []

    def _epoch_order(self, epoch: int) -> list[list[int]]:
        g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
        perm = torch.randperm(len(self.examples), generator=g).tolist()
        window = self.batch_size * self.bucket
        batches = []
        for start in range(0, self.per_epoch * self.batch_size, window):
            chunk = sorted(perm[start:start + window],
                           key=lambda i: _length(self.examples[i]))
            batches += [chunk[i:i + self.batch_size]
                        for i in range(0, len(chunk) - self.batch_size + 1, self.batch_size)]
        order = torch.randperm(len(batches), generator=g).tolist()
        return [batches[i] for i in order]

    def batch(self, step: int) -> dict[str, torch.Tensor]:
        epoch, index = divmod(step, self.per_epoch)
        if epoch != self._epoch:
            self._epoch, self._order = epoch, self._epoch_order(epoch)
        return collate([self.examples[i] for i in self._order[index]], self.pad_id,
                       self.label_pad, self.pad_multiple)


TENSOR_FIELDS = ("input_ids", "labels", "start_positions", "end_positions")


def collate(examples: Sequence[Example], pad_id: int, label_pad: int = -100,
            pad_multiple: int = 1) -> dict[str, torch.Tensor]:
    """Pad sequences to the longest in the batch, rounded up to a multiple of
    ``pad_multiple`` (a compiled step then meets a few widths, not every length).
    Multiple-choice examples hold one sequence per choice and are flattened to (B * C, T).
    Fields that are not model inputs or targets (e.g. a span feature's offsets) are left
    out."""
    if isinstance(examples[0]["input_ids"][0], list):
        flat = [seq for e in examples for seq in e["input_ids"]]
        out = collate([{"input_ids": seq} for seq in flat], pad_id, pad_multiple=pad_multiple)
        out["labels"] = torch.tensor([e["labels"] for e in examples])
        return out
    out = {}
    width = -(-max(len(e["input_ids"]) for e in examples) // pad_multiple) * pad_multiple
    for key in TENSOR_FIELDS:
        if key not in examples[0]:
            continue
        values = [e[key] for e in examples]
        if isinstance(values[0], list):
            fill = pad_id if key == "input_ids" else label_pad
            out[key] = torch.tensor([v + [fill] * (width - len(v)) for v in values])
        else:
            out[key] = torch.tensor(values)
    out["attention_mask"] = (out["input_ids"] != pad_id).long()
    return out


def split_by_tokens(batch: dict, budget: int, multiple: int = 1,
                    pad_multiple: int = 1) -> list[dict]:
    """Cut one optimizer step's batch into micro-batches of at most ``budget`` padded tokens
    (rows x width) each, examples in length order so each micro-batch is padded only to its
    own longest: a step of short sentences runs as one wide micro-batch, one of long
    paragraphs as several narrow ones, and every step keeps its examples. A micro-batch
    holds ``multiple`` x a power of two examples (DDP's processes share it out; with widths
    rounded to ``pad_multiple``, a compiled step meets a few shapes), at least ``multiple``
    whatever the budget. Multiple-choice choices stay together."""
    ids = batch["input_ids"]
    n = examples_in(batch)
    rows = len(ids) // n  # 1, or the choices of a flattened multiple-choice example
    lengths = batch["attention_mask"].sum(-1).view(n, rows).amax(-1)
    order = sorted(range(n), key=lambda i: int(lengths[i]))

    def width(chunk):
        return -(-int(lengths[chunk].max()) // pad_multiple) * pad_multiple

    micro, start = [], 0
    while start < n:
        size = multiple
        while start + 2 * size <= n and \
                2 * size * rows * width(order[start:start + 2 * size]) <= budget:
            size *= 2
        micro.append(order[start:start + size])
        start += size
    return [_rows(batch, torch.tensor(chunk), n, rows, width(chunk)) for chunk in micro]


def examples_in(batch: dict) -> int:
    """How many examples a collated batch holds (a multiple-choice example has a row per
    choice; a tagging example's labels are a row of tags)."""
    labels = batch.get("labels")
    return len(labels) if labels is not None and labels.ndim == 1 else len(batch["input_ids"])


def _rows(batch: dict, index: torch.Tensor, n: int, rows: int, width: int) -> dict:
    """The examples ``index`` of a collated batch, cut to ``width`` tokens."""
    out = {}
    for key, value in batch.items():
        if not torch.is_tensor(value):
            out[key] = value
            continue
        if len(value) == n * rows and rows > 1:
            value = value.view(n, rows, *value.shape[1:])[index].flatten(0, 1)
        else:
            value = value[index]
        out[key] = value[:, :width].contiguous() if value.ndim == 2 else value  # (B, T)
    return out


@dataclass(frozen=True)
class EvalBatch:
    """The size of inference batches: at most ``rows`` examples and, when set, about
    ``tokens`` padded tokens (``eval.batch_size``, ``eval.batch_tokens``), so short sentences
    go many to a batch and long paragraphs few."""

    rows: int
    tokens: int | None = None


def eval_batches(examples: Sequence[Example], size: "int | EvalBatch", pad_id: int,
                 label_pad: int = -100):
    """Batches in length order for inference (``size``: rows, or an :class:`EvalBatch`);
    yields (original indices, batch)."""
    limit = size if isinstance(size, EvalBatch) else EvalBatch(size)
    order = sorted(range(len(examples)), key=lambda i: _length(examples[i]))
    start = 0
    while start < len(order):
        end = start + 1  # sorted: the example added last is the longest so far
        while end < len(order) and end - start < limit.rows and (
                limit.tokens is None
                or (end + 1 - start) * _length(examples[order[end]]) <= limit.tokens):
            end += 1
        idx = order[start:end]
        yield idx, collate([examples[i] for i in idx], pad_id, label_pad)
        start = end


def _length(example: Example) -> int:
    ids = example["input_ids"]
    return sum(map(len, ids)) if isinstance(ids[0], list) else len(ids)


class MultiTaskBatcher:
    """Batches of several tasks, one task per step, drawn with probability proportional to
    ``size ** (1 / temperature)`` (temperature 1: proportional to data size; larger values
    flatten towards uniform, as in multilingual and multi-task training recipes).

    The task schedule is drawn once from the seed, so ``batch(step)`` stays a pure function
    of (seed, step) and resume replays it exactly.
    """

    def __init__(self, batchers: dict[str, BucketBatcher], steps: int, seed: int,
                 temperature: float = 1.0, fixed: dict[str, float] | None = None):
        """``fixed`` gives some tasks a set share of the steps (e.g. continued MLM); the
        other tasks share the rest by size."""
        fixed = fixed or {}
        self.tasks = list(batchers)
        self.batchers = batchers
        sizes = torch.tensor([0.0 if t in fixed else len(b.examples)
                              for t, b in batchers.items()], dtype=torch.float64)
        weights = sizes ** (1.0 / temperature)
        self.probs = weights / weights.sum() * (1.0 - sum(fixed.values()))
        for t, share in fixed.items():
            self.probs[self.tasks.index(t)] = share
        g = torch.Generator().manual_seed(seed)
        self.schedule = torch.multinomial(self.probs, steps, replacement=True,
                                          generator=g).tolist()
        seen = [0] * len(self.tasks)
        self.position = []
        for t in self.schedule:
            self.position.append(seen[t])
            seen[t] += 1

    def batch(self, step: int) -> dict:
        step %= len(self.schedule)
        t = self.schedule[step]
        return {**self.batchers[self.tasks[t]].batch(self.position[step]),
                "task": self.tasks[t]}
