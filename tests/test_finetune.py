"""Which targets share a fine-tuning (XTREME scores XQuAD and MLQA with one SQuAD model), and
the order in which the fine-tunings start."""

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


def test_the_fine_tuning_that_reads_most_text_starts_first(tmp_path):
    for task, lines in (("xnli", ["a b"] * 100), ("pawsx", ["a b c d"] * 100)):
        (tmp_path / task).mkdir()
        (tmp_path / task / "train.en.jsonl").write_text("\n".join(lines) + "\n")
    p = params(steps=250, epochs={"pawsx": 5})
    xnli, pawsx = recipes(["xnli", "pawsx"], p)
    # XNLI: 250 steps x 32 examples of 4 bytes; PAWS-X: 5 epochs of 100 examples of 8 bytes.
    assert cost(xnli, tmp_path, p) == 250 * 32 * 4
    assert cost(pawsx, tmp_path, p) == 5 * 100 * 8
    assert sorted([xnli, pawsx], key=lambda r: -cost(r, tmp_path, p)) == [xnli, pawsx]
