"""Kill bench: SIGKILL a tiny-profile `dvc repro` again and again, recover each time with the
documented command, and check that the finished study equals an uninterrupted run.

    python bench/kill.py                      # 20 kills, at least 5 of them in DVC's lock write
    python bench/kill.py --kills 6 --seed 3

A kill goes to the whole process group of `dvc repro` (DVC and the stage it runs), as a
pre-empted job's would. It lands either at a random moment of the run or the moment DVC prints
"Updating lock file" (the in-place rewrite of dvc.lock that a kill can leave empty). After
each kill: `python -m xstilts.recovery`, then the next `dvc repro` goes on from there. When a
run reaches the end, its metrics are compared with the uninterrupted run's and the workspace is
emptied for the next build. Prints one line per kill and a summary; the seed is printed first.
Not part of the test suite: about 15 minutes on 2 cores.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from tiny_profile import TINY, merge  # noqa: E402
from xstilts.publish import machine  # noqa: E402

LOCK_LINE = "Updating lock file"
OUTPUTS = ("dvc.lock", "data/synthetic", "data/params", "models", "metrics", "reports",
           "checkpoints", ".dvc/tmp/xstilts")


def env(repo: Path) -> dict[str, str]:
    # The repository's own copy of the code (not the editable install's), one thread a stage
    # (runs are bit-identical), and DVC's lines as they come.
    return {**os.environ, "PYTHONPATH": str(repo / "src"), "HF_HUB_OFFLINE": "1",
            "PYTHONWARNINGS": "ignore", "XSTILTS_THREADS": "1", "DVC_NO_ANALYTICS": "1",
            "PYTHONUNBUFFERED": "1"}


def sh(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env(cwd), capture_output=True, text=True)
    if check and proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed in {cwd}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return proc


def make_repo(path: Path) -> Path:
    """The committed code (HEAD) and the tiny profile, in a fresh git + DVC repository."""
    path.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(path)], input=archive, check=True)
    committed = yaml.safe_load((path / "params.yaml").read_text())
    (path / "params.yaml").write_text(yaml.safe_dump(merge(committed, TINY), sort_keys=False))
    (path / "mlruns").mkdir(exist_ok=True)
    sh(["git", "init", "-q"], path)
    if not (path / ".dvc").is_dir():
        sh(["dvc", "init", "-q"], path)
    sh(["git", "add", "-A"], path)
    sh(["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "init"], path)
    return path


def metrics(repo: Path) -> dict:
    out = {}
    for f in sorted((repo / "metrics").rglob("*.json")):
        data = json.loads(f.read_text())
        data = data.get("metrics", data)
        out[str(f.relative_to(repo))] = {k: v for k, v in data.items()
                                         if not k.endswith("_seconds")}
    return out


def lock_state(repo: Path) -> str:
    lock = repo / "dvc.lock"
    if not lock.exists():
        return "absent"
    text = lock.read_text()
    if not text:
        return "empty"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return f"cut ({len(text)} bytes, not YAML)"
    if not isinstance(data, dict) or not isinstance(data.get("stages"), dict):
        return f"cut ({len(text)} bytes)"
    return "intact"


def repro_until_kill(repo: Path, at_lock: int | None, delay: float | None) -> tuple[bool, str]:
    """Run `dvc repro`; kill its process group at the ``at_lock``-th "Updating lock file" line
    or after ``delay`` seconds. Returns (killed, the last line printed)."""
    proc = subprocess.Popen(["dvc", "repro"], cwd=repo, env=env(repo), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    last, seen, killed = [""], [0], threading.Event()

    def kill():
        if not killed.is_set():
            killed.set()
            os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(delay, kill) if delay is not None else None
    if timer:
        timer.start()
    for line in proc.stdout:
        if LOCK_LINE in line:
            seen[0] += 1
            if at_lock is not None and seen[0] == at_lock:
                kill()
                last[0] = line.strip()
                break
        if line.strip():
            last[0] = line.strip()
    proc.wait()
    if timer:
        timer.cancel()
    if not killed.is_set() and proc.returncode:
        sys.exit(f"dvc repro failed without a kill in {repo}: {last[0]}")
    return killed.is_set(), last[0]


def reset(repo: Path) -> None:
    for item in OUTPUTS:
        path = repo / item
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for run in (repo / "mlruns").iterdir():
        if run.name != ".gitkeep":
            shutil.rmtree(run) if run.is_dir() else run.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--at-lock", type=int, default=8, help="kills at the lock write")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 10_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="xstilts-kill-"))
    stamp = machine(ROOT)
    print(f"kill bench: seed {args.seed}, {args.kills} kills ({args.at_lock} at the lock "
          f"write), {stamp['CPU']} ({stamp['CPU flags']}), in {work}", flush=True)

    ref = make_repo(work / "reference")
    start = time.perf_counter()
    sh(["dvc", "repro"], ref)
    ref_seconds = time.perf_counter() - start
    expected = metrics(ref)
    lock_writes = len(yaml.safe_load((ref / "dvc.lock").read_text())["stages"])
    print(f"uninterrupted run: {ref_seconds:.0f} s, {lock_writes} stages, "
          f"{len(expected)} metrics files", flush=True)

    repo = make_repo(work / "killed")
    modes = ["lock"] * args.at_lock + ["random"] * (args.kills - args.at_lock)
    rng.shuffle(modes)
    rows, builds, pending = [], [], []
    while modes or pending:
        mode = modes.pop() if modes else None
        at_lock = rng.randint(1, lock_writes) if mode == "lock" else None
        delay = rng.uniform(1.0, ref_seconds) if mode == "random" else None
        if mode is None:  # kills done: finish the build
            killed, last = repro_until_kill(repo, None, None)
        else:
            killed, last = repro_until_kill(repo, at_lock, delay)
        if killed:
            state = lock_state(repo)
            rec = sh([sys.executable, "-m", "xstilts.recovery"], repo, check=False)
            status = sh(["dvc", "status", "--json"], repo, check=False)
            ok = rec.returncode == 0 and status.returncode == 0
            rows.append({"n": len(rows) + 1, "mode": mode, "at": at_lock or f"{delay:.1f} s",
                         "last": last[:70], "lock": state, "ok": ok,
                         "recovery": " | ".join(line.removeprefix("recovery: ")
                                                for line in rec.stdout.splitlines())
                         or rec.stderr.strip()[-200:]})
            pending.append(rows[-1])
            r = rows[-1]
            print(f"kill {r['n']:2d} {r['mode']:6s} at {r['at']!s:>7}: lock {r['lock']}; "
                  f"{'recovered' if ok else 'NOT RECOVERED'}: {r['recovery']}  "
                  f"[{r['last']}]", flush=True)
            if not ok:
                sys.exit(f"recovery failed:\n{rec.stdout}{rec.stderr}{status.stderr}")
            continue
        if mode is not None:  # the run ended before its kill came: keep the kill for later
            modes.append(mode)
        got = metrics(repo)  # the run reached the end
        same = got == expected
        if not same:
            diff = sorted(k for k in expected.keys() | got.keys()
                          if expected.get(k) != got.get(k))
            print(f"  metrics differ from the uninterrupted run: {diff}", flush=True)
        for r in pending:
            r["identical"] = same
        builds.append((len(pending), same))
        print(f"build {len(builds)}: finished after {len(pending)} kills; metrics "
              f"{'identical' if same else 'DIFFERENT'}", flush=True)
        pending = []
        reset(repo)

    damaged = [r for r in rows if r["lock"] != "intact"]
    good = sum(r["ok"] and r.get("identical", False) for r in rows)
    print(f"\n{good}/{len(rows)} kills recovered to metrics identical to the uninterrupted run "
          f"({len(builds)} builds)")
    print(f"kills at the lock write: {sum(r['mode'] == 'lock' for r in rows)}; dvc.lock "
          f"damaged by {len(damaged)} kills ({', '.join(r['lock'] for r in damaged) or '-'}), "
          f"each repaired by `python -m xstilts.recovery`")
    sys.exit(0 if good == len(rows) else 1)


if __name__ == "__main__":
    main()
