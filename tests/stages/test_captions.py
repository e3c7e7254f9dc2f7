"""Stage `captions` (phase 0b data): train and test sets of the world's captioned images,
a smoke run of main() on the tiny world, and in real mode an unreachable hub that fails fast
and leaves the previous output."""

import json
from pathlib import Path

import pytest
import yaml

from xstilts.stages import captions as captions_stage
from xstilts.world.images import load_caption_dataset
from xstilts.world.languages import DEFAULT_LANGUAGES


def test_captions_stage_writes_train_and_test(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"clip": {"images": 6}, "world": {"eval_size": 3}}))
    captions_stage.main(["--params", str(params), "--out", str(tmp_path / "captions")])
    meta = {s: json.loads((tmp_path / "captions" / s / "meta.json").read_text())
            for s in ("train", "test")}
    assert meta["train"]["images"] == 6 and meta["test"]["images"] == 3
    assert meta["train"]["languages"] == [s.code for s in DEFAULT_LANGUAGES]


def test_main_renders_the_tiny_world(captioned):
    """main() on the tiny world (tests/stages/conftest.py): ``clip.images`` training and
    ``world.eval_size`` test images, captioned in the study's languages."""
    ws = captioned
    size = ws.params["clip"]["image_size"]
    for split, n in (("train", ws.params["clip"]["images"]),
                     ("test", ws.params["world"]["eval_size"])):
        meta = json.loads((ws.captions / split / "meta.json").read_text())
        assert meta["images"] == n and meta["languages"] == ws.languages
        images, caps = load_caption_dataset(ws.captions / split)
        assert images.shape == (n, 3, size, size) and len(caps) == n
        assert all(list(c) == ws.languages and all(c.values()) for c in caps)


def test_captions_stage_in_real_mode_fails_fast_offline_and_writes_nothing(tmp_path,
                                                                         monkeypatch):
    import yaml

    from xstilts.data.hub import HubError
    from xstilts.stages import captions

    params = yaml.safe_load(Path("params.yaml").read_text())
    params["data"] = {"source": "hf", "languages": ["en", "de"]}
    params["hub"]["captions"]["dataset"] = "lmms-lab/flickr30k"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    out = tmp_path / "captions"
    out.mkdir()
    (out / "kept.txt").write_text("earlier output")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(HubError, match="data.source: synthetic"):
        captions.main(["--params", str(tmp_path / "params.yaml"), "--out", str(out)])
    assert [p.name for p in out.iterdir()] == ["kept.txt"]
