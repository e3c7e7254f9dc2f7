"""`python -m xstilts.recovery` on a two-stage DVC repository whose dvc.lock a kill emptied:
a stage that finished is recorded, one killed mid-run is left to run again."""

import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from xstilts import recovery

PIPELINE = {"stages": {
    "first": {"cmd": "python -c \"import yaml; open('a.txt', 'w').write(str(yaml.safe_load("
                     "open('params.yaml'))['n']))\"",
              "params": ["n"], "outs": [{"a.txt": {"persist": True}}]},
    "second": {"cmd": "cp a.txt b.txt", "deps": ["a.txt"], "outs": [{"b.txt": {"persist": True}}]},
}}


def dvc(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["dvc", *args], cwd=repo, capture_output=True, text=True, check=True,
                          env={**os.environ, "DVC_NO_ANALYTICS": "1"})


@pytest.fixture
def repo(tmp_path) -> Path:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    dvc(tmp_path, "init", "-q")
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(PIPELINE))
    (tmp_path / "params.yaml").write_text("n: 1\n")
    dvc(tmp_path, "repro")
    return tmp_path


def stage_starts(repo: Path) -> None:
    """What every xstilts stage does first (stages.cli.run)."""
    recovery.snapshot(repo)
    time.sleep(0.01)  # outputs written from now on are newer than the snapshot


def changed(repo: Path) -> set[str]:
    return set(yaml.safe_load(dvc(repo, "status", "--json").stdout or "{}") or {})


def test_a_stage_that_finished_before_the_kill_is_recorded(repo):
    (repo / "params.yaml").write_text("n: 2\n")
    dvc(repo, "repro", "first")
    stage_starts(repo)  # `second` starts, finishes; the kill lands in DVC's lock write
    (repo / "b.txt").write_text((repo / "a.txt").read_text())
    (repo / "dvc.lock").write_text("")
    done = recovery.recover(repo)
    assert any("second: finished before the kill, recorded" in line for line in done)
    assert changed(repo) == set()


def test_a_stage_killed_mid_run_runs_again(repo):
    (repo / "params.yaml").write_text("n: 2\n")
    dvc(repo, "repro", "first")
    stage_starts(repo)  # `second` starts and is killed before it writes b.txt
    (repo / "dvc.lock").write_text("schema: '2.0'\nstages:\n  first:\n    cmd: pyth")
    recovery.recover(repo)
    assert changed(repo) == {"second"}  # its old output is not recorded under the new a.txt
    dvc(repo, "repro")
    assert (repo / "b.txt").read_text() == "2"


def test_changed_params_leave_the_last_stage_to_run_again(repo):
    stage_starts(repo)
    (repo / "b.txt").write_text("1")
    (repo / "dvc.lock").write_text("")
    (repo / "params.yaml").write_text("n: 3\n")
    assert recovery.recover(repo)[-1].startswith("params.yaml changed since")
    assert "first" in changed(repo)


def test_an_intact_lock_is_left_alone_and_a_lost_one_points_to_git(repo):
    before = (repo / "dvc.lock").read_text()
    assert recovery.recover(repo)[-1] == "dvc.lock is intact"
    assert (repo / "dvc.lock").read_text() == before
    (repo / "dvc.lock").write_text("")  # damaged before any xstilts stage kept a copy
    with pytest.raises(SystemExit, match="git checkout dvc.lock"):
        recovery.recover(repo)
