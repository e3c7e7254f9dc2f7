"""Every stage's entry point: arguments, validated params, and errors that end in a message.

Kept free of torch and transformers, whose imports cost seconds: stages that only generate
data or write the report start in a fraction of that.
"""

import argparse
import contextlib
import os
import resource
import sys
import time
from pathlib import Path

from xstilts import ranks, recovery
from xstilts.config import Params, ParamsError, load_params
from xstilts.errors import StageError
from xstilts.train import distributed


def parse(description: str, argv, add_args=None, ddp: bool = False
          ) -> tuple[argparse.Namespace, Params]:
    """Parse the stage's arguments and validate params.yaml before any work starts. A stage
    that trains with DDP (``ddp``) starts again under torchrun when ``train.nproc`` > 1."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--params", default="params.yaml", help="path of params.yaml")
    if add_args:
        add_args(parser)
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params)
    except ParamsError as err:
        sys.exit(f"error: {err}")
    if ddp and params.train.nproc > 1 and ranks.world_size() == 1:
        os.execv(sys.executable, torchrun_command(params.train.nproc, argv))
    if "torch" in sys.modules:  # a stage that trains or scores models
        import torch

        torch.set_num_threads(threads())  # once, at the start of the process
        quiet_libraries()
        distributed.init()  # under torchrun: join the process group
    return args, params


def torchrun_command(nproc: int, argv=None) -> list[str]:
    """This stage's command line under torchrun, ``nproc`` processes on this node (DVC runs
    the stage's command; the stage itself starts torchrun, so dvc.yaml stays as it is)."""
    stage = Path(sys.argv[0]).stem
    return [sys.executable, "-m", "torch.distributed.run", "--standalone",
            f"--nproc_per_node={nproc}", "-m", "xstilts.stages", stage,
            *(sys.argv[1:] if argv is None else argv)]


def threads() -> int:
    """Threads of a stage's process: ``XSTILTS_THREADS``, or one per core up to eight (small
    models on a few cores: more threads than cores only adds contention), shared by the
    processes of a torchrun stage. Several stages on one machine (``dvc queue start -j 2``)
    want ``XSTILTS_THREADS=1``."""
    if "XSTILTS_THREADS" in os.environ:
        return int(os.environ["XSTILTS_THREADS"])
    return max(1, min(os.cpu_count() or 1, 8) // ranks.world_size())


def quiet_libraries() -> None:
    """Stage logs should show the study's progress, not every library's."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


_worker_peak_mib = 0.0


def note_worker_peak(mib: float) -> None:
    """A worker process's peak RSS, for the stage's closing line. The children's rusage is
    no measure: it also counts helpers forked for a moment, such as ctypes' ``ldconfig -p``,
    at the size of the process that forked them."""
    global _worker_peak_mib
    _worker_peak_mib = max(_worker_peak_mib, mib)


def run(main) -> None:
    """Run a stage's ``main``; the project's own errors end it with their message alone.
    Prints the stage's wall time and peak memory (bench/pipeline.py collects them)."""
    start = time.perf_counter()
    # Under torchrun every rank runs the stage; rank 0 reports it, the others' summaries
    # would repeat it line for line. Their errors (stderr) still show.
    rank = ranks.rank()
    if not rank:  # DVC wrote a complete dvc.lock just before starting this stage
        recovery.snapshot(Path.cwd())
    quiet = open(os.devnull, "w") if rank else contextlib.nullcontext(sys.stdout)
    try:
        with quiet as out, contextlib.redirect_stdout(out):
            main()
    except (StageError, FileNotFoundError) as err:
        sys.exit(f"error: {err}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    stage = Path(sys.argv[0]).stem + (f" (rank {rank})" if rank else "")
    # Worker processes (finetune on CPUs) hold their own models: name the largest one's peak.
    print(f"[xstilts] {stage}: {time.perf_counter() - start:.1f} s, "
          f"peak RSS {peak_mib:.0f} MiB"
          + (f", each worker's up to {_worker_peak_mib:.0f} MiB" if _worker_peak_mib else ""),
          file=sys.stderr)
