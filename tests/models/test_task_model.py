"""The task model: heads saved and loaded with their encoder (the same logits, <s> pooling
kept), encoder directories whose damage names the directory, and frozen lower layers that
training leaves as they were."""

import json

import pytest
import torch
from transformers import XLMRobertaConfig, XLMRobertaModel

from tiny_models import WORLD
from tiny_training import PAD, examples, params_of, tiny_model
from xstilts.data.features import encode
from xstilts.data.files import DataFileError
from xstilts.models.task_model import TaskModel, load_encoder, load_task_model
from xstilts.tasks import XNLI
from xstilts.train.batching import BucketBatcher, collate
from xstilts.train.loop import LoopConfig, train
from xstilts.train.objectives import task_loss
from xstilts.world import datasets


def test_task_model_save_load_round_trip(tmp_path, model, tokenizer):
    records = list(datasets.xnli(WORLD, "test", "lat75", 8))
    examples = encode(XNLI, records, tokenizer, max_length=64)
    batch = collate(examples, tokenizer.pad_token_id)
    model.save(tmp_path / "saved", tokenizer)
    assert json.loads((tmp_path / "saved" / "heads.json").read_text()) == {
        "xnli": {"type": "classification", "num_labels": 3}}

    loaded, loaded_tok = load_task_model(tmp_path / "saved")
    loaded.eval()
    with torch.no_grad():
        assert torch.equal(model("xnli", batch)["logits"], loaded("xnli", batch)["logits"])
    texts = [r["sentence1"] for r in records]
    assert loaded_tok(texts)["input_ids"] == tokenizer(texts)["input_ids"]
    assert loaded_tok.pad_token_id == 1 and loaded_tok.mask_token == "<mask>"


def test_bf16_weights_take_half_the_disk_and_load_as_fp32_to_train_on(tmp_path, model,
                                                                     tokenizer):
    """``train.save_dtype: bf16``: the files hold the weights rounded to bf16; loading gives
    fp32 parameters (the next phase's master weights) equal to those rounded values."""
    model.save(tmp_path / "fp32", tokenizer)
    model.save(tmp_path / "bf16", tokenizer, torch.bfloat16)
    size = {d: sum(f.stat().st_size for f in (tmp_path / d).rglob("*.safetensors"))
            for d in ("fp32", "bf16")}
    assert size["bf16"] < 0.55 * size["fp32"]
    loaded = load_task_model(tmp_path / "bf16")[0].state_dict()
    for name, p in model.state_dict().items():
        if name in loaded:  # not the pooler, which no head reads and loading leaves out
            assert loaded[name].dtype == torch.float32, name
            assert torch.equal(loaded[name], p.to(torch.bfloat16).float()), name
    assert len(loaded) > 10


def test_first_token_pooling_is_saved_and_reads_only_the_s_state(tmp_path, tokenizer):
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1,
                              num_attention_heads=2, intermediate_size=64,
                              max_position_embeddings=130, type_vocab_size=1, pad_token_id=1)
    m = TaskModel(XLMRobertaModel(config), {})
    m.add_head("xnli", "classification", 3, pooling="first")
    m.add_head("csqa", "multiple_choice", 5, pooling="first")
    m.save(tmp_path / "saved", tokenizer)
    specs = json.loads((tmp_path / "saved" / "heads.json").read_text())
    assert specs["xnli"]["pooling"] == specs["csqa"]["pooling"] == "first"
    loaded, _ = load_task_model(tmp_path / "saved")
    head = loaded.heads["xnli"]
    assert head.pooling == "first"
    hidden = torch.randn(2, 5, 32)
    mask = torch.ones(2, 5, dtype=torch.long)
    changed = hidden.clone()
    changed[:, 1:] = 0.0  # every state but <s> changed: the logits must not move
    with torch.no_grad():
        assert torch.equal(head(hidden, {"attention_mask": mask})["logits"],
                           head(changed, {"attention_mask": mask})["logits"])


def test_load_encoder_reports_incomplete_directory(tmp_path, model):
    model.encoder.save_pretrained(tmp_path)  # no tokenizer.json
    with pytest.raises(DataFileError, match="tokenizer.json is missing"):
        load_encoder(tmp_path)


@pytest.mark.parametrize("damaged", ["tokenizer.json", "config.json", "model.safetensors"])
def test_load_encoder_names_a_corrupted_file_s_directory(tmp_path, model, tokenizer, damaged):
    model.save(tmp_path / "saved", tokenizer)
    path = tmp_path / "saved" / "encoder" / damaged
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # truncated
    with pytest.raises(DataFileError, match="saved/encoder"):
        load_encoder(tmp_path / "saved")


def test_frozen_embeddings_and_lower_layers_stay_as_they_were():
    model = tiny_model()
    model.freeze_lower(embeddings=True, layers=1)
    before = params_of(model)
    batcher = BucketBatcher(examples(12), batch_size=4, seed=0, pad_id=PAD)
    train(model, task_loss("nli"), batcher.batch, LoopConfig(steps=3, lr=1e-2))
    after = params_of(model)
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    frozen = ("encoder.embeddings.", "encoder.encoder.layer.0.")
    assert moved and not any(k.startswith(frozen) for k in moved)
    assert any(k.startswith("encoder.encoder.layer.1.") for k in moved)
    assert any(k.startswith("heads.nli.") for k in moved)
    with pytest.raises(ValueError, match="train.freeze_layers: 3"):
        tiny_model().freeze_lower(embeddings=False, layers=3)
