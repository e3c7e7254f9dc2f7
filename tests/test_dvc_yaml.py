"""dvc.yaml and params.yaml agree: every param a stage tracks exists, and every stage runs a
stage module that exists (DVC only finds out when it reaches the stage)."""

import importlib.util
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = yaml.safe_load((ROOT / "dvc.yaml").read_text())
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


def test_every_tracked_param_exists_in_params_yaml():
    for name, stage in PIPELINE["stages"].items():
        for key in stage.get("params", []):
            node = PARAMS
            for part in key.split("."):
                assert isinstance(node, dict) and part in node, f"{name}: {key}"
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
