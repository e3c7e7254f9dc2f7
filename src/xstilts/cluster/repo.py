"""The study's repository as the cluster sees it: the DVC stage graph and what is out of
date, a git bundle of the working tree that travels to the nodes, and each finished stage's
dvc.lock entry, files and outputs brought into a workspace (``python -m xstilts.cluster``)."""

import os
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from xstilts.config import ParamsError, load_params

LOCAL_STAGES = ("params",)  # run by the submitting machine: it validates params.yaml
SERVER_SCHEMES = ("http://", "https://", "postgresql", "mysql", "databricks")
SUBMIT_REF = "refs/xstilts/submit"


class ClusterError(Exception):
    """A submission that cannot start or did not finish; the message says which and why."""


@dataclass
class StageResult:
    """What a stage's task sends home: its dvc.lock entry, the contents of its outputs DVC
    does not cache, and where it ran."""

    name: str
    lock: dict
    files: dict[str, bytes] = field(default_factory=dict)
    host: str = ""
    devices: str | None = None  # CUDA_VISIBLE_DEVICES as the stage saw it
    seconds: float = 0.0


@dataclass(frozen=True)
class Submission:
    """The study as the submitting machine has it: a git bundle holding its commit and a
    commit of its working tree (uncommitted changes and overrides included)."""

    bundle: bytes
    baseline: str  # HEAD: ``git show HEAD:params.yaml`` names the committed study
    worktree: str
    remote_url: str


# --- the submitting machine ----------------------------------------------------------------

def run(cmd: list[str], cwd: Path, env: dict | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode:
        tail = (proc.stdout + proc.stderr).strip()[-4000:]
        raise ClusterError(f"`{' '.join(cmd)}` failed in {cwd}:\n{tail}")
    return proc.stdout


def apply_overrides(repo: Path, overrides: list[str]) -> None:
    """``key=value`` into params.yaml as ``dvc exp run -S`` does: existing keys only, values
    read as YAML, the file's comments and order kept."""
    from dvc.utils.serialize import modify_yaml

    with modify_yaml(repo / "params.yaml") as data:
        for item in overrides:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise ClusterError(f"-S {item}: expected key=value")
            *parents, last = key.split(".")
            node = data
            for part in parents:
                if not isinstance(node, dict) or part not in node:
                    raise ClusterError(f"-S {item}: params.yaml has no key {key!r}")
                node = node[part]
            if not isinstance(node, dict) or last not in node:
                raise ClusterError(f"-S {item}: params.yaml has no key {key!r}")
            node[last] = yaml.safe_load(value)


def check_tracking(repo: Path) -> None:
    try:
        params = load_params(repo / "params.yaml")
    except ParamsError as err:
        raise ClusterError(str(err)) from None
    uri = params.tracking.uri
    if not uri or not uri.startswith(SERVER_SCHEMES):
        raise ClusterError(
            f"tracking.uri: {uri!r} is a store on this machine; the stages of a cluster log "
            "to one MLflow server (docs/real-study.md, 'A tracking server for many writers'): "
            "set tracking.uri or pass -S tracking.uri=http://<server>:5000")


def pipeline(repo: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(graph, uncached) of dvc.yaml, from one read of DVC's index: every stage, in an order
    where a stage follows those it reads, mapped to the stages it reads; and per stage, its
    outputs that DVC keeps out of its cache (metrics, small files), which travel as bytes
    since ``dvc push`` never sends them."""
    import networkx as nx
    from dvc.repo import Repo

    with Repo(str(repo)) as dvc:
        graph = dvc.index.graph  # edges run from a stage to a stage it depends on
        order = list(reversed(list(nx.topological_sort(graph))))
        return ({s.name: sorted(d.name for d in graph.successors(s)) for s in order},
                {s.name: [o.def_path for o in s.outs if not o.use_cache] for s in order})


def stages_to_run(repo: Path, graph: dict[str, list[str]]) -> list[str]:
    """The stages ``dvc repro`` would run, in graph order: those DVC reports as changed and
    every stage that reads one of them."""
    import json

    changed = set(json.loads(run(["dvc", "status", "--json"], repo) or "{}"))
    changed -= set(LOCAL_STAGES)
    out = []
    for name, deps in graph.items():
        if name in changed or any(d in out for d in deps):
            out.append(name)
    return out


def snapshot(repo: Path, remote: str | None) -> Submission:
    """A bundle of HEAD and of a commit of the working tree (tracked and untracked files
    git does not ignore), made with a private index so the user's staging is untouched."""
    head = run(["git", "rev-parse", "HEAD"], repo).strip()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        run(["git", "read-tree", "HEAD"], repo, env)
        run(["git", "add", "-A"], repo, env)
        tree = run(["git", "write-tree"], repo, env).strip()
        worktree = run(["git", "-c", "user.name=xstilts", "-c", "user.email=xstilts@localhost",
                        "commit-tree", tree, "-p", head, "-m", "xstilts cluster submission"],
                       repo).strip()
        run(["git", "update-ref", SUBMIT_REF, worktree], repo)
        bundle = Path(tmp) / "study.bundle"
        run(["git", "bundle", "create", str(bundle), SUBMIT_REF], repo)
        data = bundle.read_bytes()
    return Submission(data, head, worktree, remote_url(repo, remote))


def remote_url(repo: Path, name: str | None) -> str:
    """The URL of the DVC remote ``name`` (default: the repository's default remote), as
    every node will reach it."""
    from dvc.repo import Repo

    with Repo(str(repo)) as dvc:
        remotes = dvc.config["remote"]
        name = name or dvc.config["core"].get("remote")
        if not name or name not in remotes:
            known = ", ".join(remotes) or "none"
            raise ClusterError(f"--remote {name}: no such DVC remote (configured: {known}); "
                               "add the shared one: `dvc remote add -d shared <url>`")
        url = remotes[name]["url"]
    if "://" not in url and not Path(url).is_absolute():
        url = str((repo / ".dvc" / url).resolve())
    return url


def locked_results(repo: Path, names: list[str], uncached: dict[str, list[str]]
                   ) -> dict[str, StageResult]:
    """The results of the stages of ``names`` that the submitting machine's dvc.lock holds
    (up to date, or run here)."""
    lock_path = repo / "dvc.lock"
    stages = (yaml.safe_load(lock_path.read_text()) or {}).get("stages", {}) \
        if lock_path.is_file() else {}
    return {n: StageResult(n, stages[n], read_files(repo, uncached[n]), socket.gethostname())
            for n in names if n in stages}


def read_files(repo: Path, paths: list[str]) -> dict[str, bytes]:
    """The files at ``paths`` (files or folders) under ``repo``, by relative path."""
    out = {}
    for rel in paths:
        top = repo / rel
        for f in [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []:
            if f.is_file():
                out[f.relative_to(repo).as_posix()] = f.read_bytes()
    return out


def bring_home(repo: Path, result: StageResult, order: list[str]) -> None:
    """Write the stage's files and its dvc.lock entry (each atomically), then pull its
    outputs from the remote."""
    for rel, data in result.files.items():
        _write_atomic(repo / rel, data)
    lock_path = repo / "dvc.lock"
    lock = yaml.safe_load(lock_path.read_text()) if lock_path.is_file() else None
    lock = lock or {"schema": "2.0", "stages": {}}
    stages = {**lock["stages"], result.name: result.lock}
    lock["stages"] = {n: stages[n] for n in sorted(stages, key=_rank(order))}
    _write_atomic(lock_path, yaml.safe_dump(lock, sort_keys=False).encode())
    if any(not any(f == o["path"] or f.startswith(o["path"] + "/") for f in result.files)
           for o in result.lock.get("outs", [])):
        run(["dvc", "pull", "--quiet", result.name], repo)


def _rank(order: list[str]):
    return lambda name: order.index(name) if name in order else len(order)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


