"""Worker processes that run independent trainings side by side on a CPU.

Operations on tensors of the offline world's size keep a second thread poorly busy, so on a
CPU one-thread processes side by side train faster than one process with every thread. The
workers are spawned, not forked (a forked child of a process that has used OpenMP threads can
hang), and on Linux the kernel ends them with their parent, so a killed stage leaves none
training into the resume directories that its next attempt reads.
"""

import ctypes
import os
import resource
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _start(threads: int | None, parent: int, setup: Callable[[], None] | None) -> None:
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    if setup is not None:
        setup()


def _ready() -> None:
    """Nothing: submitting it starts a worker, which imports its modules meanwhile."""


@contextmanager
def pool(workers: int, threads: int | None,
         setup: Callable[[], None] | None = None) -> Iterator[ProcessPoolExecutor | None]:
    """``workers`` processes of ``threads`` torch threads each (None: work that loads no
    torch), started at once so that their imports overlap the parent's own setup; ``setup``
    runs first in each. None for one worker: run in this process."""
    if workers <= 1:
        yield None
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start,
                             initargs=(threads, os.getpid(), setup)) as executor:
        for _ in range(workers):
            executor.submit(_ready)
        yield executor


def _logged(fn: Callable, *args) -> tuple[object, list, float]:
    """``fn`` in a worker: what it logs comes back with its result (a worker records
    nothing itself), and so does the worker's peak RSS in MiB."""
    logged = []
    result = fn(*args, log=lambda metrics, step: logged.append((metrics, step)))
    return result, logged, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_all(executor: ProcessPoolExecutor | None, fn: Callable, jobs: list, *args,
            log: Callable, on_peak: Callable[[float], None]) -> list:
    """``fn(job, *args, log=log)`` for every job, in ``executor``'s workers if there is one;
    the workers' logs are passed to ``log`` here, their peak RSS to ``on_peak``."""
    if executor is None:
        return [fn(job, *args, log=log) for job in jobs]
    results = []
    for future in [executor.submit(_logged, fn, job, *args) for job in jobs]:
        result, logged, peak_mib = future.result()
        for metrics, step in logged:
            log(metrics, step)
        on_peak(peak_mib)
        results.append(result)
    return results
