"""The one module that talks to MLflow: runs, metrics, artifacts and the model registry.

Store: SQLite at ``<repo>/mlruns/mlflow.db`` with artifacts under ``<repo>/mlruns/artifacts``.
The repository root comes from ``DVC_ROOT`` when DVC sets it, which for ``dvc exp run --temp``
and queued runs is the parent repository, so their runs land in the same store.

Each stage run is a child of one experiment-level run, named after the DVC experiment
(``DVC_EXP_NAME``) or ``workspace`` for plain ``dvc repro``. The experiment-level run spans the
pipeline: the first stage opens it, the report stage (:func:`report_run`) logs the study's
headline metrics and tables in a child run named ``report`` and ends it.

Longer than the project's 300-line guide on purpose: it is the only module that imports MLflow,
so that a change of MLflow's API or store touches one file and no library module.
"""

import hashlib
import json
import math
import os
import re
import socket
import subprocess
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import yaml
from filelock import FileLock

from xstilts import ranks
from xstilts.config import Params, ParamsError, load_params
from xstilts.data.files import process_ended
from xstilts.errors import StageError

PARENT_TAG = "xstilts.experiment"
HOST_TAG, PID_TAG = "xstilts.host", "xstilts.pid"  # which process a RUNNING run belongs to
DEVICES_TAG = "xstilts.cuda_visible_devices"  # the GPUs a scheduler (Ray, Slurm) gave the stage
CHAMPION = "champion"
ALIAS = re.compile(r"[\w-]{1,200}")  # what MLflow accepts in an alias


class TrackingError(StageError, RuntimeError):
    pass


# Why nothing is recorded: set once the store stops answering mid-run (training goes on,
# metrics stay in the stage's JSON file, and the stage says so instead of dying with hours of
# work), or on purpose: a DDP rank other than 0, or a probe inside ``untracked``.
_lost: list[str] = []
_NOT_MAIN, _UNTRACKED = "not the main process", "untracked"
# (run id, artifact path) of the models already logged: one model may win several targets.
_logged: set[tuple[str, str]] = set()


def _store_lost(err: Exception) -> None:
    if not _lost:
        _lost.append(f"{type(err).__name__}: {err}")
        print(f"warning: the MLflow store stopped answering ({_lost[0]}); training continues "
              "and this stage's metrics are kept in its metrics file", file=sys.stderr)


def store_lost() -> bool:
    """Whether the store stopped answering during this process's stage (not: a run recorded
    nothing on purpose)."""
    return bool(_lost) and _lost[0] not in (_NOT_MAIN, _UNTRACKED)


def repo_root() -> Path:
    if root := os.environ.get("DVC_ROOT"):
        return Path(root)
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        if (d / "dvc.yaml").exists():
            return d
    return here


def tracking_uri(params: Params) -> str:
    return params.tracking.uri or f"sqlite:///{repo_root() / 'mlruns' / 'mlflow.db'}"


def _lock() -> FileLock:
    (repo_root() / "mlruns").mkdir(exist_ok=True)
    return FileLock(str(repo_root() / "mlruns" / ".registry.lock"), timeout=600)


def _connect(params: Params):
    """Point MLflow at the store and check it answers, before any training starts."""
    import mlflow
    from mlflow import MlflowClient

    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    uri = tracking_uri(params)
    mlflow.set_tracking_uri(uri)
    # The first client of a new SQLite store creates its tables; two stages doing that at
    # once (`dvc queue start -j 2`) break MLflow's schema migration, hence the lock.
    with _lock():
        try:
            client = MlflowClient()
            exp = client.get_experiment_by_name(params.tracking.experiment)
            if exp is None:
                # A server keeps artifacts in its own store; a clone's folder would vanish
                # with the clone (python -m xstilts.cluster).
                artifacts = None if uri.startswith(("http://", "https://")) else \
                    (repo_root() / "mlruns" / "artifacts").as_uri()
                exp_id = client.create_experiment(params.tracking.experiment,
                                                  artifact_location=artifacts)
            else:
                exp_id = exp.experiment_id
        except Exception as err:
            raise TrackingError(f"tracking.uri: cannot reach the MLflow store at {uri} "
                                f"({type(err).__name__}: {err})") from err
        name = experiment_name()
        found = client.search_runs([exp_id], f"tags.`{PARENT_TAG}` = '{name}'", max_results=1)
        if found:
            parent_id = found[0].info.run_id
            if found[0].info.status != "RUNNING":  # a new pass of the pipeline
                client.update_run(parent_id, status="RUNNING")
        else:
            parent = client.create_run(exp_id, run_name=name, tags={PARENT_TAG: name})
            parent_id = parent.info.run_id
    return client, exp_id, parent_id


def experiment_name() -> str:
    """The DVC experiment being run, or ``workspace`` for a plain ``dvc repro``."""
    return os.environ.get("DVC_EXP_NAME", "workspace")


@contextmanager
def untracked():
    """Record nothing inside (probes that train outside a stage): without a stage's run,
    MLflow would start a stray run in a store of its own in the working directory."""
    _lost.append(_UNTRACKED)
    try:
        yield
    finally:
        _lost.remove(_UNTRACKED)


@contextmanager
def stage_run(params: Params, stage: str, run_name: str, log_params: dict):
    """An MLflow run for one stage execution, nested under the experiment-level run."""
    import mlflow

    if not ranks.is_main():  # under torchrun, rank 0 alone records the run
        _lost.append(_NOT_MAIN)
        yield None
        return
    client, exp_id, parent_id = _connect(params)
    killed = _close_killed_attempts(client, exp_id, parent_id, run_name)
    run = client.create_run(exp_id, run_name=run_name, tags={
        "mlflow.parentRunId": parent_id, "xstilts.stage": stage,
        HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid()),
        **({DEVICES_TAG: os.environ["CUDA_VISIBLE_DEVICES"]}
           if "CUDA_VISIBLE_DEVICES" in os.environ else {}),
        **({"xstilts.after_killed": ",".join(killed)} if killed else {})})
    mlflow.start_run(run_id=run.info.run_id)
    mlflow.log_params({k: str(v)[:500] for k, v in _flatten(log_params).items()})
    status = "FAILED"
    try:
        yield run.info.run_id
        status = "FINISHED"
    except KeyboardInterrupt:  # Ctrl-C, or DVC passing one on
        status = "KILLED"
        raise
    finally:
        try:
            mlflow.end_run(status)
        except Exception as err:  # the store went away during the stage
            _store_lost(err)


def _close_killed_attempts(client, exp_id: str, parent_id: str, run_name: str) -> list[str]:
    """Mark KILLED the runs of this stage that a killed process left RUNNING (a SIGKILL or a
    lost machine ends no run), so the MLflow UI shows the attempt as ended; the metrics it
    logged stay. A run whose process lives on, or ran on another machine, is left alone."""
    stale = client.search_runs(
        [exp_id], f"tags.`mlflow.parentRunId` = '{parent_id}' and "
                  f"tags.`mlflow.runName` = '{run_name}' and attributes.status = 'RUNNING'")
    killed = []
    for run in stale:
        pid = run.data.tags.get(PID_TAG, "")
        if (run.data.tags.get(HOST_TAG) == socket.gethostname() and pid.isdigit()
                and process_ended(int(pid))):
            client.set_terminated(run.info.run_id, "KILLED")
            killed.append(run.info.run_id)
    if killed:
        print(f"marked {len(killed)} run(s) of an earlier, killed {run_name} KILLED in MLflow",
              file=sys.stderr)
    return killed


@contextmanager
def report_run(params: Params, log_params: dict):
    """The study's ``report`` run: a child of the experiment-level run like every stage's,
    whose end (a finished report) also ends the experiment-level run."""
    with stage_run(params, "report", "report", log_params) as run_id:
        yield run_id
    if run_id is not None and not _lost:
        from mlflow import MlflowClient

        client = MlflowClient()
        client.set_terminated(client.get_run(run_id).data.tags["mlflow.parentRunId"])


def log_artifacts(directory: Path, artifact_path: str | None = None) -> None:
    """Files of ``directory`` as artifacts of the active run."""
    import mlflow

    if _lost:
        return
    try:
        mlflow.log_artifacts(str(directory), artifact_path=artifact_path)
    except Exception as err:
        _store_lost(err)


def log_datasets(files: list[Path], context: str, root: Path) -> None:
    """Data files a run reads, as MLflow datasets (name: the path under ``root``; digest: of
    the content; source: the file), with ``context`` "training" or "evaluation"."""
    import mlflow
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.entities import DatasetInput, InputTag

    if _lost:
        return
    inputs = []
    for f in (f for f in files if f.is_file()):
        digest = hashlib.sha1(f.read_bytes()).hexdigest()[:12]
        with warnings.catch_warnings():  # MLflow registers its local source twice
            warnings.simplefilter("ignore")
            source = resolve_dataset_source(f.resolve().as_uri())
        dataset = MetaDataset(source,
                              name=f.relative_to(root).as_posix(), digest=digest)
        inputs.append(DatasetInput(dataset._to_mlflow_entity(),
                                   [InputTag("mlflow.data.context", context)]))
    try:
        mlflow.MlflowClient().log_inputs(mlflow.active_run().info.run_id, datasets=inputs)
    except Exception as err:
        _store_lost(err)


def log_metrics(metrics: dict[str, float], step: int | None = None) -> None:
    import mlflow

    if _lost:
        return
    try:
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if math.isfinite(v)},
                           step=step)
    except Exception as err:
        _store_lost(err)


def register_if_best(target: str, dev_score: float, model_dir: Path, params: Params,
                     tags: dict, artifact_path: str = "model") -> int | None:
    """Register the model in ``model_dir`` for ``target`` and give it the study's champion
    alias (:func:`champion_alias`) if its English dev score beats the study's champion; the
    model is logged to the active run under ``artifact_path`` (once, however many targets it
    wins). Models compete only within a study (:func:`setup_key`): scores of other languages,
    data or training settings are on another scale. Returns the new version, or None when
    it does not win."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    name = f"xstilts-{target}"
    if _lost:
        if _lost[0] not in (_NOT_MAIN, _UNTRACKED):  # only a lost store is news
            print(f"warning: {name} not registered: the MLflow store is unreachable",
                  file=sys.stderr)
        return None
    alias, study = champion_alias(params), setup_key(params)
    client = MlflowClient()
    with _lock():  # compare-and-set: concurrent stages must not both take the alias
        try:
            champion = client.get_model_version_by_alias(name, alias)
            # An alias named after the committed params or an experiment moves to another
            # study when they change: it names the study they now describe.
            best = float(champion.tags.get("dev_score", "-inf")) \
                if champion.tags.get("study") == study else -math.inf
        except MlflowException:
            best = -math.inf
        if not dev_score > best:
            return None
        run = mlflow.active_run()
        if (run.info.run_id, artifact_path) not in _logged:
            mlflow.log_artifacts(str(model_dir), artifact_path=artifact_path)
            _logged.add((run.info.run_id, artifact_path))
        try:
            client.create_registered_model(name, description=(
                f"Fine-tuned models for {target}. The best by English dev score of the study "
                f"that the committed params.yaml describes carries the alias 'champion'; of "
                f"another study, 'champion-<DVC experiment>' (see xstilts.tracking."
                f"champion_alias). The study key is each version's 'study' tag."))
        except MlflowException:
            pass  # already registered
        version = client.create_model_version(
            name, source=f"{run.info.artifact_uri}/{artifact_path}", run_id=run.info.run_id,
            tags={"dev_score": repr(dev_score), "study": study,
                  **{k: str(v) for k, v in tags.items()}})
        client.set_registered_model_alias(name, alias, version.version)
        settle_champion(client, name, alias, study, prune=_champions_only(params))
        return int(version.version)


def _champions_only(params: Params) -> bool:
    """``finetune.weights: registered``: the registry is where fine-tuned encoders are kept,
    and it keeps one per target and study, its champion."""
    return params.finetune.weights == "registered"


def settle_champion(client, name: str, alias: str, study: str, prune: bool = False) -> None:
    """Point ``alias`` at the best version of ``study`` (highest English dev score, the
    earliest version on a tie); with ``prune``, delete the study's other versions and their
    weights. The lock above serialises the stages of one machine; stages on several machines
    sharing a tracking server (python -m xstilts.cluster) each set the alias without it, and
    the last to set it may not hold the best: the report stage settles every alias again.
    Either way the registry ends the same whatever order the stages finished in."""
    versions = [v for v in client.search_model_versions(f"name = '{name}'")
                if v.tags.get("study") == study]
    if not versions:
        return
    best = max(versions, key=lambda v: (float(v.tags.get("dev_score", "-inf")),
                                        -int(v.version)))
    client.set_registered_model_alias(name, alias, best.version)
    for displaced in (v for v in versions if prune and v.version != best.version):
        _delete_version(client, displaced)


def _delete_version(client, version) -> None:
    """Delete a model version and, unless another version still points at them (XQuAD's
    and MLQA's champion may be one model), the weights it points at."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    client.delete_model_version(version.name, version.version)
    if not any(v.source == version.source
               for v in client.search_model_versions(f"run_id = '{version.run_id}'")):
        get_artifact_repository(version.source).delete_artifacts()


def settle_champions(params: Params, targets: list[str]) -> None:
    """Settle the study's champion of every target once all its fine-tunings are done (the
    report stage): the alias then names the best version whatever order they finished in."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    if _lost:
        return
    client, alias, study = MlflowClient(), champion_alias(params), setup_key(params)
    with _lock():
        for target in targets:
            try:
                settle_champion(client, f"xstilts-{target}", alias, study,
                                prune=_champions_only(params))
            except MlflowException:
                pass  # no version of this target registered


def champion_alias(params: Params) -> str:
    """The registry alias of the best model of the study ``params`` describe:
    ``champion`` for the study of the committed ``params.yaml`` (``models:/xstilts-xnli@
    champion``), whichever encoder or seeds a run uses; for another study (an experiment
    with ``-S train.lr=...``, a smoke run) ``champion-<DVC experiment name>``, or
    ``champion-<study key>`` outside a DVC experiment."""
    study = setup_key(params)
    if study == _committed_study():
        return CHAMPION
    name = os.environ.get("DVC_EXP_NAME", study)
    return f"{CHAMPION}-{name}" if ALIAS.fullmatch(name) else f"{CHAMPION}-{study}"


def _committed_study() -> str:
    """The study key of ``params.yaml`` at the repository's HEAD (the baseline of a DVC
    experiment); without git, of the params.yaml in the repository, or the defaults."""
    root = repo_root()
    try:
        text = subprocess.run(["git", "-C", str(root), "show", "HEAD:params.yaml"],
                              capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        text = None
    try:
        if text is not None:
            return setup_key(Params.model_validate(yaml.safe_load(text) or {}))
        if (root / "params.yaml").exists():
            return setup_key(load_params(root / "params.yaml"))
    except (ParamsError, ValueError):
        pass  # an invalid committed params.yaml: the defaults are the baseline
    return setup_key(Params())


# Params that no fine-tuning result depends on (a `finetune` stage does not re-run for them),
# besides the encoder and its CLIP settings, which the study compares.
_NOT_STUDY = {"encoder": True, "clip": True, "seeds": True, "tracking": True,
              "intermediate": {"tasks"}, "finetune": {"targets", "weights"},
              "eval": {"retrieval_tasks", "retrieval_layer", "retrieval_max_length"},
              "hub": {"timeout_s", "captions", "clip_model", "clip_pretrained"}}
# The sections the other mode reads (config.py): no run of this mode depends on them.
_OTHER_MODE = {"synthetic": {"hub": True}, "hf": {"world": True, "pretrain": True}}


def setup_key(params: Params) -> str:
    """What two encoders' runs must share to be compared, and what a study champion is the
    best of: every param a fine-tuning result depends on, except the encoder and its CLIP
    settings. Not the seeds, which cells run, retrieval settings or where runs are recorded."""
    return _digest(params.model_dump(exclude=_NOT_STUDY | _OTHER_MODE[params.data.source]))


def encoder_key(params: Params, encoder: str | None = None) -> str:
    """Which phase-0b encoder a run used (``encoder``, default ``params.encoder``):
    ``xlmr``, or ``clip-`` and a hash of the CLIP settings, so that a CLIP ablation (English
    captions, a frozen image tower) is never paired as if it were the same encoder."""
    encoder = encoder or params.encoder
    if encoder != "clip":
        return encoder
    # Only the settings that make the encoder: a released CLIP in real mode, training offline.
    settings = params.hub.model_dump(include={"clip_model", "clip_pretrained"}) \
        if params.data.source == "hf" else params.clip.model_dump()
    return f"clip-{_digest(settings)}"


def _digest(settings: dict) -> str:
    """Twelve hex digits that name ``settings`` (JSON-able, key order aside)."""
    return hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out
