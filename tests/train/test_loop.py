"""The training loop: an interrupted and resumed run ends bit-identical to an uninterrupted
one, a completed run leaves nothing to resume, and a non-finite loss stops training."""

import math

import pytest
import torch

from tiny_training import PAD, examples, params_of, tiny_model
from xstilts.train import checkpoint, loop
from xstilts.train.batching import BucketBatcher, split_by_tokens
from xstilts.train.loop import LoopConfig, Loss, NonFiniteLoss, train
from xstilts.train.objectives import task_loss


class Interrupt(Exception):
    pass


def interrupting(batch_fn, at: int):
    def batch(step):
        if step == at:
            raise Interrupt(step)
        return batch_fn(step)
    return batch


@pytest.mark.parametrize("grad_accum,bf16", [(1, False), (2, False), (1, True)])
def test_interrupted_and_resumed_run_is_bit_identical(tmp_path, grad_accum, bf16):
    cfg = LoopConfig(steps=6, lr=1e-2, grad_accum=grad_accum, seed=3, checkpoint_every=2,
                     log_every=1, bf16=bf16)
    batcher = BucketBatcher(examples(), batch_size=4, seed=3, pad_id=PAD, bucket=2)
    loss = task_loss("nli")

    reference = tiny_model()
    train(reference, loss, batcher.batch, cfg, resume_dir=tmp_path / "ref")

    resume = tmp_path / "resume"
    interrupted = tiny_model()
    # step 4 is checkpointed; die while fetching the batch of step 5
    with pytest.raises(Interrupt):
        train(interrupted, loss, interrupting(batcher.batch, 5 * grad_accum), cfg, resume)
    assert (resume / "latest").read_text() == "step-000004"
    assert [p.name for p in resume.glob("step-*")] == ["step-000004"]

    resumed = tiny_model(init_seed=99)  # different init: every weight must come from disk
    torch.manual_seed(12345)  # the loop must not depend on the caller's RNG state
    train(resumed, loss, batcher.batch, cfg, resume)

    ref, got = params_of(reference), params_of(resumed)
    assert ref.keys() == got.keys()
    for name in ref:
        assert torch.equal(ref[name], got[name]), name
    assert not resume.exists()  # (b) a completed run leaves nothing to resume


def test_completed_run_removes_resume_dir_and_returns_final_losses(tmp_path, monkeypatch):
    resume = tmp_path / "resume"
    batcher = BucketBatcher(examples(12), batch_size=4, seed=0, pad_id=PAD)
    cfg = LoopConfig(steps=3, lr=1e-3, checkpoint_every=1, log_every=50)
    model = tiny_model()
    saved = []
    real_save = checkpoint.save

    def spy(directory, step, *args):
        saved.append(step)
        real_save(directory, step, *args)

    monkeypatch.setattr(checkpoint, "save", spy)
    last = train(model, task_loss("nli"), batcher.batch, cfg, resume)
    assert saved == [1, 2]  # never a checkpoint of the finished run
    assert not resume.exists()
    assert set(last) == {"loss"} and math.isfinite(last["loss"])
    assert not model.training


def test_nan_loss_raises_non_finite_loss(tmp_path):
    batcher = BucketBatcher(examples(12), batch_size=4, seed=0, pad_id=PAD)

    def nan_loss(model, batch):
        return Loss(model("nli", batch)["loss"] * float("nan"))

    cfg = LoopConfig(steps=5, lr=1e-3, log_every=2)
    with pytest.raises(NonFiniteLoss, match="at step 2"):
        train(tiny_model(), nan_loss, batcher.batch, cfg, tmp_path / "resume")


def counting(cuts: list):
    """``split_by_tokens`` that also keeps each cut in ``cuts``."""
    def split(*args, **kwargs):
        cuts.append(split_by_tokens(*args, **kwargs))
        return cuts[-1]
    return split


@pytest.mark.parametrize("head,labelled", [
    ("nli", lambda e, i: i % 3),  # a mean over examples
    ("tags", lambda e, i: [i % 5] * len(e["input_ids"])),  # a mean over tokens
])
def test_steps_cut_into_micro_batches_by_tokens_train_as_whole_steps(head, labelled):
    """train.micro_batch_tokens: each step's gradient is the mean over the whole step's
    batch, whatever its micro-batches (several here), for losses that are means over
    examples and over tokens (tags). Dropout off, so the only difference is the cut."""
    data = [{**e, "labels": labelled(e, i)} for i, e in enumerate(examples(32))]
    batcher = BucketBatcher(data, batch_size=8, seed=0, pad_id=PAD)
    models = {}
    for budget in (None, 40):
        model = tiny_model()
        model.add_head("tags", "tagging", 5)
        for m in model.modules():
            if isinstance(m, torch.nn.Dropout):
                m.p = 0.0
        model.encoder.config.attention_probs_dropout_prob = 0.0
        cfg = LoopConfig(steps=3, lr=1e-2, seed=0, micro_tokens=budget, log_every=1)
        cuts = []
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(loop, "split_by_tokens", counting(cuts))
            train(model, task_loss(head), batcher.batch, cfg)
        assert all(len(c) > 1 for c in cuts) and len(cuts) == (3 if budget else 0)
        models[budget] = params_of(model)
    for name, value in models[None].items():
        assert torch.allclose(value, models[40][name], atol=1e-5), name
