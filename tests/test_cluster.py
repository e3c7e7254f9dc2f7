"""`python -m xstilts.cluster submit` on a local Ray cluster (a head and two worker nodes,
one declaring two fake GPUs), a DVC remote in a folder and `mlflow server`, all bound to
127.0.0.1: the study's results equal a plain `dvc repro`'s, a killed training process is
retried, the submitting machine ends with nothing to run, and each GPU stage saw its own GPU.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest
import yaml

from tiny_profile import ROOT, tiny_params
from workspace import make_repo, metrics, pipeline_env, run
from xstilts.cluster.repo import ClusterError, apply_overrides, check_tracking

LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")
# Values a run measures about itself (time, memory), which no two runs share.
TIMING = ("seconds", "per_s", "per_second", "throughput", "memory", "rss", "_time")


# --- fast: the submission's checks ---------------------------------------------------------

def test_overrides_set_existing_keys_only_and_keep_the_file(tmp_path):
    text = (ROOT / "params.yaml").read_text()
    (tmp_path / "params.yaml").write_text(text)
    apply_overrides(tmp_path, ["train.lr=0.001", "tracking.uri=http://127.0.0.1:5000"])
    data = yaml.safe_load((tmp_path / "params.yaml").read_text())
    assert data["train"]["lr"] == 0.001 and data["tracking"]["uri"] == "http://127.0.0.1:5000"
    assert (tmp_path / "params.yaml").read_text().count("#") == text.count("#")
    with pytest.raises(ClusterError, match="no key 'train.lrr'"):
        apply_overrides(tmp_path, ["train.lrr=1"])


def test_a_store_on_this_machine_is_refused_naming_the_param(tmp_path):
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    with pytest.raises(ClusterError, match=r"tracking.uri: None .* one MLflow server"):
        check_tracking(tmp_path)


# --- slow: the study on a local cluster ----------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def local_ray():
    """Ray's single-machine mode (its own switch; the default on macOS and Windows): every Ray
    process, the drivers included, uses 127.0.0.1."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        mp.setenv("RAY_USAGE_STATS_ENABLED", "0")
        yield


@pytest.fixture(scope="module")
def ray_cluster(local_ray):
    from ray.cluster_utils import Cluster

    local = {"node_ip_address": "127.0.0.1"}
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "include_dashboard": False, **local})
    cluster.add_node(num_cpus=2, **local)
    cluster.add_node(num_cpus=2, num_gpus=2, **local)
    try:
        yield cluster.address
    finally:
        cluster.shutdown()


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    where = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--backend-store-uri", f"sqlite:///{where / 'mlflow.db'}",
         "--artifacts-destination", str(where / "artifacts")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{uri}/health", timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "no MLflow server"
                time.sleep(0.5)
        yield uri, proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def study_params(uri: str, experiment: str) -> dict:
    params = tiny_params()
    params["tracking"] = {"experiment": experiment, "uri": uri}
    return params


def listening(pids: set[int]) -> list[tuple[str, int, int]]:
    return [(c.laddr.ip, c.laddr.port, c.pid) for c in psutil.net_connections("inet")
            if c.status == psutil.CONN_LISTEN and c.pid in pids]


def mlflow_metrics(uri: str, experiment: str) -> dict[str, dict]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], "attributes.status = 'FINISHED'")
    return {r.info.run_name: {k: v for k, v in r.data.metrics.items()
                              if not any(t in k for t in TIMING)} for r in runs}


@pytest.fixture(scope="module")
def studies(tmp_path_factory, ray_cluster, mlflow_server):
    """The tiny study twice: a plain `dvc repro`, and a submission to the cluster whose
    `intermediate` MNLI process is killed once (SIGKILL) while it trains."""
    uri, server = mlflow_server
    base = tmp_path_factory.mktemp("cluster")
    plain = make_repo(base / "plain", study_params(uri, "plain"))
    run(["dvc", "repro"], plain)

    repo = make_repo(base / "submitted", study_params(uri, "plain"))  # -S changes it below
    run(["dvc", "remote", "add", "-d", "shared", str(base / "remote")], repo)
    work = base / "work"
    work.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "xstilts.cluster", "submit", "--address", ray_cluster,
         "--workdir", str(work), "-S", "tracking.experiment=submitted"], cwd=repo,
        env=pipeline_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ours = {os.getpid(), server.pid}
    ports, killed, deadline = [], None, time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < deadline:
        family = set(ours)
        for pid in list(ours):
            try:
                family |= {c.pid for c in psutil.Process(pid).children(recursive=True)}
            except psutil.NoSuchProcess:
                pass
        ports = listening(family) or ports
        if killed is None:
            for p in psutil.process_iter(["cmdline", "cwd"]):
                cmd = p.info["cmdline"] or []
                if ("xstilts.stages" in cmd and "intermediate" in cmd and "mnli" in cmd
                        and str(work) in (p.info["cwd"] or "")):
                    time.sleep(1.0)  # inside training
                    p.kill()
                    killed = p.pid
                    break
        time.sleep(0.05)
    out = proc.communicate(timeout=max(1, deadline - time.monotonic()))[0]
    assert proc.returncode == 0, out[-5000:]
    again = run([sys.executable, "-m", "xstilts.cluster", "submit", "--address", ray_cluster,
                 "--workdir", str(work)], repo).stdout
    return {"plain": plain, "repo": repo, "uri": uri, "out": out, "killed": killed,
            "ports": ports, "work": work, "again": again}


@pytest.mark.slow
def test_the_cluster_gives_the_results_of_a_plain_repro(studies):
    assert metrics(studies["repo"]) == metrics(studies["plain"])
    submitted = mlflow_metrics(studies["uri"], "submitted")
    assert submitted == mlflow_metrics(studies["uri"], "plain")
    assert {"intermediate", "finetune", "retrieval", "report"} <= {
        name.split("-")[0] for name in submitted}


@pytest.mark.slow
def test_a_killed_training_process_is_retried(studies):
    assert studies["killed"] is not None, studies["out"][-3000:]
    assert "intermediate@mnli-0: attempt 1 failed" in studies["out"]
    assert "intermediate@mnli-0: done" in studies["out"]


@pytest.mark.slow
def test_nothing_is_left_to_run_and_every_output_is_home(studies):
    repo = studies["repo"]
    status = json.loads(run(["dvc", "status", "--json"], repo).stdout)
    assert set(status) <= {"params"}  # always_changed: it validates params.yaml every time
    assert (repo / "reports").is_dir() and any((repo / "models" / "finetuned").iterdir())
    assert not any(studies["work"].iterdir())  # the clones are gone
    assert "nothing to submit" in studies["again"]  # a second submission runs nothing


@pytest.mark.slow
def test_each_training_stage_saw_its_own_gpu(studies):
    from mlflow import MlflowClient

    from xstilts.tracking import DEVICES_TAG

    client = MlflowClient(tracking_uri=studies["uri"])
    exp = client.get_experiment_by_name("submitted")
    runs = client.search_runs([exp.experiment_id], "tags.`xstilts.stage` = 'intermediate'")
    # intermediate none and mnli start together on the node with two GPUs
    assert {r.data.tags.get(DEVICES_TAG) for r in runs} == {"0", "1"}


@pytest.mark.slow
def test_every_port_listens_on_loopback_only(studies):
    assert studies["ports"]
    assert all(ip in LOOPBACK for ip, _, _ in studies["ports"]), studies["ports"]
