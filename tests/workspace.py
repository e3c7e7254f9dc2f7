"""A fresh repository of the project for the end-to-end tests: the pipeline, the code and a
params profile, committed in git with DVC initialised, and the commands run in it."""

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import yaml

from tiny_profile import ROOT, tiny_params


def make_repo(path: Path, params: dict | None = None) -> Path:
    """A fresh git + DVC repository holding the project's pipeline and the tiny profile (or
    ``params``)."""
    path.mkdir()
    for item in ("dvc.yaml", "src", "assets", ".dvcignore", ".gitignore", "README.md",
                 "bench"):
        src = ROOT / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, path / item)
    params = params or tiny_params()
    (path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["git", "init", "-q"], path)
    run(["dvc", "init", "-q"], path)
    run(["git", "add", "-A"], path)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"], path)
    return path


def pipeline_env() -> dict[str, str]:
    """The environment of every command a test runs: offline, one thread a stage."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore",
            "XSTILTS_THREADS": "1", "DVC_NO_ANALYTICS": "1"}


def run(cmd: list[str], cwd: Path, check: bool = True, env: dict | None = None
        ) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env or pipeline_env(), capture_output=True,
                          text=True)
    if check and proc.returncode:
        raise AssertionError(f"{cmd} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def tree_digest(*dirs: Path) -> str:
    h = hashlib.sha1()
    for d in dirs:
        for f in sorted(p for p in d.rglob("*") if p.is_file()):
            h.update(str(f).encode() + f.read_bytes())
    return h.hexdigest()


def metrics(repo: Path) -> dict:
    files = sorted((repo / "metrics").rglob("*.json"))
    out = {}
    for f in files:
        data = json.loads(f.read_text())
        out[str(f.relative_to(repo))] = data.get("metrics", data)
    return out


def clone(built: Path, path: Path) -> Path:
    """A git clone of the built repository at its committed state, with its DVC cache: the
    stages whose inputs are unchanged are checked out, not run again."""
    run(["git", "clone", "-q", str(built), str(path)], built.parent)
    shutil.copytree(built / ".dvc" / "cache", path / ".dvc" / "cache")
    return path
