"""Worker processes: they end with their parent, even one killed alone, and what a worker
logs comes back to the parent."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from xstilts.workers import pool, run_all


def _square(x: int, log) -> int:
    log({"x": float(x)}, x)
    return x * x


def test_workers_return_results_and_their_logs_in_order():
    logged, peaks = [], []
    with pool(2, 1) as executor:
        results = run_all(executor, _square, [1, 2, 3], log=lambda m, s: logged.append((m, s)),
                          on_peak=peaks.append)
    assert results == [1, 4, 9]
    assert logged == [({"x": 1.0}, 1), ({"x": 2.0}, 2), ({"x": 3.0}, 3)]
    assert len(peaks) == 3 and all(p > 0 for p in peaks)


def test_one_worker_runs_in_this_process():
    with pool(1, 1) as executor:
        assert executor is None
        assert run_all(executor, _square, [4], log=lambda m, s: None,
                       on_peak=lambda p: None) == [16]


WORKER_PARENT = """
import os, time
from xstilts.workers import pool

if __name__ == "__main__":
    with pool(2, 1) as executor:
        print(executor.submit(os.getpid).result(), flush=True)
        executor.submit(time.sleep, 600)
        time.sleep(600)
"""


def test_fine_tuning_workers_end_with_a_killed_stage(tmp_path):
    """A stage killed alone (not its process group) must not leave workers training into
    the resume directories its next attempt reads."""
    script = tmp_path / "parent.py"
    script.write_text(WORKER_PARENT)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    worker = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 20
    while not worker_gone(worker):
        assert time.monotonic() < deadline, f"worker {worker} outlived its killed parent"
        time.sleep(0.05)


def worker_gone(pid: int) -> bool:
    """Ended, or a zombie that nobody has reaped yet."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except FileNotFoundError:
        return True
