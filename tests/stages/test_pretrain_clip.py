"""Stage `pretrain_clip` (phase 0b): its training reports retrieval per language, and smoke
runs of main() on the tiny world: `encoder: clip` trains and exports a text encoder the
pipeline loads, `encoder: xlmr` passes the phase-0 encoder on."""

import json

import numpy as np
import torch

from xstilts.config import ClipParams
from xstilts.models import clip
from xstilts.models.task_model import load_encoder
from xstilts.stages import pretrain_clip
from xstilts.world.languages import DEFAULT_LANGUAGES


def test_train_clip_reports_retrieval_per_language(trained):
    run, _ = trained
    langs = [s.code for s in DEFAULT_LANGUAGES]
    assert set(run.metrics["retrieval"]) == set(langs)
    assert set(run.metrics["retrieval"]["lat75"]) == {"i2t_r1", "t2i_r1", "t2t_r1",
                                                      "encoder_t2t_r1"}
    # every image is captioned in several languages per step, all of them at most
    assert run.metrics["captions_per_image"] == min(ClipParams().captions_per_image, len(langs))
    assert all(0 <= v <= 1 for v in run.metrics["mean"].values())


# --- main() on the tiny world (tests/stages/conftest.py) ------------------------------------

def test_main_with_encoder_clip_exports_an_encoder_the_pipeline_loads(pretrained, captioned):
    ws = captioned
    out, metrics = ws.root / "models" / "clip", ws.metrics / "clip.json"
    ws.run(pretrain_clip, "--pretrained", ws.pretrained, "--captions", ws.captions,
           "--out", out, "--metrics", metrics, encoder="clip")
    loaded, tokenizer = clip.load_clip(out / "clip")
    size = ws.params["clip"]["image_size"]
    images = clip.image_input(np.zeros((2, 3, size, size), np.uint8))
    with torch.no_grad():
        assert loaded.encode_image(images).shape == loaded.encode_text(
            tokenizer(["a", "b"])).shape
    encoder, _ = load_encoder(out)  # <out>/encoder, as the intermediate stage reads it
    assert encoder.config.hidden_size == ws.params["pretrain"]["hidden_size"]
    written = json.loads(metrics.read_text())
    assert set(written["retrieval"]) == set(ws.languages)
    assert written["train_images"] == ws.params["clip"]["images"]
    assert written["train_languages"] == len(ws.languages)
    assert all(0 <= v <= 1 for v in written["mean"].values())
    [run] = ws.tracked("pretrain_clip")
    assert run.info.status == "FINISHED"
    assert not list((ws.root / "checkpoints").glob("pretrain_clip-*"))  # nothing to resume


def test_main_with_encoder_xlmr_passes_the_phase_0_encoder_on(encoded):
    ws = encoded
    copied = ws.encoder / "encoder"
    assert sorted(p.name for p in copied.iterdir()) == sorted(
        p.name for p in ws.pretrained.iterdir())
    assert (copied / "model.safetensors").read_bytes() == (
        ws.pretrained / "model.safetensors").read_bytes()
    assert json.loads((ws.metrics / "encoder.json").read_text()) == {"phase_0b": "none"}
