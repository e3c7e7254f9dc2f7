"""What every stage entry point shares: argument parsing, params, seeding, threads."""

import argparse
import hashlib
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

import torch

from xstilts.config import Params, ParamsError, TrainParams, load_params
from xstilts.tracking import repo_root
from xstilts.train import distributed
from xstilts.train.loop import LoopConfig
from xstilts.train.precision import native_bf16, use_bf16


def parse(description: str, argv, add_args=None) -> tuple[argparse.Namespace, Params]:
    """Parse the stage's arguments and validate params.yaml before any work starts."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--params", default="params.yaml", help="path of params.yaml")
    if add_args:
        add_args(parser)
    args = parser.parse_args(argv)
    quiet_libraries()
    distributed.init()  # under torchrun: join the process group
    try:
        params = load_params(args.params)
    except ParamsError as err:
        sys.exit(f"error: {err}")
    return args, params


def quiet_libraries() -> None:
    """Stage logs should show the study's progress, not every library's."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    # Small models on a few cores: more threads than cores only adds contention.
    torch.set_num_threads(int(os.environ.get("XSTILTS_THREADS", min(os.cpu_count() or 1, 8))))


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def eval_precision(train: TrainParams):
    """Autocast for scoring: a model trained under bf16 is scored in it too (HF Trainer does
    the same); on CPUs with bf16 arithmetic this halves the time of inference."""
    return torch.autocast(device().type, dtype=torch.bfloat16,
                          enabled=use_bf16(train.bf16, device()))


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


def run(main) -> None:
    """Run a stage's ``main``; the project's own errors end it with their message alone.
    Prints the stage's wall time and peak memory (bench/pipeline.py collects them)."""
    from xstilts.data.files import DataFileError
    from xstilts.data.hub import HubError
    from xstilts.tracking import TrackingError
    from xstilts.train.checkpoint import CheckpointError
    from xstilts.train.loop import NonFiniteLoss

    start = time.perf_counter()
    try:
        main()
    except (DataFileError, HubError, TrackingError, CheckpointError, NonFiniteLoss,
            FileNotFoundError) as err:
        sys.exit(f"error: {err}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(f"[xstilts] {Path(sys.argv[0]).stem}: {time.perf_counter() - start:.1f} s, "
          f"peak RSS {peak_mib:.0f} MiB", file=sys.stderr)


def max_length(params: Params, task_type: str) -> int:
    """Input length for a task type (XTREME: 384 for QA, 128-256 elsewhere)."""
    return params.train.max_length_by_type.get(task_type, params.train.max_length)


def languages_of(params: Params, task: str) -> list[str]:
    """The study's languages that ``task`` has: all of them offline; on the hub, XTREME's
    list for the task (XNLI has 15 of the 40 languages, BUCC 4)."""
    if params.data.source == "hf":
        from xstilts.data.hub import task_languages

        return task_languages(task, params.data.languages)
    return list(params.data.languages)


def loop_config(train: TrainParams, steps: int, lr: float, seed: int,
                grad_accum: int | None = None) -> LoopConfig:
    """The loop settings of ``params.train`` for one phase's steps and learning rate."""
    return LoopConfig(steps=steps, lr=lr, warmup_ratio=train.warmup_ratio,
                      weight_decay=train.weight_decay,
                      grad_accum=grad_accum or train.grad_accum,
                      max_grad_norm=train.max_grad_norm, seed=seed,
                      checkpoint_every=train.checkpoint_every,
                      bf16=use_bf16(train.bf16, device()),
                      compile=train.compile)
