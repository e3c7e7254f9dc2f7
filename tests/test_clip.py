"""Phase 0b (CLIP): scenes rendered as captioned images, the open_clip model with the project's
HF encoder as text tower, ClipLoss through the project loop, save / reload / export, and the
real-mode resolver, all offline."""

import itertools
import json
import random
import socket
from pathlib import Path

import huggingface_hub.constants
import numpy as np
import open_clip
import pytest
import torch
import yaml
from open_clip.hf_model import HFTextEncoder
from transformers import XLMRobertaConfig, XLMRobertaModel

from xstilts.config import ClipParams, HubParams
from xstilts.data.files import DataFileError
from xstilts.models import clip
from xstilts.models.hub import HUB_CLIPS
from xstilts.models.task_model import load_encoder
from xstilts.stages import captions as captions_stage
from xstilts.stages.pretrain_clip import CaptionBatcher, clip_objective, tokenize, train_clip
from xstilts.tokenization import train_tokenizer
from xstilts.train.loop import LoopConfig, train
from xstilts.world.concepts import NOUNS
from xstilts.world.datasets import corpus
from xstilts.world.images import (
    _shape,
    image_caption_pairs,
    load_caption_dataset,
    render,
    write_caption_dataset,
)
from xstilts.world.languages import DEFAULT_LANGUAGES, World
from xstilts.world.syntax import Locative, NounPhrase, realise, text


@pytest.fixture(scope="module")
def world():
    return World(DEFAULT_LANGUAGES, seed=0)


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory, world) -> Path:
    """A tiny phase-0-shaped HF encoder: XLM-R architecture and the project's tokenizer."""
    lines = [line for lang in world.codes for line in corpus(world, lang, 60)]
    tokenizer = train_tokenizer(lines, 300)
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=64,
                              max_position_embeddings=66, type_vocab_size=1,
                              bos_token_id=0, pad_token_id=1, eos_token_id=2)
    path = tmp_path_factory.mktemp("encoder")
    XLMRobertaModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def captions_dir(tmp_path_factory, world) -> Path:
    path = tmp_path_factory.mktemp("captions")
    write_caption_dataset(path / "train", image_caption_pairs(world, "train", 48))
    write_caption_dataset(path / "test", image_caption_pairs(world, "test", 16))
    return path


@pytest.fixture(scope="module")
def trained(encoder_dir, captions_dir, tmp_path_factory):
    """A few steps of the stage's pure function, saved the way the stage saves."""
    p = ClipParams(images=48, steps=6, batch_size=16, lr=2e-3)
    run = train_clip(encoder_dir, captions_dir, p, [s.code for s in DEFAULT_LANGUAGES])
    out = tmp_path_factory.mktemp("clip-out")
    clip.save_clip(run.model, run.cfg, run.tokenizer, out)
    return run, out


# --- rendering -----------------------------------------------------------------------------

def test_captions_are_realised_in_every_language_and_deterministic(world):
    first = list(image_caption_pairs(world, "train", 5))
    again = list(image_caption_pairs(world, "train", 5))
    other = list(image_caption_pairs(world, "test", 5))
    for (img, caps), (img2, caps2) in zip(first, again, strict=True):
        assert img.shape == (3, 32, 32) and img.dtype == np.uint8
        assert np.array_equal(img, img2) and caps == caps2
        assert list(caps) == world.codes and all(caps.values())
        assert len(set(caps.values())) > 1  # languages differ
    assert not np.array_equal(first[0][0], other[0][0])  # splits draw their own scenes


def test_captions_say_only_what_the_image_shows(world):
    # No owners or places: every content word of a caption is a visible property.
    rng = random.Random(0)
    for _, caps in image_caption_pairs(world, "train", 20):
        assert "of" not in caps["en"].split() and "," not in caps["en"]
    scene = Locative(NounPhrase("ball", "red", "big"), "above", NounPhrase("box", "blue", "small"))
    assert render(scene, 32, rng).shape == (3, 32, 32)
    assert text(realise(scene, world.lexicons["en"])) == (
        "the big red ball is above the small blue box .")


def test_colours_sizes_relations_and_nouns_are_visible():
    def picture(**change):
        parts = {"noun": "ball", "colour": "red", "size": "big", "relation": "above"}
        parts.update(change)
        scene = Locative(NounPhrase(parts["noun"], parts["colour"], parts["size"]),
                         parts["relation"], NounPhrase("box", "green", "small"))
        return render(scene, 32, random.Random(1))  # same jitter and noise every time

    base = picture()
    for change in ({"colour": "blue"}, {"size": "small"}, {"relation": "near"},
                   {"relation": "behind"}, {"noun": "kite"}):
        assert not np.array_equal(base, picture(**change)), change
    # "X behind Y" and "Y before X" are one meaning, hence one picture; so are above / below.
    x, y = NounPhrase("ball", "red", "big"), NounPhrase("box", "green", "small")
    for relation, converse in (("behind", "before"), ("above", "below")):
        assert np.array_equal(render(Locative(x, relation, y), 32, random.Random(2)),
                              render(Locative(y, converse, x), 32, random.Random(2)))
    # Every noun has a shape of its own, by at least 10 pixels at the big size.
    grid = (np.arange(12) + 0.5) / 12 * 2 - 1
    u, v = np.meshgrid(grid, grid)
    masks = {n: _shape(u, v, n) for n in NOUNS}
    assert all((masks[a] ^ masks[b]).sum() >= 10 for a, b in itertools.combinations(NOUNS, 2))


def test_dataset_round_trip_and_damage(tmp_path, world):
    pairs = list(image_caption_pairs(world, "train", 4))
    assert write_caption_dataset(tmp_path, pairs) == 4
    images, caps = load_caption_dataset(tmp_path)
    assert np.array_equal(images, np.stack([p[0] for p in pairs]))
    assert caps == [p[1] for p in pairs]
    lines = (tmp_path / "captions.jsonl").read_text().splitlines()
    (tmp_path / "captions.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(DataFileError, match="lack"):
        load_caption_dataset(tmp_path)


def test_captions_stage_writes_train_and_test(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"clip": {"images": 6}, "world": {"eval_size": 3}}))
    captions_stage.main(["--params", str(params), "--out", str(tmp_path / "captions")])
    meta = {s: json.loads((tmp_path / "captions" / s / "meta.json").read_text())
            for s in ("train", "test")}
    assert meta["train"]["images"] == 6 and meta["test"]["images"] == 3
    assert meta["train"]["languages"] == [s.code for s in DEFAULT_LANGUAGES]


# --- model ---------------------------------------------------------------------------------

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


def test_train_clip_reports_retrieval_per_language(trained):
    run, _ = trained
    langs = [s.code for s in DEFAULT_LANGUAGES]
    assert set(run.metrics["retrieval"]) == set(langs)
    assert set(run.metrics["retrieval"]["lat75"]) == {"i2t_r1", "t2i_r1", "t2t_r1",
                                                      "encoder_t2t_r1"}
    # every image is captioned in several languages per step, all of them at most
    assert run.metrics["captions_per_image"] == min(ClipParams().captions_per_image, len(langs))
    assert all(0 <= v <= 1 for v in run.metrics["mean"].values())


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
