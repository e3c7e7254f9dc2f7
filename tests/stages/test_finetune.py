"""Stage `finetune` (phases 2 and 3): each target's model is selected on English dev data,
and a smoke run of main() on the tiny world (tests/stages/conftest.py)."""

import json

import yaml

from tiny_profile import ROOT
from xstilts.config import Params
from xstilts.models.task_model import load_task_model
from xstilts.phases import recipes


def params(**finetune) -> Params:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["finetune"].update(finetune)
    return Params.model_validate(raw)


class _StandIn:
    """A fine-tuned model that only needs to be moved and saved."""

    def to(self, device):
        return self

    def save(self, path, tokenizer):
        pass


def test_models_are_selected_on_english_dev_data(monkeypatch, tmp_path):
    """XTREME tunes zero-shot models on English dev data: each target's selection score comes
    from the English dev set of the task it trains on (SQuAD's, once, for XQuAD and MLQA), not
    from a test set, except TyDiQA-GoldP's: with no other split, it uses the English part of
    the one scored."""
    from xstilts.stages import finetune

    scored = []

    def evaluate(model, tokenizer, spec, data_dir, languages, split, *args, **kwargs):
        scored.append((spec.name, split, tuple(languages)))
        return {spec.metric: {lang: {"validation": 0.25, "test": 0.75}[split] + 0.01 * i
                              for i, lang in enumerate(languages)}}

    monkeypatch.setattr(finetune, "load_task_model", lambda path: (_StandIn(), None))
    monkeypatch.setattr(finetune, "train_heads", lambda *args, **kwargs: None)
    monkeypatch.setattr(finetune, "evaluate_target", evaluate)
    p = params()
    langs = tuple(p.data.languages)
    scores = {}
    for recipe in recipes(["xnli", "xquad", "mlqa", "tydiqa"], p.finetune):
        scores.update(finetune.fine_tune(recipe, tmp_path, "hash", tmp_path, tmp_path, p,
                                         "none", 0))
    assert scored == [("xnli", "test", langs), ("xnli", "validation", ("en",)),
                      ("xquad", "validation", langs), ("squad", "validation", ("en",)),
                      ("mlqa", "test", langs), ("tydiqa", "validation", langs)]
    assert scores["xnli"]["xnli/en_dev/accuracy"] == 0.25
    assert scores["xquad"]["xquad/en_dev/em_f1"] == scores["mlqa"]["mlqa/en_dev/em_f1"] == 0.25
    assert scores["tydiqa"]["tydiqa/en_dev/em_f1"] == scores["tydiqa"]["tydiqa/em_f1/en"]


def test_main_fine_tunes_every_target_and_scores_every_language(finetuned):
    """main() on the tiny world (tests/stages/conftest.py): one model per target, scores in
    every language with their average, gap and English dev score, and the first models of a
    fresh store registered."""
    ws = finetuned
    written = json.loads((ws.metrics / "finetune" / "mnli-s0.json").read_text())
    assert (written["intermediate"], written["seed"], written["from_encoder"]) == (
        "mnli", 0, "xlmr")
    metrics = written["metrics"]
    for target, metric in (("xnli", "accuracy"), ("udpos", "f1")):
        keys = {f"{target}/{metric}/{lang}" for lang in [*ws.languages, "avg", "gap"]}
        assert keys | {f"{target}/en_dev/{metric}"} == {
            k for k in metrics if k.startswith(f"{target}/")}
        model, _ = load_task_model(ws.finetuned / "mnli-s0" / written["targets"][target]["model"])
        assert target in model.heads  # beside the intermediate checkpoint's own head
    assert all(0 <= v <= 1 for k, v in metrics.items() if not k.endswith("/gap"))
    [run] = ws.tracked("finetune")
    assert run.info.status == "FINISHED" and "xnli/accuracy/lat75" in run.data.metrics
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{ws.store}")
    for target in ("xnli", "udpos"):  # a fresh store: the first models are registered
        [version] = client.search_model_versions(f"name = 'xstilts-{target}'")
        assert version.run_id == run.info.run_id and version.version in (1, "1")
