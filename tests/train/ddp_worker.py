"""Train a tiny dropout-free classifier (or tagger) with the project's loop and save its
weights; run alone or under `torchrun --nproc_per_node 2` (gloo) by
tests/train/test_distributed.py.
The tagger's examples tag a random share of their tokens, so the two halves of a global batch
hold different numbers of tagged tokens."""

import sys
from pathlib import Path

import torch
from transformers import (
    XLMRobertaConfig,
    XLMRobertaForSequenceClassification,
    XLMRobertaForTokenClassification,
)

from xstilts import ranks
from xstilts.train import distributed
from xstilts.train.batching import BucketBatcher
from xstilts.train.loop import LoopConfig, Loss, train


def main(out: str, resume: str, kinds: str = "classify,tag") -> None:
    """Train each of ``kinds`` in turn (one process start serves them all; ``<kind>-micro``:
    steps cut into micro-batches of at most 48 tokens a process); the weights go to
    ``<out>.<kind>.pt``, the resume checkpoints to ``<resume>-<kind>``."""
    distributed.init()
    torch.set_num_threads(1)
    for kind in kinds.split(","):
        train_one(kind, Path(f"{out}.{kind}.pt"), Path(f"{resume}-{kind}"))


def train_one(kind: str, out: Path, resume: Path) -> None:
    kind, _, micro = kind.partition("-")
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=32,
                              max_position_embeddings=40, type_vocab_size=1, pad_token_id=1,
                              num_labels=3, hidden_dropout_prob=0.0,
                              attention_probs_dropout_prob=0.0, classifier_dropout=0.0)
    g = torch.Generator().manual_seed(1)
    lengths = [int(n) for n in torch.randint(4, 30, (96,), generator=g)]
    ids = [torch.randint(5, 50, (n,), generator=g).tolist() for n in lengths]
    if kind == "tag":
        model = XLMRobertaForTokenClassification(config)
        examples = [{"input_ids": i, "labels": [t % 3 if torch.rand(1, generator=g) < 0.5
                                                else -100 for t in i]} for i in ids]

        def loss_fn(m, b):
            return Loss(m(**b).loss, tokens=(b["labels"] != -100).sum())
    else:
        model = XLMRobertaForSequenceClassification(config)
        examples = [{"input_ids": i, "labels": n % 3} for i, n in zip(ids, lengths)]

        def loss_fn(m, b):
            return Loss(m(**b).loss)
    batcher = BucketBatcher(examples, 8, seed=0, pad_id=1)
    cfg = LoopConfig(steps=24, lr=1e-3, checkpoint_every=6, log_every=6,
                     micro_tokens=48 if micro else None)
    final = train(model, loss_fn, batcher.batch, cfg, resume_dir=resume)
    if ranks.is_main():
        torch.save({"state": model.state_dict(), "loss": final["loss"]}, out)


if __name__ == "__main__":
    main(*sys.argv[1:])
