"""Stage `intermediate` (phase 1): main() on the tiny world (tests/stages/conftest.py) trains
a head on MNLI and scores it on English dev data; `none` passes the encoder on untrained."""

import json

from xstilts.models.task_model import load_task_model


def test_main_trains_on_the_task_and_passes_the_baseline_on(intermediates):
    ws = intermediates
    mnli = json.loads((ws.metrics / "intermediate" / "mnli-s0.json").read_text())
    assert set(mnli) == {"mnli/accuracy/en", "mnli/accuracy/avg"}
    assert all(0 <= v <= 1 for v in mnli.values())
    assert json.loads((ws.metrics / "intermediate" / "none-s0.json").read_text()) == {}
    for task, heads in (("mnli", {"mnli"}), ("none", set())):
        out = ws.intermediate / f"{task}-s0"
        assert {"config.json", "model.safetensors", "tokenizer.json"} <= {
            f.name for f in (out / "encoder").iterdir()}
        model, _ = load_task_model(out)
        assert set(model.heads) == heads
    assert {r.data.tags["mlflow.runName"] for r in ws.tracked("intermediate")} == {
        "intermediate-none-s0", "intermediate-mnli-s0"}
    assert not list((ws.root / "checkpoints").glob("mnli-*"))  # finished: nothing to resume
