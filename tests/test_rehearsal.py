"""The real study rehearsed end to end: `dvc repro` with `data.source: hf` from a hub mirror
the test writes (tests/hub_mirror.py: every dataset in the hub's layout, a tiny XLM-R, a tiny
multilingual CLIP, captions), then `dvc exp run -S encoder=clip` and `compare`, through
every stage and task type (intermediate none, mnli, squad, hellaswag, multi; the seven
targets; BUCC and Tatoeba), with HF_HUB_OFFLINE=1 and a guard in every Python process that
refuses and records any connection beyond 127.0.0.1."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from hub_mirror import fill_mirror
from tiny_profile import ROOT, merge
from workspace import make_repo, pipeline_env, run
from xstilts.config import Params, languages_of, load_params
from xstilts.tasks import FINETUNE_TARGETS

pytestmark = pytest.mark.slow

INTERMEDIATE = ["none", "mnli", "squad", "hellaswag", "multi"]
REHEARSAL = {  # the paper profile, shrunk: three languages, two steps a phase, a tiny model
    "data": {"languages": ["en", "de", "ar"]},
    "hub": {"captions": {"train_images": 2, "test_images": 1, "image_size": 16}},
    "train": {"batch_size": 2, "grad_accum": 1, "bf16": False, "max_length": 64, "doc_stride": 16,
              "max_length_by_type": {"classification": 64, "tagging": 64,
                                     "multiple_choice": 64, "span": 64}},
    "intermediate": {"tasks": INTERMEDIATE, "steps": 2, "epochs": None},
    "finetune": {"steps": 2},
    "eval": {"batch_size": 8, "retrieval_layer": 1, "retrieval_max_length": 64},
}
# Loaded first by every Python process of the pipeline (PYTHONPATH): dvc, the stages and
# their worker processes.
GUARD = '''
import os, socket
_connect = socket.socket.connect
_LOCAL = ("127.0.0.1", "::1", "localhost")

def _guarded(sock, address):
    host = address[0] if isinstance(address, tuple) else address
    if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in _LOCAL:
        with open(os.environ["XSTILTS_NETWORK_LOG"], "a") as log:
            log.write(f"{os.getpid()} {address}\\n")
        raise OSError(f"a connection to {address} would leave the machine")
    return _connect(sock, address)

socket.socket.connect = _guarded
'''


def rehearsal_params(mirror: Path) -> dict:
    params = merge(yaml.safe_load((ROOT / "profiles" / "paper.yaml").read_text()), REHEARSAL)
    params["hub"]["mirror"] = str(mirror)
    params["finetune"].update(epochs={}, effective_batch_size={})  # steps for every target
    return Params.model_validate(params).model_dump(mode="json")


@pytest.fixture(scope="module")
def guarded_env(tmp_path_factory) -> tuple[dict, Path]:
    guard = tmp_path_factory.mktemp("guard")
    (guard / "sitecustomize.py").write_text(GUARD)
    log = guard / "connections.log"
    log.touch()
    env = {**pipeline_env(), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(guard), os.environ.get("PYTHONPATH", "")]),
           "XSTILTS_NETWORK_LOG": str(log)}
    return env, log


@pytest.fixture(scope="module")
def rehearsed(tmp_path_factory, guarded_env):
    env, _ = guarded_env
    base = tmp_path_factory.mktemp("rehearsal")
    params = rehearsal_params(base / "mirror")
    fill_mirror(base / "mirror", Params.model_validate(params))
    repo = make_repo(base / "repo", params)
    start = time.monotonic()
    run(["dvc", "repro"], repo, env=env)
    run(["git", "add", "-A"], repo)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "xlmr"], repo)
    run(["dvc", "exp", "run", "-S", "encoder=clip"], repo, env=env)
    run([sys.executable, "-m", "xstilts.stages", "compare", "--intermediate", "none",
         "--out", "reports/compare"], repo, env=env)
    print(f"rehearsal, both encoders: {time.monotonic() - start:.0f} s")
    return repo, time.monotonic() - start


def test_the_guard_refuses_and_records_a_connection_off_the_machine(guarded_env):
    env, log = guarded_env
    probe = subprocess.run(
        [sys.executable, "-c", "import socket; socket.create_connection(('192.0.2.1', 80), 1)"],
        env={**env, "XSTILTS_NETWORK_LOG": str(log.with_name("probe.log"))},
        capture_output=True, text=True)
    assert probe.returncode and "would leave the machine" in probe.stderr
    assert "192.0.2.1" in log.with_name("probe.log").read_text()


def test_every_target_has_per_language_metrics_for_both_encoders(rehearsed):
    repo, _ = rehearsed
    params = load_params(repo / "params.yaml")
    for inter in INTERMEDIATE:
        clip = json.loads((repo / "metrics" / "finetune" / f"{inter}-s0.json").read_text())
        assert clip["from_encoder"] == "clip"
        for target, spec in FINETUNE_TARGETS.items():
            langs = {k.split("/")[2] for k in clip["metrics"]
                     if k.startswith(f"{spec.name}/{spec.metric}/")}
            assert len(languages_of(params, target)) > 1
            assert set(languages_of(params, target)) <= langs, (inter, target, langs)
        retrieval = json.loads((repo / "metrics" / "retrieval" / f"{inter}-s0.json").read_text())
        keys = retrieval.get("metrics", retrieval)
        assert any(k.startswith("bucc/") and k.endswith("/de") for k in keys), keys
        assert any(k.startswith("tatoeba/") and k.endswith("/ar") for k in keys), keys
    client = MlflowClient(tracking_uri=f"sqlite:///{repo}/mlruns/mlflow.db")
    exp = client.get_experiment_by_name("xstilts-paper")
    runs = client.search_runs([exp.experiment_id], "tags.`xstilts.stage` = 'finetune'")
    cells = {(r.data.params["encoder"], r.data.params["intermediate"]) for r in runs}
    assert cells == {(e, i) for e in ("xlmr", "clip") for i in INTERMEDIATE}
    for r in runs:
        assert all(f"{spec.name}/{spec.metric}/{lang}" in r.data.metrics
                   for target, spec in FINETUNE_TARGETS.items()
                   for lang in languages_of(params, target))


def test_the_report_and_compare_are_written(rehearsed):
    repo, _ = rehearsed
    assert "## " in (repo / "reports" / "results.md").read_text()
    verdicts = (repo / "reports" / "compare" / "clip_vs_xlmr.md").read_text()
    assert all(t in verdicts for t in FINETUNE_TARGETS)
    assert (repo / "reports" / "compare" / "clip_vs_xlmr.png").is_file()


def test_nothing_touched_the_network(rehearsed, guarded_env):
    _, log = guarded_env
    assert log.read_text() == ""



def test_the_dry_run_predicts_the_bytes_each_stage_wrote(rehearsed, guarded_env):
    """`python -m xstilts.cost` reads the mirror's encoder, so its disk figure per stage is
    the rehearsal's own scale: each within 20 % of what the stage wrote (a fine-tuning keeps
    heads and predictions, the paper profile's `finetune.weights: registered`), and MLflow
    holds the champions' weights only, about one model per target."""
    repo, _ = rehearsed
    env, _ = guarded_env
    result = json.loads(run([sys.executable, "-m", "xstilts.cost", "--json"], repo,
                            env=env).stdout)
    folders = {"intermediate": "models/intermediate", "finetune": "models/finetuned"}
    for row in result["stages"]:
        kind, _, task = row["stage"].partition("@")
        if kind not in folders:
            continue
        written = sum(f.stat().st_size for f in (repo / folders[kind] / f"{task}-s0").rglob("*")
                      if f.is_file())
        assert abs(row["disk_bytes"] - written) <= 0.2 * written, (row["stage"], written)
    client = MlflowClient(tracking_uri=f"sqlite:///{repo}/mlruns/mlflow.db")
    sources = {v.source for t in FINETUNE_TARGETS
               for v in client.search_model_versions(f"name = 'xstilts-{t}'")}
    assert len(sources) <= len(FINETUNE_TARGETS)
    stored = sum(f.stat().st_size for d in (repo / "mlruns" / "artifacts").rglob("model")
                 for f in d.rglob("*") if f.is_file())
    assert sum(f.stat().st_size for s in sources
               for f in Path(s.removeprefix("file://")).rglob("*") if f.is_file()) == stored
    assert 0.8 * result["mlflow_bytes"] <= stored <= 1.2 * result["mlflow_bytes"]
