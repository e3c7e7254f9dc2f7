"""``python -m xstilts.cluster submit``: each out-of-date stage as a Ray task in a fresh clone
on a node, started once the stages it reads are done, retried when it fails, and its results
brought home as they come (the package's docstring says why this way)."""

import argparse
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

import yaml

from xstilts.cluster.repo import (
    LOCAL_STAGES,
    SUBMIT_REF,
    ClusterError,
    StageResult,
    Submission,
    apply_overrides,
    bring_home,
    check_tracking,
    locked_results,
    pipeline,
    read_files,
    run,
    snapshot,
    stages_to_run,
)

TRAINING_STAGES = ("pretrain", "pretrain_clip", "intermediate", "finetune")
# What a stage on the submitting machine would see of its environment.
PASSED_ENV = ("XSTILTS_THREADS", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HOME")


# --- a node of the cluster -----------------------------------------------------------------

def run_stage(name: str, sub: Submission, upstream: list[StageResult], uncached: list[str],
              workdir: str | None = None) -> StageResult:
    """One stage in a fresh clone: pull what it reads, run it, push what it wrote, and
    return what DVC does not push (``uncached``) with its dvc.lock entry."""
    start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="xstilts-stage-", dir=workdir))
    try:
        bundle, repo = tmp / "study.bundle", tmp / "repo"
        bundle.write_bytes(sub.bundle)
        run(["git", "clone", "--quiet", "--no-checkout", str(bundle), str(repo)], tmp)
        run(["git", "fetch", "--quiet", str(bundle), f"{SUBMIT_REF}:{SUBMIT_REF}"], repo)
        # HEAD stays the submitting machine's commit; the files are its working tree.
        run(["git", "checkout", "--quiet", sub.baseline], repo)
        run(["git", "checkout", "--quiet", sub.worktree, "--", "."], repo)
        run(["git", "reset", "--quiet"], repo)
        run(["dvc", "remote", "add", "--local", "--force", "--default", "shared",
             sub.remote_url], repo)
        order = list(dict.fromkeys(r.name for r in upstream))
        for result in upstream:
            bring_home(repo, result, order)
        env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
        run(["dvc", "repro", "--single-item", name], repo, env)
        run(["dvc", "push", "--quiet", name], repo)
        lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"][name]
        files = read_files(repo, uncached)
        return StageResult(name, lock, files, socket.gethostname(),
                           os.environ.get("CUDA_VISIBLE_DEVICES"), time.monotonic() - start)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- the submission ------------------------------------------------------------------------

def resources(name: str, gpus: bool) -> dict:
    if name.split("@")[0] in TRAINING_STAGES and gpus:
        return {"num_gpus": 1, "num_cpus": 1}
    return {"num_cpus": 1}


def submit(repo: Path, address: str, overrides: list[str], remote: str | None = None,
           retries: int = 2, workdir: str | None = None, log=print) -> dict[str, StageResult]:
    """Run every out-of-date stage of ``repo``'s pipeline on the Ray cluster at ``address``
    and bring the results home. Returns the results of the stages that ran."""
    import ray

    repo = repo.resolve()
    if overrides:
        apply_overrides(repo, overrides)
    check_tracking(repo)
    run(["dvc", "repro", *LOCAL_STAGES], repo)  # validates params.yaml before any work
    graph, uncached = pipeline(repo)
    todo = stages_to_run(repo, graph)
    if not todo:
        log("Every stage is up to date; nothing to submit.")
        return {}
    done = locked_results(repo, [n for n in graph if n not in todo], uncached)
    needed = {d for n in todo for d in graph[n] if d in done}
    if needed - set(LOCAL_STAGES):  # the tasks pull these outputs from the shared remote
        run(["dvc", "push", "--quiet", *sorted(needed - set(LOCAL_STAGES))], repo)
    sub = snapshot(repo, remote)

    ray.init(address=address, log_to_driver=False,
             runtime_env={"env_vars": {k: os.environ[k] for k in PASSED_ENV
                                       if k in os.environ}})
    try:
        gpus = ray.cluster_resources().get("GPU", 0) > 0
        task = ray.remote(run_stage)
        bundle = ray.put(sub)
        log(f"Submitting {len(todo)} stages to the Ray cluster at {address} "
            f"({'one GPU' if gpus else 'one CPU'} per training stage).")
        ran, attempts, failed, inflight = {}, {}, {}, {}

        def launch(name):
            attempts[name] = attempts.get(name, 0) + 1
            ref = task.options(max_retries=0, **resources(name, gpus)).remote(
                name, bundle, [done[d] for d in graph[name]], uncached[name], workdir)
            inflight[ref] = name

        for name in todo:
            if all(d in done for d in graph[name]):
                launch(name)
        while inflight:
            [ref], _ = ray.wait(list(inflight), num_returns=1)
            name = inflight.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.RayError as err:
                reason = str(err).strip().splitlines()[-1][:300]
                if attempts[name] <= retries:
                    log(f"{name}: attempt {attempts[name]} failed ({reason}); retrying")
                    launch(name)
                else:
                    failed[name] = reason
                continue
            bring_home(repo, result, list(graph))
            done[name] = ran[name] = result
            log(f"{name}: done on {result.host} in {result.seconds:.0f} s"
                + (f" (CUDA_VISIBLE_DEVICES={result.devices})" if result.devices else ""))
            for child in todo:
                if child not in done and child not in inflight.values() and \
                        name in graph[child] and all(d in done for d in graph[child]):
                    launch(child)
    finally:
        ray.shutdown()
    if failed:
        skipped = [n for n in todo if n not in done and n not in failed]
        raise ClusterError(
            "stages failed after " + f"{retries + 1} attempts: "
            + "; ".join(f"{n}: {why}" for n, why in failed.items())
            + (f"; not run: {', '.join(skipped)}" if skipped else "")
            + ". Finished stages are kept; submit again to run the rest.")
    return ran


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m xstilts.cluster",
        description="Run the study's out-of-date DVC stages on a Ray cluster, one task per "
                    "stage, and bring every output home (docs/real-study.md).")
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("submit", help="run the pipeline of params.yaml on the cluster")
    go.add_argument("--address", default="auto",
                    help="the Ray cluster (host:port of its head; default: the cluster this "
                         "machine belongs to)")
    go.add_argument("--remote", help="the shared DVC remote (default: the default remote)")
    go.add_argument("-S", "--set-param", dest="overrides", action="append", default=[],
                    metavar="KEY=VALUE", help="set a param of params.yaml, as dvc exp run -S")
    go.add_argument("--retries", type=int, default=2,
                    help="submissions of a failed stage after its first (default 2)")
    go.add_argument("--workdir", help="where the nodes clone the repository (default: tmp)")
    go.add_argument("--repo", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        ran = submit(args.repo, args.address, args.overrides, args.remote, args.retries,
                     args.workdir)
    except ClusterError as err:
        sys.exit(f"error: {err}")
    print(f"{len(ran)} stages ran on the cluster in {time.monotonic() - start:.0f} s; "
          "dvc.lock and the outputs are in this workspace.")


if __name__ == "__main__":
    main()
