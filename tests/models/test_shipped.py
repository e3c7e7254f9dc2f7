"""The shipped phase-0 encoder (assets/encoder) belongs to this commit: its release key is the
key of the default world's corpus and params, its tokenizer is the one phase 0 trains on that
corpus, and the pretrain stage takes it, or refuses it for another world."""

import json

import pytest
import yaml

from tiny_profile import ROOT
from world_reference import default_corpus
from xstilts.config import Params
from xstilts.models.shipped import ShippedEncoderError, check, read_release, release_key
from xstilts.stages import pretrain
from xstilts.tokenization import train_tokenizer

SHIPPED = ROOT / "assets" / "encoder"


def test_the_shipped_release_is_this_commits_world_and_params():
    params = Params()
    key = release_key(default_corpus(), params.pretrain.model_dump(), params.train.model_dump())
    assert read_release(SHIPPED)["key"] == key, (
        "the world or pretrain.* changed since assets/encoder was shipped: "
        "run `python -m xstilts.release` and commit assets/encoder")


def test_the_shipped_tokenizer_is_the_one_phase_0_trains():
    lines = [line for lang_lines in default_corpus().values() for line in lang_lines]
    trained = json.loads(train_tokenizer(lines, Params().pretrain.vocab_size)
                         .backend_tokenizer.to_str())
    ours = json.loads((SHIPPED / "tokenizer.json").read_text())
    assert trained["model"] == ours["model"]


def test_a_release_of_another_study_is_refused():
    with pytest.raises(ShippedEncoderError, match="pretrain.source=train"):
        check(SHIPPED, "0" * 16)


def test_the_pretrain_stage_copies_the_release_or_refuses_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for lang, lines in default_corpus().items():
        (corpus / f"{lang}.txt").write_text("\n".join(lines) + "\n")
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["tracking"]["uri"] = f"sqlite:///{tmp_path}/mlflow.db"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    args = ["--corpus", str(corpus), "--shipped", str(SHIPPED), "--out", "pretrained",
            "--metrics", "pretrain.json"]
    pretrain.main(args)
    assert (tmp_path / "pretrained" / "model.safetensors").read_bytes() == \
        (SHIPPED / "model.safetensors").read_bytes()
    assert json.loads((tmp_path / "pretrain.json").read_text())["source"] == "shipped"
    (corpus / "en.txt").write_text("another world\n")
    with pytest.raises(ShippedEncoderError, match="another corpus"):
        pretrain.main(args)
