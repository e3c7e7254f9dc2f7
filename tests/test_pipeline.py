"""End to end: `dvc repro` of the whole study on the tiny profile, in a fresh copy of the repo.

Covers what a new user does: a repro that is killed (-9) in the middle of training and run
again, which must resume to the same checkpoint as an uninterrupted run; a no-op second repro,
the MLflow store and registry, invalid params that change nothing, a CLIP experiment and two
queued experiments side by side. Every test shares the one built workspace (or a clone of it,
which reuses its data and phase-0 outputs), since each `dvc repro` of even the tiny profile
costs a minute of process starts.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from tiny_profile import tiny_params
from workspace import clone, make_repo, metrics, pipeline_env, run, tree_digest

TINY_PARAMS = tiny_params()

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The tiny study, built by a `dvc repro` that is killed once the MNLI intermediate
    stage has written a resume checkpoint, then run again to the end."""
    repo = make_repo(tmp_path_factory.mktemp("e2e") / "repo")
    proc = subprocess.Popen(["dvc", "repro"], cwd=repo, start_new_session=True,
                            env=pipeline_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list((repo / "checkpoints").glob("mnli-*/latest")):
        assert proc.poll() is None, "pipeline ended before a checkpoint was written"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finetuned = (repo / "metrics/finetune/mnli-s0.json").exists()
    rerun = run(["dvc", "repro"], repo)
    resumed = "resuming from the checkpoint of step" in rerun.stdout + rerun.stderr
    (repo.parent / "killed.json").write_text(json.dumps({"finetuned": finetuned,
                                                         "resumed": resumed}))
    # Committed as a user would: dvc.lock and the metrics DVC does not cache.
    run(["git", "add", "-A"], repo)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "repro"], repo)
    # Later tests change the workspace (an experiment is applied): keep the first results.
    (repo.parent / "baseline.json").write_text(json.dumps(metrics(repo)))
    return repo


def champion_score(repo: Path, target: str = "xnli") -> tuple[str, float]:
    """Version and English dev score of the champion of the study of ``repo``'s committed
    params (the alias ``champion``)."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{repo}/mlruns/mlflow.db")
    version = client.get_model_version_by_alias(f"xstilts-{target}", "champion")
    return version.version, float(version.tags["dev_score"])


def test_repro_builds_every_table(built):
    results = (built / "reports" / "results.md").read_text()
    langs = yaml.safe_load((built / "params.yaml").read_text())["data"]["languages"]
    for lang in langs:
        assert lang in results
    assert "## What the tasks measure without the skill" in results
    assert re.search(r"\*\*0 of \d+\*\*", results)  # no scored item was trained on
    cell = json.loads((built / "metrics/finetune/mnli-s0.json").read_text())["metrics"]
    assert {f"xnli/accuracy/{lang}" for lang in langs} <= set(cell)
    assert (built / "models/pretrained/config.json").is_file()
    summary = json.loads((built / "reports/summary.json").read_text())
    assert {"xnli", "tatoeba", "xtreme", "checks"} <= set(summary)


def test_second_repro_is_a_noop(built):
    """Nothing runs again but the params check, which always does."""
    start = time.perf_counter()
    proc = run(["dvc", "repro"], built)
    assert re.findall(r"Running stage '([^']+)'", proc.stdout) == ["params"]
    assert time.perf_counter() - start < 20


def test_unknown_top_level_key_fails_an_up_to_date_pipeline(built):
    """A key no stage lists (a typo) still stops `dvc repro`, naming it, and changes
    nothing."""
    watched = [built / d for d in ("data", "models", "metrics", "reports", "mlruns")]
    before = tree_digest(*watched), (built / "dvc.lock").read_text()
    params = (built / "params.yaml").read_text()
    try:
        (built / "params.yaml").write_text(params + "bogus_top: 1\n")
        start = time.perf_counter()
        proc = run(["dvc", "repro"], built, check=False)
        elapsed = time.perf_counter() - start
    finally:
        (built / "params.yaml").write_text(params)
    assert proc.returncode != 0 and "bogus_top" in proc.stdout + proc.stderr
    assert elapsed < 20
    assert (tree_digest(*watched), (built / "dvc.lock").read_text()) == before


def test_a_real_mode_key_reruns_no_offline_stage(built):
    """Keys only real mode reads (hub.*) are not the offline study's dependencies."""
    params = (built / "params.yaml").read_text()
    try:
        edited = yaml.safe_load(params)
        edited["hub"]["captions"]["split"] = "train"
        edited["hub"]["max_examples"] = 7
        edited["hub"]["clip_model"] = "xlm-roberta-base-ViT-B-32"
        edited["hub"]["encoder"] = "xlm-roberta-base"
        (built / "params.yaml").write_text(yaml.safe_dump(edited, sort_keys=False))
        proc = run(["dvc", "repro"], built)
    finally:
        (built / "params.yaml").write_text(params)
    assert re.findall(r"Running stage '([^']+)'", proc.stdout) == ["params"]


def test_mlflow_has_runs_and_a_champion(built):
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{built}/mlruns/mlflow.db")
    exp = client.get_experiment_by_name("xstilts")
    runs = client.search_runs([exp.experiment_id])
    stages = {r.data.tags.get("xstilts.stage") for r in runs}
    assert {"pretrain", "intermediate", "finetune", "retrieval"} <= stages
    finetune = [r for r in runs if r.data.tags.get("xstilts.stage") == "finetune"]
    assert all("xnli/accuracy/lat75" in r.data.metrics for r in finetune)
    parent = {r.data.tags.get("mlflow.parentRunId") for r in finetune}
    assert len(parent) == 1 and None not in parent
    best = max(r.data.metrics["xnli/en_dev/accuracy"] for r in finetune)  # not the test sets
    assert champion_score(built)[1] == pytest.approx(best)
    for target in TINY_PARAMS["finetune"]["targets"]:
        assert champion_score(built, target)
    # Training runs name the files they read as datasets.
    inputs = {d.dataset.name: d.tags[0].value for r in finetune for d in r.inputs.dataset_inputs}
    assert inputs["xnli/train.en.jsonl"] == "training"
    assert inputs["xnli/test.lat75.jsonl"] == "evaluation"


def test_report_run_holds_the_study(built):
    """The study in the MLflow UI: the report run of the experiment-level run carries the
    headline metrics and the report, and the headline metrics file holds the same keys."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{built}/mlruns/mlflow.db")
    exp = client.get_experiment_by_name("xstilts")
    report, = client.search_runs([exp.experiment_id], "attributes.run_name = 'report'",
                                 order_by=["attributes.start_time DESC"], max_results=1)
    inters = TINY_PARAMS["intermediate"]["tasks"]
    targets = TINY_PARAMS["finetune"]["targets"] + TINY_PARAMS["eval"]["retrieval_tasks"]
    expected = {f"xtreme/{i}" for i in inters} | {f"gap/{i}" for i in inters} \
        | {f"xtreme_{g}/{i}" for g in ("classification", "retrieval") for i in inters} \
        | {f"{t}/avg/{i}" for t in targets for i in inters}
    headline = json.loads((built / "reports" / "headline.json").read_text())
    assert set(headline) == expected and set(report.data.metrics) == expected
    files = {f.path for f in client.list_artifacts(report.info.run_id)}
    assert "results.md" in files
    assert any(f.path.endswith(".png")
               for f in client.list_artifacts(report.info.run_id, "plots"))
    parent = client.get_run(report.data.tags["mlflow.parentRunId"])
    assert parent.info.status == "FINISHED" and parent.info.end_time >= report.info.end_time


@pytest.mark.parametrize("override", ["train.lr=-1", "encoder=vit", "intermediate.tasks=[]",
                                      "data.languages=[en,xx]"])
def test_invalid_params_change_nothing(built, override):
    watched = [built / d for d in ("data", "models", "metrics", "reports")]
    before = tree_digest(*watched)
    params = (built / "params.yaml").read_text()
    try:
        key, value = override.split("=", 1)
        edited = yaml.safe_load(params)
        section, *rest = key.split(".")
        target = edited if not rest else edited[section]
        target[rest[0] if rest else section] = yaml.safe_load(value)
        (built / "params.yaml").write_text(yaml.safe_dump(edited, sort_keys=False))
        proc = run(["dvc", "repro"], built, check=False)
        assert proc.returncode != 0
        assert key in proc.stdout + proc.stderr
    finally:
        (built / "params.yaml").write_text(params)
    assert tree_digest(*watched) == before


def test_a_task_model_param_leaves_phase_0_up_to_date(built):
    params = (built / "params.yaml").read_text()
    try:
        edited = yaml.safe_load(params)
        edited["train"]["pooling"] = "first"
        (built / "params.yaml").write_text(yaml.safe_dump(edited, sort_keys=False))
        status = run(["dvc", "status", "--json"], built).stdout
    finally:
        (built / "params.yaml").write_text(params)
    changed = set(json.loads(status)) - {"params"}  # always changed
    assert "intermediate@mnli-0" in changed and "finetune@mnli-0" in changed
    assert not changed & {"generate", "pretrain", "captions", "pretrain_clip"}


def test_clip_experiment_reruns_only_the_clip_branch(built):
    proc = run(["dvc", "exp", "run", "-S", "encoder=clip"], built)
    ran = set(re.findall(r"Running stage '([^']+)'", proc.stdout))
    assert "pretrain_clip" in ran and "finetune@mnli-0" in ran
    assert not ran & {"generate", "pretrain", "captions"}  # reused from the cache
    shown = run(["dvc", "exp", "show", "--json"], built).stdout
    assert "clip" in shown


def test_non_finite_loss_stops_finetune_and_keeps_the_champion(built, tmp_path):
    before = champion_score(built)
    bad = yaml.safe_load((built / "params.yaml").read_text())
    bad["train"]["lr"] = 1e30  # the first update overflows the weights: the loss is nan
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(bad, sort_keys=False))
    out = tmp_path / "model"
    proc = run([sys.executable, "-m", "xstilts.stages.finetune", "--params",
                str(tmp_path / "params.yaml"), "--intermediate", "mnli", "--targets", "xnli",
                "--seed", "0", "--model", "models/intermediate/mnli-s0", "--data",
                "data/synthetic", "--out", str(out), "--metrics", str(tmp_path / "m.json")],
               built, check=False)
    assert proc.returncode != 0
    assert "loss became" in proc.stderr, proc.stderr[-2000:]
    assert not out.exists() and not (tmp_path / "m.json").exists()
    assert champion_score(built) == before


def test_fine_tunings_in_worker_processes_match_one_process(built, tmp_path):
    """Two targets fine-tuned side by side in one-thread workers give the same scores and
    weights as one after the other in a one-thread process, and the parent logs the
    workers' training losses to the stage's run."""
    from mlflow import MlflowClient
    from safetensors.torch import load_file

    params = yaml.safe_load((built / "params.yaml").read_text())
    params["tracking"]["uri"] = f"sqlite:///{tmp_path}/mlflow.db"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    scores = {}
    for workers, threads in (("1", "1"), ("2", "2")):
        out = tmp_path / f"workers-{workers}"
        proc = subprocess.run(
            [sys.executable, "-m", "xstilts.stages.finetune", "--params",
             str(tmp_path / "params.yaml"), "--intermediate", "mnli", "--targets", "xnli",
             "udpos", "--seed", "0", "--model", "models/intermediate/mnli-s0", "--data",
             "data/synthetic", "--out", str(out), "--metrics", f"{out}.json"],
            cwd=built, capture_output=True, text=True,
            env={**pipeline_env(), "XSTILTS_WORKERS": workers, "XSTILTS_THREADS": threads})
        assert proc.returncode == 0, proc.stderr[-3000:]
        scores[workers] = json.loads(Path(f"{out}.json").read_text())["metrics"]
    assert scores["1"] == scores["2"]
    saved = sorted((tmp_path / "workers-1").rglob("*.safetensors"))
    assert {w.relative_to(tmp_path / "workers-1").parts[0] for w in saved} == {"xnli", "udpos"}
    for weights in saved:
        one = load_file(weights)
        two = load_file(tmp_path / "workers-2" / weights.relative_to(tmp_path / "workers-1"))
        assert all(torch.equal(one[k], two[k]) for k in one), weights
    client = MlflowClient(tracking_uri=params["tracking"]["uri"])
    runs = client.search_runs([client.get_experiment_by_name("xstilts").experiment_id])
    latest = max((r for r in runs if r.data.tags.get("xstilts.stage") == "finetune"),
                 key=lambda r: r.info.start_time)
    assert {"xnli/train_loss", "udpos/train_loss"} <= set(latest.data.metrics)


def test_train_nproc_runs_the_training_stages_under_torchrun(built, tmp_path):
    """`train.nproc: 2` makes `dvc repro` start the training stages under torchrun (two gloo
    processes, dvc.yaml unchanged), and they train like one process with the same batch."""
    repo = clone(built, tmp_path / "repo")
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["train"]["nproc"] = 2
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    proc = run(["dvc", "repro", "finetune@mnli-0"], repo)
    log = proc.stdout + proc.stderr
    assert "[xstilts] intermediate (rank 1)" in log and "[xstilts] finetune (rank 1)" in log
    before = json.loads((built.parent / "baseline.json").read_text())
    after = metrics(repo)
    for key in ("metrics/intermediate/mnli-s0.json", "metrics/finetune/mnli-s0.json"):
        for name, value in before[key].items():
            if isinstance(value, float):
                assert after[key][name] == pytest.approx(value, abs=0.05), (key, name)


def stop_queue_workers(repo: Path) -> None:
    """`dvc queue start` leaves its workers in the background, and a worker whose monitor
    saw the queue empty while its own task still ran can outlive that task: stop them."""
    for pid_file in (repo / ".dvc/tmp/exps/celery").glob("dvc-exp-worker-*.pid"):
        try:
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        except (ProcessLookupError, ValueError):
            pass


def test_queued_experiments_run_side_by_side_without_a_registry_race(built, tmp_path):
    from mlflow import MlflowClient

    repo = clone(built, tmp_path / "queued")
    for seed in (1, 2):  # the baseline alone: the race is in the stores, not the cells
        run(["dvc", "exp", "run", "--queue", "-S", f"seeds=[{seed}]",
             "-S", "intermediate.tasks=[none]"], repo)
    try:
        # Its output must not be a pipe: the workers it leaves running would hold it open.
        started = subprocess.run(["dvc", "queue", "start", "-j", "2"], cwd=repo,
                                 env=pipeline_env(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        assert started.returncode == 0
        deadline = time.monotonic() + 600
        while True:
            status = run(["dvc", "queue", "status"], repo).stdout
            if not re.search(r"\b(Queued|Running)\b", status):
                break
            assert time.monotonic() < deadline, status
            time.sleep(2)
    finally:
        stop_queue_workers(repo)
    assert "Failed" not in status, status
    client = MlflowClient(tracking_uri=f"sqlite:///{repo}/mlruns/mlflow.db")
    exp = client.get_experiment_by_name("xstilts")
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    stages = {r.data.tags.get("xstilts.stage") for r in runs}
    assert "pretrain" not in stages  # phase 0 came from the clone's cache
    finetune = [r for r in runs if r.data.tags.get("xstilts.stage") == "finetune"]
    seeds = {int(r.data.params["seed"]) for r in finetune}
    assert seeds == {1, 2}
    versions = client.search_model_versions("name='xstilts-xnli'")
    best = max(float(v.tags["dev_score"]) for v in versions)
    assert champion_score(repo)[1] == pytest.approx(best)


def quick_start(readme: Path) -> str:
    """The README's quick-start commands, as written between its markers."""
    block = re.search(r"<!-- quick-start -->\s*```bash\n(.*?)```\s*<!-- /quick-start -->",
                      readme.read_text(), re.S)
    assert block, "README.md has no quick-start block"
    return block.group(1)


def test_readme_quick_start_runs_as_written(built, tmp_path):
    """A new user's first commands, on a fresh clone whose params.yaml is the tiny study:
    they end with the report, and the headline metrics file holds the headline keys."""
    repo = clone(built, tmp_path / "quick")
    proc = run(["bash", "-euo", "pipefail", "-c", quick_start(repo / "README.md")], repo)
    assert "Scores: intermediate task x target" in proc.stdout
    assert (repo / "reports" / "results.md").is_file()
    headline = json.loads((repo / "reports" / "headline.json").read_text())
    for inter in ("none", "mnli", "squad"):
        assert {f"xtreme/{inter}", f"gap/{inter}", f"xquad/avg/{inter}"} <= set(headline)


def test_kill_during_training_resumes_to_identical_checkpoint(built, tmp_path):
    from safetensors.torch import load_file

    killed = json.loads((built.parent / "killed.json").read_text())
    assert not killed["finetuned"]  # the kill landed before the branch's fine-tuning
    assert killed["resumed"]  # and the next repro picked up the checkpoint
    cmd = yaml.safe_load((built / "dvc.lock").read_text())["stages"]["intermediate@mnli-0"]["cmd"]
    fresh, fresh_metrics = tmp_path / "mnli-s0", tmp_path / "mnli-s0.json"
    cmd = cmd.replace("models/intermediate/mnli-s0", str(fresh))
    cmd = cmd.replace("metrics/intermediate/mnli-s0.json", str(fresh_metrics))
    # An uninterrupted run of the stage that was killed, beside the resumed one.
    run([sys.executable, *cmd.split()[1:]], built)
    resumed = json.loads((built.parent / "baseline.json").read_text())
    fresh_scores = json.loads(fresh_metrics.read_text())
    assert fresh_scores.get("metrics", fresh_scores) == resumed["metrics/intermediate/mnli-s0.json"]
    for weights in sorted(fresh.rglob("*.safetensors")):
        ours = load_file(built / "models/intermediate/mnli-s0" / weights.relative_to(fresh))
        theirs = load_file(weights)
        assert ours.keys() == theirs.keys()
        assert all(torch.equal(ours[k], theirs[k]) for k in ours), weights.name


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
