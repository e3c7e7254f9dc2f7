"""Which targets share a fine-tuning: XTREME scores XQuAD and MLQA with one SQuAD model."""

import yaml

from tiny_profile import ROOT
from xstilts.config import Params
from xstilts.stages.finetune import recipes


def params(**finetune) -> Params:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["finetune"].update(finetune)
    return Params.model_validate(raw)


def test_xquad_and_mlqa_share_the_squad_fine_tuning():
    groups = recipes(["xnli", "xquad", "mlqa", "tydiqa"], params())
    assert groups == {("xnli", None, None, None): ["xnli"],
                      ("squad", None, None, None): ["xquad", "mlqa"],
                      ("tydiqa", None, None, None): ["tydiqa"]}


def test_targets_with_their_own_settings_are_fine_tuned_apart():
    groups = recipes(["xquad", "mlqa"], params(epochs={"mlqa": 2}))
    assert list(groups.values()) == [["xquad"], ["mlqa"]]
    groups = recipes(["xquad", "mlqa"], params(effective_batch_size={"xquad": 64}))
    assert list(groups.values()) == [["xquad"], ["mlqa"]]
    groups = recipes(["xquad", "mlqa"], params(lr={"mlqa": 3e-4}))
    assert groups == {("squad", None, None, None): ["xquad"],
                      ("squad", None, None, 3e-4): ["mlqa"]}
