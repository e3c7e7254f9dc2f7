"""Resume checkpoints: damaged or half-written checkpoints are never silently used, what
killed runs left is cleared, and every process resumes with its own random generators."""

import subprocess
import sys

import pytest
import torch

from tiny_training import params_of, tiny_model
from xstilts.train import checkpoint
from xstilts.train.checkpoint import CheckpointError


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
