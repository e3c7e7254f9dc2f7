"""Stage `params`: it names a bad key before any other stage runs, and writes per stage the
keys that stage reads in the study's mode (and no key of the other mode)."""

import json

import pytest
import yaml

from tiny_profile import ROOT
from xstilts.config import Params
from xstilts.stages import params as stage


def test_offline_stages_read_no_hub_key_and_real_ones_no_world_key():
    offline = stage.mode_params(Params())
    assert "hub" not in json.dumps(offline)
    assert offline["generate"]["world"] == Params().world.model_dump()
    real = stage.mode_params(Params(data={"source": "hf", "languages": ["en", "de"]}))
    assert not {"world", "pretrain", "clip"} & {k for v in real.values() for k in v}
    assert real["captions"]["hub"]["captions"]["split"] == "test"


def test_writes_one_file_per_stage(tmp_path):
    stage.main(["--params", str(ROOT / "params.yaml"), "--out", str(tmp_path)])
    written = {p.stem: json.loads(p.read_text()) for p in tmp_path.glob("*.json")}
    assert written == stage.mode_params(Params())


def test_an_unknown_key_stops_it_naming_the_key(tmp_path):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["bogus_top"] = 1
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(SystemExit, match="bogus_top"):
        stage.main(["--params", str(tmp_path / "params.yaml"), "--out", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()
