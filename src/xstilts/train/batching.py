"""Deterministic, length-bucketed batches with dynamic padding.

The batch at step ``s`` is a pure function of (seed, s): resuming at step ``s`` replays the
exact same data as an uninterrupted run, without saving any sampler state.
"""

from collections.abc import Sequence

import torch

Example = dict[str, list[int] | int]


class BucketBatcher:
    """Shuffles each epoch, then sorts windows of ``bucket`` batches by length, so every
    batch holds sequences of similar length and little padding is computed."""

    def __init__(self, examples: Sequence[Example], batch_size: int, seed: int,
                 pad_id: int, bucket: int = 50, label_pad: int = -100):
        if not examples:
            raise ValueError("no training examples")
        self.examples = examples
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
                           key=lambda i: len(self.examples[i]["input_ids"]))
            batches += [chunk[i:i + self.batch_size]
                        for i in range(0, len(chunk) - self.batch_size + 1, self.batch_size)]
        order = torch.randperm(len(batches), generator=g).tolist()
        return [batches[i] for i in order]

    def batch(self, step: int) -> dict[str, torch.Tensor]:
        epoch, index = divmod(step, self.per_epoch)
        if epoch != self._epoch:
            self._epoch, self._order = epoch, self._epoch_order(epoch)
        return collate([self.examples[i] for i in self._order[index]], self.pad_id,
                       self.label_pad)


def collate(examples: Sequence[Example], pad_id: int, label_pad: int = -100
            ) -> dict[str, torch.Tensor]:
    """Pad every list field to the longest in the batch; scalar fields become a tensor."""
    out = {}
    width = max(len(e["input_ids"]) for e in examples)
    for key in examples[0]:
        values = [e[key] for e in examples]
        if isinstance(values[0], list):
            fill = pad_id if key == "input_ids" else label_pad if key == "labels" else 0
            out[key] = torch.tensor([v + [fill] * (width - len(v)) for v in values])
        else:
            out[key] = torch.tensor(values)
    out["attention_mask"] = (out["input_ids"] != pad_id).long()
    return out


def eval_batches(examples: Sequence[Example], batch_size: int, pad_id: int,
                 label_pad: int = -100):
    """Batches in length order for inference; yields (original indices, batch)."""
    order = sorted(range(len(examples)), key=lambda i: len(examples[i]["input_ids"]))
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        yield idx, collate([examples[i] for i in idx], pad_id, label_pad)
