"""Recovery from a `dvc repro` killed while DVC rewrote dvc.lock.

DVC rewrites the whole of dvc.lock in place after each stage (open with truncation, then a
YAML dump), so a SIGKILL at that moment (a pre-empted job, an OOM kill) leaves it empty or cut
short, and every later `dvc` command stops at "'./dvc.lock' validation failed". Stages cannot
hook into DVC's write, but each starts right after one: ``snapshot`` (called as every stage
starts) keeps a copy of the complete lock DVC has just written, with the hash of params.yaml
beside it.

``python -m xstilts.recovery`` then puts a damaged lock back together:

1. the snapshot becomes dvc.lock again: every stage finished before the last one started;
2. the last stage, if it finished (every output it declares was written after the snapshot)
   and params.yaml is what it ran with, is recorded by ``dvc commit`` under the dependencies
   it ran on; otherwise it is left to run again;
3. DVC's read/write lock entries of processes that no longer exist are dropped.

Then a plain `dvc repro` goes on. A stage killed before it finished never has its old outputs
recorded under new dependencies: its outputs are older than the snapshot, so it runs again.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

LOCK = "dvc.lock"
SNAPSHOTS = Path(".dvc") / "tmp" / "xstilts"


def _valid_lock(path: Path) -> dict | None:
    """The parsed lock, or None when it is empty, cut short or not DVC's lock format. A cut
    lock may still parse as YAML: DVC ends the file with a newline and gives every dependency
    and output a hash, which a cut mid-line or mid-entry loses. (A cut exactly between two
    entries passes; DVC then re-runs the stages it lost, which is slow but never wrong.)"""
    try:
        text = path.read_text()
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError):
        return None
    if not text.endswith("\n") or not isinstance(data, dict) or "schema" not in data \
            or not isinstance(data.get("stages"), dict):
        return None
    for entry in data["stages"].values():
        if not isinstance(entry, dict) or "cmd" not in entry:
            return None
        for item in [*entry.get("deps", []), *entry.get("outs", [])]:
            if not isinstance(item, dict) or "path" not in item or len(item) < 2:
                return None
    return data


def _sha(path: Path) -> str | None:
    return hashlib.sha1(path.read_bytes()).hexdigest() if path.is_file() else None


def snapshot(root: Path) -> None:
    """Keep a copy of ``root``'s dvc.lock if it is complete (a no-op outside a DVC
    repository or before the first stage has been recorded)."""
    lock = root / LOCK
    if not (root / ".dvc").is_dir() or _valid_lock(lock) is None:
        return
    out = root / SNAPSHOTS
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{LOCK}.tmp-{os.getpid()}"
    shutil.copyfile(lock, tmp)
    meta = {"params_sha": _sha(root / "params.yaml"), "time": time.time()}
    (out / f".meta.tmp-{os.getpid()}").write_text(json.dumps(meta))
    os.replace(tmp, out / LOCK)
    os.replace(out / f".meta.tmp-{os.getpid()}", out / "meta.json")


def _finished_after(root: Path, since: float) -> list[str]:
    """Stages whose declared outputs all exist and were all written after ``since``."""
    from dvc.repo import Repo

    finished = []
    with Repo(str(root)) as repo:
        for stage in repo.index.stages:
            outs = [Path(o.fs_path) for o in stage.outs]
            if outs and all(p.exists() and p.stat().st_mtime > since for p in outs):
                dvcfile = Path(stage.dvcfile.path).resolve()
                finished.append(stage.name if dvcfile == root.resolve() / "dvc.yaml"
                                else f"{dvcfile.relative_to(root.resolve())}:{stage.name}")
    return finished


def _drop_stale_rwlock(root: Path) -> int:
    """Entries of DVC's read/write lock whose process is gone (a killed `dvc repro`)."""
    path = root / ".dvc" / "tmp" / "rwlock"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return 0
    dropped = 0
    for mode in ("read", "write"):
        entries = data.get(mode, {})
        for key in list(entries):
            infos = entries[key] if isinstance(entries[key], list) else [entries[key]]
            alive = [i for i in infos if _alive(i.get("pid"))]
            dropped += len(infos) - len(alive)
            if not alive:
                del entries[key]
            elif isinstance(entries[key], list):
                entries[key] = alive
    if dropped:
        path.write_text(json.dumps(data))
    return dropped


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, TypeError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def recover(root: Path) -> list[str]:
    """Repair ``root``'s dvc.lock after a kill; returns what was done, one line each."""
    done = []
    stale = _drop_stale_rwlock(root)
    if stale:
        done.append(f"dropped {stale} read/write lock entries of ended processes")
    if _valid_lock(root / LOCK) is not None:
        return done + [f"{LOCK} is intact"]
    saved = root / SNAPSHOTS / LOCK
    if _valid_lock(saved) is None:
        raise SystemExit(f"error: {LOCK} is damaged and no snapshot of it was kept "
                         f"({saved}); restore it from git (`git checkout {LOCK}`) and run "
                         "`dvc repro`, which re-runs the stages recorded since")
    meta = json.loads((root / SNAPSHOTS / "meta.json").read_text())
    shutil.copyfile(saved, root / LOCK)
    done.append(f"{LOCK} restored from the snapshot taken as the last stage started")
    if meta["params_sha"] != _sha(root / "params.yaml"):
        return done + ["params.yaml changed since: the last stage will run again"]
    for stage in _finished_after(root, meta["time"]):
        subprocess.run(["dvc", "commit", "--force", stage], cwd=root, check=True,
                       capture_output=True)
        done.append(f"{stage}: finished before the kill, recorded")
    return done


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository")
    args = parser.parse_args(argv)
    for line in recover(args.root):
        print(f"recovery: {line}")


if __name__ == "__main__":
    sys.exit(main())
