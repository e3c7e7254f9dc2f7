"""A tiny study run through each training stage's ``main(argv)`` as ``dvc repro`` runs them:
generate -> pretrain -> captions -> pretrain_clip -> intermediate (none, mnli) -> finetune ->
retrieval, on two languages, a few dozen examples and a few steps (seconds in all).

One fixture per stage, each on the fixtures of the stages it reads, session-scoped: the chain
runs once for every smoke test of tests/stages, and a failing stage fails its own tests and
those of the stages after it. Every stage runs in the workspace (its working directory and
``DVC_ROOT``), so the MLflow store, its artifacts and the resume checkpoints stay there.
"""

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from tiny_profile import merge, tiny_params
from xstilts import tracking

# On top of the slow tests' tiny profile: two languages, two targets (a classifier and a
# tagger), both retrieval tasks, and a checkpoint every other step.
SMOKE = {
    "data": {"languages": ["en", "lat75"]},
    "world": {"corpus_sentences": 60, "intermediate_size": 40, "intermediate_cap": 40,
              "intermediate_floor": 10, "train_size": 40, "eval_size": 12, "tatoeba_size": 12},
    "pretrain": {"vocab_size": 150, "steps": 5, "batch_size": 16, "max_length": 64},
    "train": {"batch_size": 8, "checkpoint_every": 2, "max_length": 64, "bf16": False},
    "intermediate": {"tasks": ["none", "mnli"], "steps": 3, "epochs": None},
    "finetune": {"targets": ["xnli", "udpos"], "steps": 3},
    "eval": {"batch_size": 16, "retrieval_tasks": ["bucc", "tatoeba"], "retrieval_layer": 1,
             "retrieval_max_length": 64},
    "clip": {"images": 16, "image_size": 16, "steps": 2, "batch_size": 8,
             "captions_per_image": 2},
}


class Workspace:
    """The study's directory, laid out as dvc.yaml lays out the repository."""

    def __init__(self, root: Path):
        self.root = root
        self.params = merge(tiny_params(), SMOKE)
        (root / "params.yaml").write_text(yaml.safe_dump(self.params, sort_keys=False))
        self.languages = self.params["data"]["languages"]
        self.data = root / "data" / "synthetic"
        self.captions = root / "data" / "captions"
        self.pretrained = root / "models" / "pretrained"
        self.encoder = root / "models" / "encoder"
        self.intermediate = root / "models" / "intermediate"
        self.finetuned = root / "models" / "finetune"
        self.metrics = root / "metrics"
        self.store = root / "mlruns" / "mlflow.db"

    def run(self, stage, *args, **params) -> None:
        """``stage.main`` with ``args``, from the workspace; ``params`` replace top-level
        params (``encoder="clip"``) in a params file of their own."""
        path = self.root / "params.yaml"
        if params:
            named = json.dumps(params, sort_keys=True, default=str).encode()
            path = self.root / f"params-{hashlib.sha1(named).hexdigest()[:12]}.yaml"
            path.write_text(yaml.safe_dump({**self.params, **params}, sort_keys=False))
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(self.root)
            mp.setenv("DVC_ROOT", str(self.root))
            mp.setenv("XSTILTS_THREADS", "1")
            mp.setenv("HF_HUB_OFFLINE", "1")
            mp.delenv("DVC_EXP_NAME", raising=False)
            mp.delenv("XSTILTS_WORKERS", raising=False)
            # Each stage is a process of its own under DVC: nothing recorded before it.
            mp.setattr(tracking, "_lost", [])
            mp.setattr(tracking, "_logged", set())
            stage.main(["--params", str(path), *map(str, args)])

    def tracked(self, stage: str) -> list:
        """The MLflow runs of ``stage`` in the workspace's store."""
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=f"sqlite:///{self.store}")
        exp = client.get_experiment_by_name(self.params["tracking"]["experiment"])
        return client.search_runs([exp.experiment_id], f"tags.`xstilts.stage` = '{stage}'")


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Workspace:
    from xstilts.stages import generate

    ws = Workspace(tmp_path_factory.mktemp("smoke"))
    ws.run(generate, "--out", ws.data)
    return ws


@pytest.fixture(scope="session")
def pretrained(generated) -> Workspace:
    from xstilts.stages import pretrain

    ws = generated
    ws.run(pretrain, "--corpus", ws.data / "corpus", "--out", ws.pretrained,
           "--metrics", ws.metrics / "pretrain.json")
    return ws


@pytest.fixture(scope="session")
def captioned(generated) -> Workspace:
    from xstilts.stages import captions

    ws = generated
    ws.run(captions, "--out", ws.captions)
    return ws


@pytest.fixture(scope="session")
def encoded(pretrained, captioned) -> Workspace:
    """Phase 0b of ``encoder: xlmr``, as params.yaml has it: phase 0's encoder passed on."""
    from xstilts.stages import pretrain_clip

    ws = pretrained
    ws.run(pretrain_clip, "--pretrained", ws.pretrained, "--captions", ws.captions,
           "--out", ws.encoder, "--metrics", ws.metrics / "encoder.json")
    return ws


@pytest.fixture(scope="session")
def intermediates(encoded) -> Workspace:
    from xstilts.stages import intermediate

    ws = encoded
    for task in ws.params["intermediate"]["tasks"]:
        ws.run(intermediate, "--task", task, "--seed", 0, "--pretrained", ws.encoder,
               "--data", ws.data, "--out", ws.intermediate / f"{task}-s0",
               "--metrics", ws.metrics / "intermediate" / f"{task}-s0.json")
    return ws


@pytest.fixture(scope="session")
def finetuned(intermediates) -> Workspace:
    from xstilts.stages import finetune

    ws = intermediates
    ws.run(finetune, "--intermediate", "mnli", "--seed", 0, "--model",
           ws.intermediate / "mnli-s0", "--data", ws.data, "--out", ws.finetuned / "mnli-s0",
           "--metrics", ws.metrics / "finetune" / "mnli-s0.json")
    return ws


@pytest.fixture(scope="session")
def retrieved(intermediates) -> Workspace:
    from xstilts.stages import retrieval

    ws = intermediates
    ws.run(retrieval, "--models", ws.intermediate, "--data", ws.data,
           "--metrics", ws.metrics / "retrieval")
    return ws
