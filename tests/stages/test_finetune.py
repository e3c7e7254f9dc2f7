"""Stage `finetune` (phases 2 and 3): each target's model is selected on English dev data,
and a smoke run of main() on the tiny world (tests/stages/conftest.py)."""

import json

import pytest
import yaml

from tiny_profile import ROOT
from xstilts.config import Params
from xstilts.data.files import read_jsonl, task_file
from xstilts.eval import metrics
from xstilts.models.task_model import load_task_model
from xstilts.phases import recipes
from xstilts.tasks import FINETUNE_TARGETS


def params(**finetune) -> Params:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["finetune"].update(finetune)
    return Params.model_validate(raw)


class _StandIn:
    """A fine-tuned model that only needs to be moved and saved."""

    def to(self, device):
        return self

    def save(self, path, tokenizer, dtype=None):
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
    monkeypatch.setattr(finetune.phases, "train_heads", lambda *args, **kwargs: None)
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


def test_every_prediction_is_kept_and_gives_the_score(finetuned):
    """Each cell keeps its predictions, one line per record: XNLI's accuracy and UD-POS's F1
    computed again from them are the scores logged."""
    ws = finetuned
    metrics = json.loads((ws.metrics / "finetune" / "mnli-s0.json").read_text())["metrics"]
    for lang in ws.languages:
        for target, score in (("xnli", accuracy), ("udpos", tagging_f1)):
            spec = FINETUNE_TARGETS[target]
            gold = read_jsonl(task_file(ws.data, target, "test", lang))
            lines = read_jsonl(ws.finetuned / "mnli-s0" / target / "predictions" / target
                               / "test" / f"{lang}.jsonl")
            assert [line["id"] for line in lines] == list(range(len(gold)))
            assert score(spec, gold, [line["prediction"] for line in lines]) == pytest.approx(
                metrics[f"{target}/{spec.metric}/{lang}"])


def accuracy(spec, gold, predicted):
    labels = [spec.labels[r[spec.label_field]] if isinstance(r[spec.label_field], int)
              else r[spec.label_field] for r in gold]
    return sum(a == b for a, b in zip(labels, predicted)) / len(gold)


def tagging_f1(spec, gold, predicted):
    return metrics.tagging_f1([[spec.labels[t] for t in r[spec.label_field]] for r in gold],
                              predicted)


@pytest.mark.parametrize("order", [("mnli", "none"), ("none", "mnli")])
def test_registered_weights_keep_each_targets_champion_only(intermediates, tmp_path, order):
    """``finetune.weights: registered``: a cell's output keeps heads and predictions, not its
    encoder; the registry keeps, per target, the one version that is the best of the study's
    cells, and only its weights, in either order of the cells (one of the two orders
    registers the worse cell first, whose version and weights the better one displaces)."""
    from mlflow import MlflowClient

    from xstilts.stages import finetune

    ws = intermediates
    uri = f"sqlite:///{tmp_path / 'registry.db'}"
    settings = {"finetune": {**ws.params["finetune"], "weights": "registered"},
                "tracking": {**ws.params["tracking"], "uri": uri}}
    dev = {}
    for inter in order:
        ws.run(finetune, "--intermediate", inter, "--seed", 0, "--model",
               ws.intermediate / f"{inter}-s0", "--data", ws.data, "--out", tmp_path / inter,
               "--metrics", tmp_path / f"{inter}.json", **settings)
        dev[inter] = json.loads((tmp_path / f"{inter}.json").read_text())["metrics"]
        for target in ("xnli", "udpos"):
            cell = tmp_path / inter / target
            assert not (cell / "encoder").exists()
            assert (cell / "heads.safetensors").is_file()
            assert (cell / "predictions" / target / "test" / "lat75.jsonl").is_file()
    client = MlflowClient(tracking_uri=uri)
    kept = set()
    for target in ("xnli", "udpos"):
        metric = FINETUNE_TARGETS[target].dev_metric
        # The earlier version wins a tie.
        best = max(order, key=lambda i: (dev[i][metric], i == order[0]))
        [version] = client.search_model_versions(f"name = 'xstilts-{target}'")
        assert version.tags["intermediate"] == best
        assert version.version in client.get_registered_model(
            f"xstilts-{target}").aliases.values()
        kept.add((version.run_id, f"model/{target}"))
    exp = client.get_experiment_by_name(ws.params["tracking"]["experiment"])
    stored = {(run.info.run_id, f.path) for run in client.search_runs([exp.experiment_id])
              for f in client.list_artifacts(run.info.run_id, "model")}
    assert stored == kept
