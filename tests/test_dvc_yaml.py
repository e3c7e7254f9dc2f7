"""dvc.yaml and the params files agree: every param a stage tracks exists, and every stage runs a
stage module that exists (DVC only finds out when it reaches the stage)."""

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = yaml.safe_load((ROOT / "dvc.yaml").read_text())
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


@pytest.mark.parametrize("path", ["params.yaml", *sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "profiles").glob("*.yaml"))])
def test_every_tracked_param_exists(path):
    # DVC refuses to run a stage whose tracked param is missing ("cp profiles/paper.yaml
    # params.yaml && dvc repro" must work).
    params = yaml.safe_load((ROOT / path).read_text())
    for name, stage in PIPELINE["stages"].items():
        for key in stage.get("params", []):
            node = params
            for part in key.split("."):
                assert isinstance(node, dict) and part in node, f"{path}: {name}: {key}"
                node = node[part]


def test_every_stage_runs_an_existing_module():
    for name, stage in PIPELINE["stages"].items():
        module = re.search(r"python -m (\S+)", stage["cmd"]).group(1)
        assert importlib.util.find_spec(module) is not None, f"{name}: {module}"


def test_intermediate_stage_tracks_every_phase_1_setting():
    # An untracked key would leave the checkpoints of an experiment that changes it stale.
    tracked = set(PIPELINE["stages"]["intermediate"]["params"])
    settings = {f"intermediate.{key}" for key in PARAMS["intermediate"] if key != "tasks"}
    assert settings <= tracked


def test_phase_0_is_one_encoder_for_every_seed():
    # `seeds` experiments must reuse phase 0 and 0b from the cache, not retrain them.
    for name in ("pretrain", "pretrain_clip"):
        tracked = set(PIPELINE["stages"][name]["params"])
        assert "seeds" not in tracked, name
        assert tracked & {"pretrain", "pretrain.seed"}, name
