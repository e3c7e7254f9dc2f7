"""Stage `pretrain` (phase 0): main() on the tiny world (tests/stages/conftest.py) saves an
encoder and tokenizer that load, its metrics, and its run in the workspace's MLflow store."""

import json
import math

from xstilts.models.task_model import load_encoder


def test_main_saves_an_encoder_that_loads_and_records_its_run(pretrained):
    ws, p = pretrained, pretrained.params["pretrain"]
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {
        f.name for f in ws.pretrained.iterdir()}
    encoder, tokenizer = load_encoder(ws.pretrained)
    assert encoder.config.hidden_size == p["hidden_size"]
    assert encoder.config.num_hidden_layers == p["layers"]
    metrics = json.loads((ws.metrics / "pretrain.json").read_text())
    assert math.isfinite(metrics["mlm_loss"]) and metrics["vocab_size"] == len(tokenizer)
    assert metrics["parameters"] > sum(x.numel() for x in encoder.parameters())  # + LM head
    [run] = ws.tracked("pretrain")
    assert run.info.status == "FINISHED"
    assert run.data.metrics["mlm_loss"] == metrics["mlm_loss"]
    assert not list((ws.root / "checkpoints").glob("pretrain-*"))  # finished: nothing to resume
