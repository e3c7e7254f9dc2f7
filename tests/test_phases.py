"""Phases 1 and 2: which targets share a fine-tuning (XTREME scores XQuAD and MLQA with one
SQuAD model), the order in which fine-tunings start, and how epochs count steps."""

import json

import yaml

from tiny_profile import ROOT
from xstilts.config import Params
from xstilts.phases import Recipe, cost, epoch_steps, recipes


def params(**finetune) -> Params:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["finetune"].update(finetune)
    return Params.model_validate(raw)


def test_xquad_and_mlqa_share_the_squad_fine_tuning():
    groups = recipes(["xnli", "xquad", "mlqa", "tydiqa"], params().finetune)
    assert groups == [Recipe("xnli", None, None, None, ("xnli",), "xnli"),
                      Recipe("squad", None, None, None, ("xquad", "mlqa"), "squad"),
                      Recipe("tydiqa", None, None, None, ("tydiqa",), "tydiqa")]


def test_targets_with_their_own_settings_are_fine_tuned_apart():
    groups = recipes(["xquad", "mlqa"], params(epochs={"mlqa": 2}).finetune)
    assert [g.targets for g in groups] == [("xquad",), ("mlqa",)]
    groups = recipes(["xquad", "mlqa"], params(effective_batch_size={"xquad": 64}).finetune)
    assert [g.targets for g in groups] == [("xquad",), ("mlqa",)]
    groups = recipes(["xquad", "mlqa"], params(lr={"mlqa": 3e-4}).finetune)
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
    xnli, pawsx, udpos = recipes(["xnli", "pawsx", "udpos"], p.finetune)
    langs = {t: p.data.languages for t in ("xnli", "pawsx", "udpos")}

    def cost_of(recipe):
        return cost(recipe, tmp_path, 250, 32, langs)

    # XNLI: 250 steps x 32 examples of 3 words, and its English test set (the other
    # languages' files are absent) of 10 x 3 words at a third; PAWS-X: 5 epochs of 100
    # examples of 4 words; UD-POS: 250 x 32 examples of 2 words.
    assert cost_of(xnli) == 250 * 32 * 3 + 10 * 3 / 3
    assert cost_of(pawsx) == 5 * 100 * 4
    assert cost_of(udpos) == 250 * 32 * 2
    assert sorted([pawsx, udpos, xnli], key=lambda r: -cost_of(r)) == [
        xnli, udpos, pawsx]


def test_epochs_count_the_task_steps_and_mlm_comes_on_top():
    assert epoch_steps(2, 8000, 32) == 500  # the default phase 1: 2 epochs of 8,000
    assert epoch_steps(2, 8000, 32, mlm_share=0.2) == 625  # 500 task steps + 125 MLM
    assert epoch_steps(0.5, 100, 32) == 2


