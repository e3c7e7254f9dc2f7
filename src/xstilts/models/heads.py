"""Task heads, chosen by task *type* and shared by every language of a task (jiant's design).

Each head maps encoder states (B, T, H) and the batch to a dict with ``logits`` and, when the
batch has labels, ``loss``.
"""

import torch
import torch.nn.functional as F
from torch import nn


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average of the non-padding token states: (B, T, H), (B, T) -> (B, H)."""
    mask = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


def pool(hidden: torch.Tensor, mask: torch.Tensor, how: str) -> torch.Tensor:
    """(B, T, H) -> (B, H): the <s> state (as RoBERTa's classification head) or the mean."""
    return hidden[:, 0] if how == "first" else mean_pool(hidden, mask)


class ClassificationHead(nn.Module):
    """Sentence (pair) classification from the pooled sequence."""

    def __init__(self, hidden: int, num_labels: int, dropout: float = 0.1,
                 pooling: str = "mean"):
        super().__init__()
        self.pooling = pooling
        self.dense = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, num_labels)

    def forward(self, hidden, batch):
        pooled = pool(hidden, batch["attention_mask"], self.pooling)
        logits = self.out(self.dropout(torch.tanh(self.dense(self.dropout(pooled)))))  # (B, L)
        return _with_loss({"logits": logits}, batch,
                          lambda: F.cross_entropy(logits, batch["labels"]))


class TaggingHead(nn.Module):
    """A label per token; only each word's first subword carries a label (others -100)."""

    def __init__(self, hidden: int, num_labels: int, dropout: float = 0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, num_labels)

    def forward(self, hidden, batch):
        logits = self.out(self.dropout(hidden))  # (B, T, L)
        return _with_loss({"logits": logits}, batch, lambda: F.cross_entropy(
            logits.flatten(0, 1), batch["labels"].flatten(), ignore_index=-100))


class SpanHead(nn.Module):
    """Start and end logits over tokens (SQuAD); position 0 (<s>) means "no answer"."""

    def __init__(self, hidden: int, num_labels: int = 2, dropout: float = 0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, 2)

    def forward(self, hidden, batch):
        logits = self.out(self.dropout(hidden))  # (B, T, 2)
        pad = batch["attention_mask"] == 0
        start, end = (x.squeeze(-1).masked_fill(pad, -1e4) for x in logits.split(1, dim=-1))
        return _with_loss({"start_logits": start, "end_logits": end}, batch, lambda: (
            F.cross_entropy(start, batch["start_positions"])
            + F.cross_entropy(end, batch["end_positions"])) / 2)


class MultipleChoiceHead(nn.Module):
    """Scores each (context, choice) sequence; the batch is flattened to B*C sequences."""

    def __init__(self, hidden: int, num_labels: int, dropout: float = 0.1,
                 pooling: str = "mean"):
        super().__init__()
        self.num_choices = num_labels
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, 1)

    def forward(self, hidden, batch):
        pooled = pool(hidden, batch["attention_mask"], self.pooling)
        logits = self.out(self.dropout(pooled)).view(-1, self.num_choices)  # (B, C)
        return _with_loss({"logits": logits}, batch,
                          lambda: F.cross_entropy(logits, batch["labels"]))


def _with_loss(out: dict, batch: dict, loss) -> dict:
    if "labels" in batch or "start_positions" in batch:
        out["loss"] = loss()
    return out


POOLED = ("classification", "multiple_choice")  # head types that take ``pooling``

HEADS = {
    "classification": ClassificationHead,
    "tagging": TaggingHead,
    "span": SpanHead,
    "multiple_choice": MultipleChoiceHead,
}
