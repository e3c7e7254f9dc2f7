"""Which targets share a fine-tuning (XTREME scores XQuAD and MLQA with one SQuAD model), and
the order in which the fine-tunings start."""

import json

import yaml

from tiny_profile import ROOT
from xstilts.config import Params
from xstilts.stages.finetune import Recipe, cost, recipes


def params(**finetune) -> Params:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["finetune"].update(finetune)
    return Params.model_validate(raw)


def test_xquad_and_mlqa_share_the_squad_fine_tuning():
    groups = recipes(["xnli", "xquad", "mlqa", "tydiqa"], params())
    assert groups == [Recipe("xnli", None, None, None, ("xnli",), "xnli"),
                      Recipe("squad", None, None, None, ("xquad", "mlqa"), "squad"),
                      Recipe("tydiqa", None, None, None, ("tydiqa",), "tydiqa")]


def test_targets_with_their_own_settings_are_fine_tuned_apart():
    groups = recipes(["xquad", "mlqa"], params(epochs={"mlqa": 2}))
    assert [g.targets for g in groups] == [("xquad",), ("mlqa",)]
    groups = recipes(["xquad", "mlqa"], params(effective_batch_size={"xquad": 64}))
    assert [g.targets for g in groups] == [("xquad",), ("mlqa",)]
    groups = recipes(["xquad", "mlqa"], params(lr={"mlqa": 3e-4}))
    assert groups == [Recipe("squad", None, None, None, ("xquad",), "squad"),
                      Recipe("squad", None, None, 3e-4, ("mlqa",), "mlqa")]


def _write(path, records) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_the_fine_tuning_that_reads_most_words_starts_first(tmp_path):
    _write(tmp_path / "xnli" / "train.en.jsonl",
           [{"sentence1": "a b", "sentence2": "c", "gold_label": "neutral"}] * 100)
    _write(tmp_path / "xnli" / "test.en.jsonl",
           [{"sentence1": "a b", "sentence2": "c", "gold_label": "neutral"}] * 10)
    _write(tmp_path / "pawsx" / "train.en.jsonl",
           [{"sentence1": "a b c", "sentence2": "d", "label": "1"}] * 100)
    # Tags take as many bytes as the words; only the words count.
    _write(tmp_path / "udpos" / "train.en.jsonl",
           [{"tokens": ["a", "b"], "pos_tags": [0, 7]}] * 100)
    p = params(steps=250, epochs={"pawsx": 5})
    xnli, pawsx, udpos = recipes(["xnli", "pawsx", "udpos"], p)
    # XNLI: 250 steps x 32 examples of 3 words, and its English test set (the other
    # languages' files are absent) of 10 x 3 words at a third; PAWS-X: 5 epochs of 100
    # examples of 4 words; UD-POS: 250 x 32 examples of 2 words.
    assert cost(xnli, tmp_path, p) == 250 * 32 * 3 + 10 * 3 / 3
    assert cost(pawsx, tmp_path, p) == 5 * 100 * 4
    assert cost(udpos, tmp_path, p) == 250 * 32 * 2
    assert sorted([pawsx, udpos, xnli], key=lambda r: -cost(r, tmp_path, p)) == [
        xnli, udpos, pawsx]


def test_epochs_count_the_task_steps_and_mlm_comes_on_top():
    from xstilts.stages.intermediate import epoch_steps

    assert epoch_steps(2, 8000, 32) == 500  # the default phase 1: 2 epochs of 8,000
    assert epoch_steps(2, 8000, 32, mlm_share=0.2) == 625  # 500 task steps + 125 MLM
    assert epoch_steps(0.5, 100, 32) == 2


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
    for recipe in recipes(["xnli", "xquad", "mlqa", "tydiqa"], p):
        scores.update(finetune.fine_tune(recipe, tmp_path, "hash", tmp_path, tmp_path, p,
                                         "none", 0))
    assert scored == [("xnli", "test", langs), ("xnli", "validation", ("en",)),
                      ("xquad", "validation", langs), ("squad", "validation", ("en",)),
                      ("mlqa", "test", langs), ("tydiqa", "validation", langs)]
    assert scores["xnli"]["xnli/en_dev/accuracy"] == 0.25
    assert scores["xquad"]["xquad/en_dev/em_f1"] == scores["mlqa"]["mlqa/en_dev/em_f1"] == 0.25
    assert scores["tydiqa"]["tydiqa/en_dev/em_f1"] == scores["tydiqa"]["tydiqa/em_f1/en"]
