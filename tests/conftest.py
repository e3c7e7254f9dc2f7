"""Shared test settings and fixtures: one thread, the world of the default languages, the
world's tokenizer with a tiny XNLI model over it (``tokenizer``, ``model``; a module may define
its own), and a tiny phase-0 encoder with captioned images and a few steps of CLIP training on
them (the tests of the CLIP model and of phase 0b). The CLIP fixtures are built once per module (the
model tests draw from the generator encoder_dir seeds) and import what they use: a run of
tests that needs none of them does not import open_clip."""

from pathlib import Path

import pytest
import torch

from xstilts.world.languages import DEFAULT_LANGUAGES, World


@pytest.fixture(autouse=True, scope="session")
def one_thread():
    """Tiny models gain nothing from threads, and spinning threads stall on busy machines."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tokenizer():
    """The world's tokenizer (a module may define its own ``tokenizer``)."""
    from tiny_models import world_tokenizer

    return world_tokenizer()


@pytest.fixture(scope="module")
def model(tokenizer):
    """A tiny XNLI model over ``tokenizer``."""
    from tiny_models import xnli_model

    return xnli_model(tokenizer)


@pytest.fixture(scope="session")
def world():
    return World(DEFAULT_LANGUAGES, seed=0)


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory, world) -> Path:
    """A tiny phase-0-shaped HF encoder: XLM-R architecture and the project's tokenizer."""
    from transformers import XLMRobertaConfig, XLMRobertaModel

    from xstilts.tokenization import train_tokenizer
    from xstilts.world.datasets import corpus

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
    from xstilts.world.images import image_caption_pairs, write_caption_dataset

    path = tmp_path_factory.mktemp("captions")
    write_caption_dataset(path / "train", image_caption_pairs(world, "train", 48))
    write_caption_dataset(path / "test", image_caption_pairs(world, "test", 16))
    return path


@pytest.fixture(scope="module")
def trained(encoder_dir, captions_dir, tmp_path_factory):
    """A few steps of the stage's pure function, saved the way the stage saves."""
    from xstilts.config import ClipParams
    from xstilts.models import clip
    from xstilts.stages.pretrain_clip import train_clip

    p = ClipParams(images=48, steps=6, batch_size=16, lr=2e-3)
    run = train_clip(encoder_dir, captions_dir, p, [s.code for s in DEFAULT_LANGUAGES])
    out = tmp_path_factory.mktemp("clip-out")
    clip.save_clip(run.model, run.cfg, run.tokenizer, out)
    return run, out
