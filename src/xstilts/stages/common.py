"""What the stages that train or score models share: seeding, threads, device, precision,
resume directories and loop settings (their entry point is ``stages.cli``)."""

import hashlib
import json
import os
import random
from pathlib import Path

import torch

from xstilts.config import Params, TrainParams
from xstilts.stages.cli import threads
from xstilts.tracking import repo_root
from xstilts.train import distributed
from xstilts.train.batching import EvalBatch
from xstilts.train.loop import LoopConfig
from xstilts.train.precision import native_bf16, use_bf16


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


def worker_count(jobs: int) -> int:
    """Processes in which a stage runs ``jobs`` independent trainings at once. Operations on
    tensors of the offline world's size keep a second thread poorly busy, so on a CPU
    one-thread processes side by side train faster than one process with every thread (two
    on two cores: a fine-tuning stage 1.22x). One on a GPU (a single device) and under
    torchrun."""
    if "XSTILTS_WORKERS" in os.environ:
        return max(1, min(jobs, int(os.environ["XSTILTS_WORKERS"])))
    if device().type != "cpu" or distributed.active():
        return 1
    return max(1, min(jobs, threads()))


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def eval_precision(train: TrainParams):
    """Autocast for scoring: a model trained under bf16 is scored in it too (HF Trainer does
    the same); on CPUs with bf16 arithmetic this halves the time of inference."""
    return torch.autocast(device().type, dtype=torch.bfloat16,
                          enabled=use_bf16(train.bf16, device()))


def eval_batch(params: Params) -> EvalBatch:
    """Inference batch limits (``eval.batch_size``, ``eval.batch_tokens``)."""
    return EvalBatch(params.eval.batch_size, params.eval.batch_tokens)


def save_dtype(train: TrainParams) -> torch.dtype:
    """The dtype checkpoints are saved in (``train.save_dtype``): "auto" is bf16 where the
    loop trains under bf16 autocast on this device."""
    bf16 = train.save_dtype == "bf16" or (train.save_dtype == "auto"
                                          and use_bf16(train.bf16, device()))
    return torch.bfloat16 if bf16 else torch.float32


def resume_dir(stage: str, settings: dict) -> Path:
    """Where a stage keeps resume checkpoints: outside its DVC outputs (which DVC deletes
    before a re-run), under the repository root (which outlives ``dvc exp run --temp``), and
    keyed by the settings so a changed parameter never resumes a stale run (nor a run of
    other hardware, whose precision ``train.bf16: auto`` may have chosen otherwise)."""
    hardware = f"{device().type}, native bf16: {native_bf16(device())}"
    key = json.dumps({"stage": stage, "exp": os.environ.get("DVC_EXP_NAME", ""),
                      "hardware": hardware, **settings}, sort_keys=True, default=str)
    return repo_root() / "checkpoints" / f"{stage}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"


def fingerprint(directory: Path) -> str:
    """Content hash of a directory's files: resume keys must change when an input does."""
    h = hashlib.sha1()
    for f in sorted(p for p in directory.rglob("*") if p.is_file()):
        h.update(f.relative_to(directory).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def max_length(params: Params, task_type: str) -> int:
    """Input length for a task type (XTREME: 384 for QA, 128-256 elsewhere)."""
    return params.train.max_length_by_type.get(task_type, params.train.max_length)


def loop_config(train: TrainParams, steps: int | None, lr: float, seed: int,
                grad_accum: int | None = None, heads: bool = False) -> LoopConfig:
    """The loop settings of ``params.train`` for one phase's steps and learning rate;
    ``heads``: a phase that trains task heads (phases 1 and 2), whose steps may be cut into
    micro-batches by tokens (``train.micro_batch_tokens``)."""
    return LoopConfig(steps=steps, lr=lr, warmup_ratio=train.warmup_ratio,
                      weight_decay=train.weight_decay,
                      grad_accum=grad_accum or train.grad_accum,
                      max_grad_norm=train.max_grad_norm, seed=seed,
                      checkpoint_every=train.checkpoint_every,
                      bf16=use_bf16(train.bf16, device()),
                      compile=train.compile is True or (train.compile == "auto"
                                                        and device().type == "cuda"),
                      micro_tokens=train.micro_batch_tokens if heads else None,
                      pad_multiple=train.pad_to_multiple)
