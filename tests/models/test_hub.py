"""Released encoders (real mode): fetched from a local checkpoint into the directory that
load_encoder reads, and an unreachable hub that names the way back."""

import json

import pytest
from transformers import PreTrainedTokenizerFast, XLMRobertaForMaskedLM, XLMRobertaModel

from local_hub import SENTENCES, tiny_config
from xstilts.data.hub import HubError
from xstilts.models.hub import fetch_encoder
from xstilts.models.task_model import load_encoder
from xstilts.tokenization import train_tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    """A tokenizer of the sentences the local hub's records are made of."""
    return train_tokenizer([s for lang in SENTENCES.values() for s in lang], vocab_size=400)


def test_fetch_encoder_offline_names_the_way_back(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "pretrained"
    with pytest.raises(HubError, match="data.source: synthetic"):
        fetch_encoder("xlm-roberta-large", out)
    assert not out.exists()


def test_fetch_encoder_saves_what_load_encoder_reads(tokenizer, tmp_path):
    source = tmp_path / "xlmr-tiny"  # a local checkpoint stands in for the hub's
    XLMRobertaForMaskedLM(tiny_config(tokenizer)).save_pretrained(source)
    tokenizer.save_pretrained(source)
    out = fetch_encoder(str(source), tmp_path / "pretrained")
    encoder, tok = load_encoder(out)
    assert isinstance(encoder, XLMRobertaModel) and isinstance(tok, PreTrainedTokenizerFast)
    assert tok("Die Katze")["input_ids"] == tokenizer("Die Katze")["input_ids"]
    assert json.loads((out / "source.json").read_text())["name"] == str(source)
