"""kill -9 at random moments of every training stage, again and again: each re-run resumes
from the last complete checkpoint, and the run that finally completes ends with exactly the
metrics of an uninterrupted run.

Checkpoints are written every step here, so many kills land while one is being written. Each
kill waits until the resumed process has moved the checkpoint on, so every kill interrupts
training (not the interpreter's start-up) from a different resumed state.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tiny_profile import tiny_params

pytestmark = pytest.mark.slow

STEPS = {"pretrain": 40, "intermediate": 40, "finetune": 30}
KILLS = {"pretrain": 3, "intermediate": 4, "finetune": 3}  # 10 in all


def stage_cmd(stage: str, work: Path, tag: str) -> list[str]:
    common = ["--params", str(work / "params.yaml")]
    if stage == "pretrain":
        args = ["--corpus", f"{work}/data/corpus", "--out", f"{work}/out/{tag}",
                "--metrics", f"{work}/metrics/{tag}.json"]
    elif stage == "intermediate":
        args = ["--task", "mnli", "--seed", "0", "--pretrained", f"{work}/pretrained",
                "--data", f"{work}/data", "--out", f"{work}/out/{tag}",
                "--metrics", f"{work}/metrics/{tag}.json"]
    else:
        args = ["--intermediate", "none", "--targets", "xnli", "--seed", "0",
                "--model", f"{work}/inter", "--data", f"{work}/data",
                "--out", f"{work}/out/{tag}", "--metrics", f"{work}/metrics/{tag}.json"]
    return [sys.executable, "-m", f"xstilts.stages.{stage}", *common, *args]


def env(work: Path) -> dict:
    # DVC_ROOT puts resume checkpoints and the MLflow store under the work directory.
    return {**os.environ, "DVC_ROOT": str(work), "XSTILTS_THREADS": "1",
            "PYTHONWARNINGS": "ignore", "HF_HUB_OFFLINE": "1"}


def run(cmd, work):
    proc = subprocess.run(cmd, env=env(work), capture_output=True, text=True, cwd=work)
    assert proc.returncode == 0, proc.stderr[-3000:]


def metrics_of(work: Path, tag: str) -> dict:
    data = json.loads((work / "metrics" / f"{tag}.json").read_text())
    return data.get("metrics", data)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("kill")
    params = tiny_params()
    params["train"]["checkpoint_every"] = 1
    params["pretrain"]["steps"] = STEPS["pretrain"]
    params["intermediate"]["steps"] = STEPS["intermediate"]
    params["finetune"]["steps"] = STEPS["finetune"]
    (work / "params.yaml").write_text(yaml.safe_dump(params))
    (work / "dvc.yaml").write_text("stages: {}\n")  # marks the root for the stages
    run([sys.executable, "-m", "xstilts.stages.generate", "--params",
         str(work / "params.yaml"), "--out", str(work / "data")], work)
    # Uninterrupted runs: their outputs feed the later stages, their metrics are the
    # references of the kill chains.
    run(stage_cmd("pretrain", work, "pretrain-reference"), work)
    os.rename(work / "out" / "pretrain-reference", work / "pretrained")
    run(stage_cmd("intermediate", work, "intermediate-reference"), work)
    os.rename(work / "out" / "intermediate-reference", work / "inter")
    return work


def latest(checkpoints: Path) -> str | None:
    """The newest complete checkpoint's name, or None before the first."""
    pointers = list(checkpoints.glob("*/latest"))
    try:
        return pointers[0].read_text() if pointers else None
    except FileNotFoundError:  # replaced while reading
        return None


@pytest.mark.parametrize("stage", list(KILLS))
def test_killed_stage_resumes_to_identical_metrics(work, stage):
    reference = f"{stage}-reference"
    if not (work / "metrics" / f"{reference}.json").exists():  # the fixture ran the others
        run(stage_cmd(stage, work, reference), work)
    expected = metrics_of(work, reference)
    rng = random.Random(f"kill-{stage}")
    checkpoints = work / "checkpoints"
    tag = f"{stage}-killed"
    for kill in range(KILLS[stage]):
        before = latest(checkpoints)
        proc = subprocess.Popen(stage_cmd(stage, work, tag), env=env(work), cwd=work,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        # Wait until this process has written a checkpoint of its own, then kill it at a
        # random moment (often while it writes the next one).
        deadline = time.monotonic() + 120
        while latest(checkpoints) in (None, before) and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.4))
        assert proc.poll() is None, f"{stage} ended before kill {kill}: lower the delay"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert not (work / "out" / tag).exists()  # killed: no output published
    run(stage_cmd(stage, work, tag), work)
    assert metrics_of(work, tag) == expected, f"{stage} after {KILLS[stage]} kills"
    assert not any(checkpoints.glob("*/latest"))  # a finished stage leaves none behind
    assert not list((work / "out").glob(f".{tag}.*"))  # nor temporary copies of its output
