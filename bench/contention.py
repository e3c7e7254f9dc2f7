"""Stage times alone and beside another CPU-bound process: the quick profile's `intermediate`
and `finetune` stages of one intermediate task, re-run from a finished study.

    python bench/contention.py                       # intermediate and finetune of mnli
    python bench/contention.py --task squad --repeat 2

Run it where the quick profile has run (`python -m xstilts.publish quick`, or the README's
quick start): the stages' commands are read from dvc.lock and run in a scratch directory that
links the study's data and models read-only, so nothing of the study is written. "Busy" runs a
`while True: pass` process beside the stage, as a user's editor, browser or second
`dvc exp run` would. Prints the CPU, each stage's time alone and busy, and their ratio.
"""

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from xstilts.publish import machine


def stage_cmd(root: Path, stage: str, scratch: Path) -> list[str]:
    """The stage's command from dvc.lock, writing its outputs under ``scratch``."""
    lock = yaml.safe_load((root / "dvc.lock").read_text())["stages"]
    if stage not in lock:
        sys.exit(f"error: {stage} is not in dvc.lock: run the quick profile first")
    args = shlex.split(lock[stage]["cmd"])
    for flag in ("--out", "--metrics"):
        if flag in args:
            i = args.index(flag) + 1
            args[i] = str(scratch / "out" / args[i])
    return [sys.executable, *args[1:]]


def timed(cmd: list[str], cwd: Path, busy: bool) -> float:
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
        return time.perf_counter() - start
    finally:
        if hog:
            hog.kill()
            hog.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="mnli")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--stage", choices=("intermediate", "finetune"), action="append",
                        help="only these stages (default: both)")
    args = parser.parse_args()
    root = Path.cwd()
    for key, value in machine(root).items():
        print(f"{key}: {value}")
    for var in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):
        print(f"{var}: {os.environ.get(var, 'not set')}")
    print("\n| stage | alone (s) | beside a busy process (s) | ratio |\n|---|---|---|---|")
    for kind in args.stage or ("intermediate", "finetune"):
        stage = f"{kind}@{args.task}-{args.seed}"
        alone, busy = [], []
        for _ in range(args.repeat):
            for result, hog in ((alone, False), (busy, True)):
                with tempfile.TemporaryDirectory() as tmp:
                    scratch = Path(tmp)
                    for name in ("data", "models", "params.yaml"):
                        (scratch / name).symlink_to(root / name)
                    result.append(timed(stage_cmd(root, stage, scratch), scratch, hog))
        a, b = min(alone), min(busy)
        print(f"| {stage} | {a:.1f} | {b:.1f} | {b / a:.2f} |", flush=True)


if __name__ == "__main__":
    main()
