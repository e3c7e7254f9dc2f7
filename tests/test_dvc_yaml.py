"""dvc.yaml and the params files agree: every param a stage tracks exists, and every stage runs a
stage module that exists (DVC only finds out when it reaches the stage)."""

import ast
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from xstilts.config import Params
from xstilts.stages.params import mode_params

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


def stage_module(stage: dict) -> str:
    """The module a stage's command runs (``python -m xstilts.stages <stage> ...``)."""
    return "xstilts.stages." + re.search(r"python -m xstilts\.stages (\w+)", stage["cmd"]).group(1)


def test_every_stage_runs_an_existing_module():
    for name, stage in PIPELINE["stages"].items():
        module = stage_module(stage)
        assert importlib.util.find_spec(module) is not None, f"{name}: {module}"


def test_intermediate_stage_tracks_every_phase_1_setting():
    # An untracked key would leave the checkpoints of an experiment that changes it stale.
    tracked = set(PIPELINE["stages"]["intermediate"]["params"])
    settings = {f"intermediate.{key}" for key in PARAMS["intermediate"] if key != "tasks"}
    assert settings <= tracked


def test_phase_0_is_one_encoder_for_every_seed():
    # `seeds` experiments must reuse phase 0 and 0b from the cache, not retrain them.
    offline = mode_params(Params())
    for name in ("pretrain", "pretrain_clip"):
        assert "seeds" not in PIPELINE["stages"][name]["params"], name
        assert "${paths.mode_params}/" + f"{name}.json" in PIPELINE["stages"][name]["deps"], name
        assert "seeds" not in offline[name] and offline[name]["pretrain"]["seed"] == 0, name


def test_each_mode_params_file_is_written_by_the_params_stage_and_read_by_its_stage():
    written = {next(iter(o)) for o in PIPELINE["stages"]["params"]["outs"]}
    for source in ("synthetic", "hf"):
        params = Params(data={"source": source, "languages": ["en", "de"] if source == "hf"
                              else ["en", "lat75"]})
        for stage in mode_params(params):
            path = "${paths.mode_params}/" + f"{stage}.json"
            assert path in written, stage
            assert path in PIPELINE["stages"][stage]["deps"], stage


# Modules every stage runs that do not shape its outputs: the entry point, the validation of
# params.yaml (whose keys DVC tracks one by one), errors, MLflow records and rank checks.
INFRASTRUCTURE = {"xstilts", "xstilts.config", "xstilts.errors", "xstilts.stages.cli",
                  "xstilts.tracking", "xstilts.train.distributed"}


def _module_file(name: str) -> Path | None:
    base = ROOT / "src" / Path(*name.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.exists():
            return path
    return None  # a name imported from a module, not a module


def _docstring_only(path: Path) -> bool:
    # The packages' __init__ files: nothing there shapes an output.
    body = ast.parse(path.read_text()).body
    return len(body) == 1 and isinstance(body[0], ast.Expr)


def _imported_modules(path: Path) -> set[str]:
    """xstilts modules a file imports, in functions too (lazy imports run as well)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return {n for n in names if n.split(".")[0] == "xstilts"}


def _code_read_by(module: str) -> set[Path]:
    files, todo = set(), [module]
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if path is None or path in files or name in INFRASTRUCTURE or _docstring_only(path):
            continue
        files.add(path)
        todo += _imported_modules(path)
    return files


@pytest.mark.parametrize("name", sorted(PIPELINE["stages"]))
def test_every_stage_depends_on_the_code_it_runs(name):
    # An undeclared module leaves the stage's outputs stale when that code changes.
    stage = PIPELINE["stages"][name]
    module = stage_module(stage)
    deps = [ROOT / d for d in stage["deps"] if d.startswith("src/")]
    missing = sorted(str(f.relative_to(ROOT)) for f in _code_read_by(module)
                     if not any(f == d or d in f.parents for d in deps))
    assert not missing, f"{name}: add to its deps: {missing}"
