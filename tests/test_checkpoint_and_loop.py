"""Resume checkpoints and the training loop: an interrupted and resumed run ends bit-identical
to an uninterrupted one; damaged or half-written checkpoints are never silently used."""

import math
import subprocess
import sys

import pytest
import torch
from transformers import XLMRobertaConfig, XLMRobertaModel

from xstilts.models.task_model import TaskModel
from xstilts.train import checkpoint
from xstilts.train.batching import BucketBatcher, collate
from xstilts.train.checkpoint import CheckpointError
from xstilts.train.loop import LoopConfig, Loss, NonFiniteLoss, train
from xstilts.train.objectives import task_loss

PAD = 1
VOCAB = 64


def tiny_model(init_seed: int = 0) -> TaskModel:
    torch.manual_seed(init_seed)
    config = XLMRobertaConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=64,
                              max_position_embeddings=40, type_vocab_size=1,
                              pad_token_id=PAD, bos_token_id=0, eos_token_id=2)
    return TaskModel(XLMRobertaModel(config), {"nli": {"type": "classification",
                                                      "num_labels": 3}})


def examples(n: int = 40, seed: int = 0) -> list[dict]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(n):
        length = int(torch.randint(3, 20, (1,), generator=g))
        ids = torch.randint(4, VOCAB, (length,), generator=g).tolist()
        out.append({"input_ids": [0, *ids, 2], "labels": i % 3})
    return out


class Interrupt(Exception):
    pass


def interrupting(batch_fn, at: int):
    def batch(step):
        if step == at:
            raise Interrupt(step)
        return batch_fn(step)
    return batch


def params_of(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


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


def test_frozen_embeddings_and_lower_layers_stay_as_they_were():
    model = tiny_model()
    model.freeze_lower(embeddings=True, layers=1)
    before = params_of(model)
    batcher = BucketBatcher(examples(12), batch_size=4, seed=0, pad_id=PAD)
    train(model, task_loss("nli"), batcher.batch, LoopConfig(steps=3, lr=1e-2))
    after = params_of(model)
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    frozen = ("encoder.embeddings.", "encoder.encoder.layer.0.")
    assert moved and not any(k.startswith(frozen) for k in moved)
    assert any(k.startswith("encoder.encoder.layer.1.") for k in moved)
    assert any(k.startswith("heads.nli.") for k in moved)
    with pytest.raises(ValueError, match="train.freeze_layers: 3"):
        tiny_model().freeze_lower(embeddings=False, layers=3)


def test_stale_temporary_directory_is_never_loaded(tmp_path):
    # complete files under a temporary name, never published by a `latest` pointer
    checkpoint.save(tmp_path, 4, tiny_model(), {})
    (tmp_path / "step-000004").rename(tmp_path / ".step-000004.tmp-123")
    (tmp_path / "latest").unlink()
    model = tiny_model(init_seed=5)
    before = params_of(model)
    assert checkpoint.load_latest(tmp_path, model) is None
    assert all(torch.equal(before[k], v) for k, v in params_of(model).items())


def test_latest_pointer_wins_over_stale_temporary_directory(tmp_path):
    model = tiny_model()
    checkpoint.save(tmp_path, 2, model, {"note": "complete"})
    half = tmp_path / ".step-000004.tmp-123"
    half.mkdir()
    (half / "model.safetensors").write_bytes(b"half")
    fresh = tiny_model(init_seed=7)
    state = checkpoint.load_latest(tmp_path, fresh)
    assert state["step"] == 2 and state["note"] == "complete"
    assert all(torch.equal(v, params_of(model)[k]) for k, v in params_of(fresh).items())


def test_save_clears_half_written_steps_of_killed_runs(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # a run that has ended, as a killed one has
    for leftover in (f".step-000004.tmp-{proc.pid}", f".latest.tmp-{proc.pid}"):
        (tmp_path / leftover).mkdir()
    checkpoint.save(tmp_path, 2, tiny_model(), {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "step-000002"]


def test_each_process_resumes_with_its_own_generators(tmp_path, monkeypatch):
    # Under torchrun rank 0 writes one file for all: every rank's RNG is in it.
    states = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        states.append(checkpoint.rng_state())
    checkpoint.save(tmp_path, 1, tiny_model(), {}, rng=states)
    torch.manual_seed(1)
    expected = torch.rand(3)
    torch.manual_seed(5)
    monkeypatch.setattr(checkpoint.ranks, "rank", lambda: 1)
    checkpoint.load_latest(tmp_path, tiny_model())
    assert torch.equal(torch.rand(3), expected)


def test_save_restores_rng_state(tmp_path):
    torch.manual_seed(0)
    checkpoint.save(tmp_path, 1, tiny_model(), {})
    expected = torch.rand(3)
    torch.manual_seed(1)
    checkpoint.load_latest(tmp_path, tiny_model())
    assert torch.equal(torch.rand(3), expected)


def test_corrupted_weights_raise_checkpoint_error_naming_the_path(tmp_path):
    checkpoint.save(tmp_path, 3, tiny_model(), {})
    weights = tmp_path / "step-000003" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(CheckpointError) as info:
        checkpoint.load_latest(tmp_path, tiny_model())
    assert str(tmp_path / "step-000003") in str(info.value)
    assert f"delete {tmp_path}" in str(info.value)


def test_nan_loss_raises_non_finite_loss(tmp_path):
    batcher = BucketBatcher(examples(12), batch_size=4, seed=0, pad_id=PAD)

    def nan_loss(model, batch):
        return Loss(model("nli", batch)["loss"] * float("nan"))

    cfg = LoopConfig(steps=5, lr=1e-3, log_every=2)
    with pytest.raises(NonFiniteLoss, match="at step 2"):
        train(tiny_model(), nan_loss, batcher.batch, cfg, tmp_path / "resume")


# --- batching -------------------------------------------------------------------------------

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
