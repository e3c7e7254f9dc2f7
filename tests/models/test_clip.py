"""The open_clip model with the project's HF encoder as text tower: built from the project
config, LiT with a frozen image tower, ClipLoss falling through the project loop (with the
phase-0b stage's batcher and objective), saved, reloaded and exported for the pipeline; and
the released models of real mode resolved offline."""

import json
import socket
from pathlib import Path

import huggingface_hub.constants
import numpy as np
import open_clip
import pytest
import torch
from open_clip.hf_model import HFTextEncoder
from safetensors.torch import save_file
from transformers import XLMRobertaModel

from xstilts.config import HubParams
from xstilts.models import clip
from xstilts.models.hub import HUB_CLIPS
from xstilts.models.task_model import load_encoder
from xstilts.stages.pretrain_clip import CaptionBatcher, clip_objective, tokenize
from xstilts.train.loop import LoopConfig, train
from xstilts.world.images import load_caption_dataset
from xstilts.world.languages import DEFAULT_LANGUAGES


def test_model_builds_from_the_project_config(encoder_dir):
    model, cfg = clip.build_clip(encoder_dir, image_size=32)
    assert clip.TINY_MODEL in open_clip.list_models()
    assert isinstance(model, open_clip.CustomTextCLIP)
    assert isinstance(model.text, HFTextEncoder)
    assert model.text.transformer.config.hidden_size == 32
    assert cfg["text_cfg"]["hf_model_name"] == str(encoder_dir.resolve())
    # The text tower starts from the phase-0 weights, not from a fresh init.
    phase0 = XLMRobertaModel.from_pretrained(encoder_dir)
    assert torch.equal(model.text.transformer.embeddings.word_embeddings.weight,
                       phase0.embeddings.word_embeddings.weight)
    ids = clip.text_tokenizer(cfg)(["the big red ball is above the small blue box ."])
    images = clip.image_input(np.zeros((1, 3, 32, 32), np.uint8))
    img, txt, scale = model(images, clip.trim_padding(ids, 1))
    assert img.shape == txt.shape == (1, 128)
    assert scale.item() == pytest.approx(1 / 0.07, rel=1e-4)


def test_frozen_image_tower_is_lit(encoder_dir):
    model, _ = clip.build_clip(encoder_dir, image_tower="frozen")
    assert not any(p.requires_grad for p in model.visual.parameters())
    assert all(p.requires_grad for p in model.text.parameters())
    with pytest.raises(ValueError, match="image_tower"):
        clip.build_clip(encoder_dir, image_tower="half")


def test_clip_loss_falls_in_the_project_loop(encoder_dir, captions_dir):
    model, cfg = clip.build_clip(encoder_dir)
    tokenizer = clip.text_tokenizer(cfg)
    images, caps = load_caption_dataset(captions_dir / "train")
    langs = [s.code for s in DEFAULT_LANGUAGES]
    batcher = CaptionBatcher(images, tokenize(tokenizer, caps, langs), 16, 2, 0, 1)
    batch = batcher.batch(3)
    assert batch["images"].shape == (16, 3, 32, 32) and batch["texts"].shape[:2] == (2, 16)
    assert torch.equal(batch["texts"], batcher.batch(3)["texts"])  # a function of the step
    logs = []
    train(model, clip_objective(), batcher.batch,
          LoopConfig(steps=24, lr=2e-3, warmup_ratio=0.1, log_every=6),
          on_log=lambda step, m: logs.append(m))
    assert logs[-1]["loss"] < 0.9 * logs[0]["loss"]
    assert all(0.01 <= m["temperature"] <= 0.1 for m in logs)


def test_saved_clip_reloads_with_identical_embeddings(trained):
    run, out = trained
    model = run.model.eval()
    loaded, tokenizer = clip.load_clip(out / "clip")
    sentences = ["the big red ball is above the small blue box .", "zo shoe big do kod ."]
    ids = run.tokenizer(sentences)
    assert torch.equal(tokenizer(sentences), ids)  # open_clip.get_tokenizer("local-dir:...")
    images = clip.image_input(np.random.default_rng(0).integers(0, 256, (2, 3, 32, 32),
                                                                 dtype=np.uint8))
    with torch.no_grad():
        assert torch.allclose(loaded.encode_image(images), model.encode_image(images), atol=1e-6)
        assert torch.allclose(loaded.encode_text(ids), model.encode_text(ids), atol=1e-6)
        assert torch.equal(loaded.logit_scale, model.logit_scale)


def test_exported_encoder_loads_for_the_pipeline(trained):
    run, out = trained
    for directory in (out / "encoder", out):  # load_encoder also finds <dir>/encoder
        encoder, tokenizer = load_encoder(directory)
        batch = tokenizer(["the big red ball is above the small blue box ."],
                          return_tensors="pt")
        with torch.no_grad():
            mine = run.model.text.transformer(**batch).last_hidden_state
            theirs = encoder.eval()(**batch).last_hidden_state
        assert torch.allclose(mine, theirs, atol=1e-6)


# --- real mode -----------------------------------------------------------------------------

@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    # The hub library read HF_HUB_OFFLINE at import; its constant is what it checks later.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


@pytest.mark.parametrize("name, tag, hub", [
    ("xlm-roberta-base-ViT-B-32", "laion5b_s13b_b90k",
     "laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k/"),
    ("xlm-roberta-large-ViT-H-14", "frozen_laion5b_s13b_b90k",
     "laion/CLIP-ViT-H-14-frozen-xlm-roberta-large-laion5B-s13B-b90k/"),
])
def test_hub_models_resolve_offline(no_network, name, tag, hub):
    cfg, pretrained = clip.resolve_hub_clip(name, tag)
    shipped = Path(open_clip.__file__).parent / "model_configs" / f"{name}.json"
    assert cfg == json.loads(shipped.read_text())
    assert cfg["text_cfg"]["hf_model_name"] == name.split("-ViT")[0]
    assert pretrained["hf_hub"] == hub
    assert clip.HUB_MODELS[name] == tag
    # The table config validation reads to pair CLIP with the XLM-R of its own text tower.
    assert HUB_CLIPS[name] == (cfg["text_cfg"]["hf_model_name"], tag)


def test_hub_defaults_and_unknown_names(no_network):
    p = HubParams()
    assert clip.resolve_hub_clip(p.clip_model, p.clip_pretrained)[0]["embed_dim"] == 1024
    with pytest.raises(ValueError, match="laion5b_s13b_b90k"):
        clip.resolve_hub_clip("xlm-roberta-base-ViT-B-32", "openai")
    with pytest.raises(ValueError, match="no model"):
        clip.resolve_hub_clip("xlm-roberta-huge", "laion5b_s13b_b90k")
    with pytest.raises(ValueError, match="no HF text tower"):
        clip.resolve_hub_clip("ViT-B-32", "openai")


def test_hub_model_without_network_fails_clearly(no_network, tmp_path):
    with pytest.raises(RuntimeError, match="network access"):
        clip.build_hub_clip("xlm-roberta-base-ViT-B-32", "laion5b_s13b_b90k",
                            cache_dir=str(tmp_path))


@pytest.mark.slow
def test_a_mirrored_hub_clip_loads_without_network(no_network, encoder_dir, tmp_path):
    """Real mode from a mirror (hub.mirror): open_clip's own config of the released model,
    the mirror's weights file, and the text tower built from the HF config and tokenizer in
    the mirror's encoder directory (here a tiny one, so the weights are made to match)."""
    name, tag = "xlm-roberta-base-ViT-B-32", "laion5b_s13b_b90k"
    cfg, _ = clip.resolve_hub_clip(name, tag)
    text_cfg = {**cfg["text_cfg"], "hf_model_name": str(encoder_dir),
                "hf_tokenizer_name": str(encoder_dir), "hf_model_pretrained": False}
    released = open_clip.create_model(name, text_cfg=text_cfg)
    weights = tmp_path / "open_clip_model.safetensors"
    save_file({k: v.contiguous() for k, v in released.state_dict().items()}, str(weights))
    model, loaded_cfg, tokenizer = clip.build_hub_clip(name, tag, weights=weights,
                                                       text_dir=encoder_dir)
    state = model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in released.state_dict().items())
    assert loaded_cfg["text_cfg"]["hf_model_name"] == str(encoder_dir)
    assert tokenizer(["a b"]).shape == (1, loaded_cfg["text_cfg"].get("context_length", 77))
