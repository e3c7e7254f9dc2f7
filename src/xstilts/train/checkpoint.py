"""Resume checkpoints: written atomically, never loaded half-written, never unpickled.

Layout of a resume directory::

    step-000400/model.safetensors   weights (safetensors: shared tensors handled)
    step-000400/state.pt            optimizer, scheduler, step, and every process's RNG
                                    (tensors and primitives)
    latest                          name of the newest complete step directory

A step directory is written under a temporary name and renamed when complete; ``latest`` is
replaced atomically after that, so a kill at any moment leaves the previous checkpoint valid.
"""

import os
import random
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_model, save_model

from xstilts import ranks
from xstilts.data.files import left_by_ended_run, remove
from xstilts.errors import StageError


class CheckpointError(StageError, RuntimeError):
    pass


def save(directory: Path, step: int, model: torch.nn.Module, state: dict,
         rng: list[dict] | None = None) -> None:
    """Write a complete checkpoint for ``step`` and point ``latest`` at it. ``rng``: every
    process's generators (:func:`rng_state` of each rank; default: this process's)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(".*.tmp-*"):  # half-written by a run that was killed
        if left_by_ended_run(stale):
            remove(stale)
    name = f"step-{step:06d}"
    tmp = directory / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_model(model, str(tmp / "model.safetensors"))
    torch.save({**state, "step": step, "rng": rng or [rng_state()]}, tmp / "state.pt")
    final = directory / name
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    pointer = directory / f".latest.tmp-{os.getpid()}"
    pointer.write_text(name)
    os.replace(pointer, directory / "latest")
    for old in directory.glob("step-*"):  # keep only the newest
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)


def load_latest(directory: Path, model: torch.nn.Module) -> dict | None:
    """Load the newest complete checkpoint into ``model``; return its state, or None."""
    pointer = directory / "latest"
    if not pointer.exists():
        return None
    path = directory / pointer.read_text().strip()
    try:
        load_model(model, str(path / "model.safetensors"))
        state = torch.load(path / "state.pt", weights_only=True)
    except Exception as err:  # a damaged file must name itself, not crash obscurely
        raise CheckpointError(f"resume checkpoint {path} is unreadable ({err}); "
                              f"delete {directory} to start this stage afresh") from err
    rng = state.pop("rng")
    # A list per rank; one process's dict in checkpoints written before there was one each.
    _set_rng_state(rng[ranks.rank()] if isinstance(rng, list) else rng)
    return state


def rng_state() -> dict:
    """This process's generators: torch's CPU and GPU ones (dropout and masks are drawn on
    the model's device) and Python's."""
    state = {"torch": torch.get_rng_state(), "python": list(random.getstate()[1])}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(rng: dict) -> None:
    torch.set_rng_state(rng["torch"])
    random.setstate((3, tuple(rng["python"]), None))
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
