"""MLflow tracking: the model registry under concurrent stages (a study's champion alias
always ends on the version best on English dev, whatever order the stages finish in, a worse
run never takes it, and runs of another study never compete with it), killed attempts and
unreachable stores, and the study and encoder keys that decide which runs are compared."""

import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

REGISTER = """
import sys
from pathlib import Path
from xstilts import tracking
from xstilts.config import Params
score, train_size = float(sys.argv[1]), int(sys.argv[3])
params = Params.model_validate({"world": {"train_size": train_size}})
model = Path(sys.argv[2]); model.mkdir(parents=True, exist_ok=True)
(model / "weights.txt").write_text(str(score))
with tracking.stage_run(params, "finetune", f"finetune-{score}", {"score": score}):
    tracking.log_metrics({"xnli/en_dev/accuracy": score})
    tracking.register_if_best("xnli", score, model, params, {"seed": 0})
"""
DEFAULT_TRAIN_SIZE = 4000
SMOKE = "smoke-run"  # the DVC experiment of the smoke study


def register(root: Path, scores: list[float], smoke: tuple[float, ...] = ()) -> None:
    """Register models of ``scores`` and, at the same time, models of a smoke run (another
    study: 100 training examples) of ``smoke``."""
    env = {**os.environ, "DVC_ROOT": str(root), "PYTHONWARNINGS": "ignore"}
    runs = [(s, DEFAULT_TRAIN_SIZE, {}) for s in scores] + \
        [(s, 100, {"DVC_EXP_NAME": SMOKE}) for s in smoke]
    procs = [subprocess.Popen([sys.executable, "-c", REGISTER, str(s), str(root / f"m{s}"),
                               str(size)],
                              env={**env, **exp}, stderr=subprocess.PIPE, text=True)
             for s, size, exp in runs]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))  # no git here: the defaults are the study
    (tmp_path / "mlruns").mkdir()
    return MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlruns/mlflow.db")


def alias() -> str:
    from xstilts.config import Params
    from xstilts.tracking import champion_alias

    return champion_alias(Params.model_validate({"world": {"train_size": DEFAULT_TRAIN_SIZE}}))


def test_concurrent_stages_leave_the_alias_on_the_best(tmp_path, client):
    register(tmp_path, [0.31, 0.92, 0.55, 0.74])  # all at once
    assert alias() == "champion"
    champion = client.get_model_version_by_alias("xstilts-xnli", "champion")
    assert float(champion.tags["dev_score"]) == 0.92
    versions = client.search_model_versions("name='xstilts-xnli'")
    assert max(float(v.tags["dev_score"]) for v in versions) == 0.92
    path = mlflow.artifacts.download_artifacts(champion.source,
                                               dst_path=str(tmp_path / "download"),
                                               tracking_uri=client.tracking_uri)
    assert (Path(path) / "weights.txt").read_text() == "0.92"
    # A worse later run, and a smoke run (another study, another scale) that does not
    # compete with this study's champion but gets one of its own.
    register(tmp_path, [0.5], smoke=(0.4,))
    again = client.get_model_version_by_alias("xstilts-xnli", "champion")
    assert again.version == champion.version
    other = client.get_model_version_by_alias("xstilts-xnli", f"champion-{SMOKE}")
    assert float(other.tags["dev_score"]) == 0.4
    assert other.tags["study"] != champion.tags["study"]



def test_settling_moves_the_alias_a_lockless_writer_left_on_a_worse_version(client):
    """Machines sharing a tracking server hold no common lock: the last to set the alias may
    set it on its own, worse, version; settling (the report stage) puts it on the best."""
    from xstilts.tracking import settle_champion

    client.create_registered_model("xstilts-xnli")
    for score, study in ((0.7, "s"), (0.9, "s"), (0.9, "s"), (0.99, "other")):
        client.create_model_version("xstilts-xnli", source="file:///nowhere",
                                    tags={"dev_score": repr(score), "study": study})
    client.set_registered_model_alias("xstilts-xnli", "champion", "1")
    settle_champion(client, "xstilts-xnli", "champion", "s")
    # the best of study "s", the earlier of the two tied versions
    assert int(client.get_model_version_by_alias("xstilts-xnli", "champion").version) == 2

ATTEMPT = """
import os, signal, sys
from xstilts import tracking
from xstilts.config import Params
with tracking.stage_run(Params(), "intermediate", "intermediate-mnli-s0", {}):
    tracking.log_metrics({"mnli/train_loss": 1.0}, step=100)
    if sys.argv[1] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_next_attempt_marks_a_killed_stage_run_killed(tmp_path, client):
    env = {**os.environ, "DVC_ROOT": str(tmp_path), "PYTHONWARNINGS": "ignore"}
    for how, code in (("kill", -9), ("finish", 0)):
        done = subprocess.run([sys.executable, "-c", ATTEMPT, how], env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == code, done.stderr[-2000:]
    assert "KILLED in MLflow" in done.stderr
    exp = client.get_experiment_by_name("xstilts")
    runs = client.search_runs([exp.experiment_id], "tags.`xstilts.stage` = 'intermediate'",
                              order_by=["attributes.start_time ASC"])
    assert [r.info.status for r in runs] == ["KILLED", "FINISHED"]
    assert runs[0].data.metrics == {"mnli/train_loss": 1.0}  # what the attempt logged stays
    assert runs[1].data.tags["xstilts.after_killed"] == runs[0].info.run_id


def test_unreachable_tracking_server_fails_before_training(tmp_path, monkeypatch):
    import time

    from xstilts import tracking
    from xstilts.config import Params

    monkeypatch.setenv("DVC_ROOT", str(tmp_path))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
    params = Params.model_validate({"tracking": {"uri": "http://127.0.0.1:9"}})
    start = time.monotonic()
    with pytest.raises(tracking.TrackingError, match="tracking.uri: cannot reach"):
        with tracking.stage_run(params, "pretrain", "pretrain", {}):
            pytest.fail("the stage body must not run")
    assert time.monotonic() - start < 60


def test_store_lost_mid_run_keeps_training(tmp_path, monkeypatch, capsys):
    from xstilts import tracking
    from xstilts.config import Params

    monkeypatch.setenv("DVC_ROOT", str(tmp_path))
    monkeypatch.setattr(tracking, "_lost", [])
    with tracking.stage_run(Params(), "pretrain", "pretrain", {}):
        def unreachable(*args, **kwargs):
            raise ConnectionError("server went away")

        monkeypatch.setattr(mlflow, "log_metrics", unreachable)
        tracking.log_metrics({"mlm/loss": 1.0}, step=1)  # warns, does not raise
        tracking.log_metrics({"mlm/loss": 0.9}, step=2)
        assert tracking.register_if_best("xnli", 0.5, tmp_path, Params(), {}) is None
    assert "stopped answering" in capsys.readouterr().err


def test_untracked_training_leaves_no_store_behind(tmp_path, monkeypatch):
    """Probes train outside a stage: MLflow must not start a stray run and store in the
    working directory, and recording resumes after the block."""
    from xstilts import tracking

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tracking, "_lost", [])
    logged = []
    monkeypatch.setattr(mlflow, "log_metrics", lambda *a, **k: logged.append(a))
    with tracking.untracked():
        tracking.log_metrics({"pawsx/train_loss": 0.7}, step=1)
    assert logged == [] and list(tmp_path.iterdir()) == []
    tracking.log_metrics({"pawsx/train_loss": 0.6}, step=2)
    assert len(logged) == 1


# --- study and encoder keys -----------------------------------------------------------------

def test_the_study_key_ignores_the_encoder_and_its_clip_settings_only():
    from xstilts.config import Params
    from xstilts.tracking import setup_key

    base = Params()
    same = base.model_copy(update={"encoder": "clip", "seeds": [0, 1, 2],
                                   "clip": base.clip.model_copy(update={"steps": 800})})
    other = base.model_copy(update={"data": base.data.model_copy(
        update={"languages": ["en", "lat75"]})})
    assert setup_key(same) == setup_key(base) != setup_key(other)
    # Retrieval settings re-run no fine-tuning: a champion must not lose its study over them.
    retrieval = base.model_copy(update={"eval": base.eval.model_copy(
        update={"retrieval_layer": 3, "retrieval_max_length": 64})})
    assert setup_key(retrieval) == setup_key(base)


def test_the_encoder_key_tells_clip_settings_apart():
    from xstilts.config import Params
    from xstilts.tracking import encoder_key

    base = Params()
    english = base.model_copy(update={"clip": base.clip.model_copy(
        update={"caption_languages": "en"})})
    assert encoder_key(base) == encoder_key(english) == "xlmr"
    assert encoder_key(base, "clip").startswith("clip-")
    assert encoder_key(base, "clip") != encoder_key(english, "clip")
    # Offline the released model's name makes no encoder; in real mode only it does.
    released = base.model_copy(update={"hub": base.hub.model_copy(
        update={"clip_model": "xlm-roberta-base-ViT-B-32"})})
    assert encoder_key(released, "clip") == encoder_key(base, "clip")
    real = base.model_copy(update={"data": base.data.model_copy(update={"source": "hf"})})
    real_english = real.model_copy(update={"clip": english.clip})
    assert encoder_key(real, "clip") == encoder_key(real_english, "clip")
