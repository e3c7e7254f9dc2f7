"""The dry run (xstilts.cost): tokens follow the study's schedule and its files, FLOPs and disk
follow the encoder's size, and real mode before any download falls back to stated estimates."""

import json
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from tiny_profile import ROOT
from xstilts import cost
from xstilts.config import Params, load_params
from xstilts.data.files import read_jsonl, task_file
from xstilts.stages.generate import generate
from xstilts.tasks import TASKS
from xstilts.world.languages import DEFAULT_LANGUAGES, World


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> tuple[Params, Path, object]:
    raw = Params().model_dump()
    raw["data"]["languages"] = ["en", "lat75", "grk05nv"]
    raw["world"].update(corpus_sentences=20, intermediate_size=60, intermediate_floor=30,
                        intermediate_cap=100, train_size=40, eval_size=12, tatoeba_size=12)
    params = Params.model_validate(raw)
    out = tmp_path_factory.mktemp("data")
    generate(out, World(DEFAULT_LANGUAGES[:1] + tuple(
        lang for lang in DEFAULT_LANGUAGES if lang.code in ("lat75", "grk05nv")), 0),
             params.world)
    return params, out, AutoTokenizer.from_pretrained(ROOT / "assets" / "encoder")


def mean_tokens(data: Path, tokenizer, task: str, split: str = "train", lang: str = "en"):
    spec = TASKS[task]
    records = read_jsonl(task_file(data, task, split, lang), spec.required_fields)
    a, b = spec.text_fields if len(spec.text_fields) == 2 else (spec.text_fields[0], None)
    ids = tokenizer([r[a] for r in records], [r[b] for r in records] if b else None,
                    truncation=True, max_length=128)["input_ids"]
    return len(records), sum(map(len, ids)) / len(ids)


def test_tokens_flops_and_disk_follow_the_schedule(study):
    params, data, tokenizer = study
    result = cost.estimate(params, data, tokenizer)
    rows = {r["stage"]: r for r in result["stages"]}
    _, per = mean_tokens(data, tokenizer, "mnli")
    assert rows["intermediate@mnli"]["train_tokens"] == pytest.approx(
        params.intermediate.steps * params.train.batch_size * per)
    n, per_pawsx = mean_tokens(data, tokenizer, "pawsx")
    _, per_xnli = mean_tokens(data, tokenizer, "xnli")
    finetune = rows["finetune@none"]["train_tokens"]
    assert finetune > 5 * n * per_pawsx + params.finetune.steps * 32 * per_xnli
    enc = cost.encoder_of(params)
    assert enc.non_embedding == 4 * (4 * 128 * 128 + 4 * 128 + 2 * 128 * 512 + 512 + 5 * 128)
    for r in result["stages"]:
        assert r["flops"] == pytest.approx(6 * enc.non_embedding * r["train_tokens"]
                                           + 2 * enc.non_embedding * r["eval_tokens"])
    models = 6 * (enc.parameters * 4 + enc.files)  # XQuAD and MLQA share one
    kept = rows["finetune@mnli"]["disk_bytes"] - models
    assert 0 < kept < 0.05 * models  # heads and predictions
    assert rows["retrieval"]["eval_tokens"] > 0 and not result["estimated_tasks"]


def test_registered_weights_in_bf16_keep_champions_only(study):
    """finetune.weights: registered and train.save_dtype: bf16: a fine-tuning stage keeps
    heads and predictions only, checkpoints take 2 bytes a weight, MLflow holds one champion
    per target."""
    params, data, tokenizer = study
    raw = params.model_dump()
    raw["finetune"]["weights"], raw["train"]["save_dtype"] = "registered", "bf16"
    result = cost.estimate(Params.model_validate(raw), data, tokenizer)
    full = cost.estimate(params, data, tokenizer)
    enc = cost.encoder_of(params)
    rows = {r["stage"]: r for r in result["stages"]}
    assert rows["intermediate@mnli"]["disk_bytes"] == enc.parameters * 2 + enc.files
    assert result["mlflow_bytes"] == len(params.finetune.targets) * (enc.parameters * 2
                                                                      + enc.files)
    for r, f in zip(result["stages"], full["stages"]):
        if r["stage"].startswith("finetune@"):
            assert 0 < r["disk_bytes"] < 0.05 * f["disk_bytes"]


def test_the_paper_profile_fits_in_50_gb_a_seed(tmp_path):
    result = cost.estimate(load_params(ROOT / "profiles" / "paper.yaml"), tmp_path / "absent")
    assert result["per_seed"]["disk_bytes"] + result["mlflow_bytes"] <= 50e9


def test_the_paper_profile_before_any_download_is_estimated(tmp_path, capsys):
    params = load_params(ROOT / "profiles" / "paper.yaml")
    result = cost.estimate(params, tmp_path / "absent")
    rows = {r["stage"]: r for r in result["stages"]}
    assert rows["intermediate@mnli"]["train_tokens"] == 2 * 392_702 * 50  # 2 epochs
    assert result["encoder"]["non_embedding"] == pytest.approx(302e6, rel=0.01)
    assert 1.5e9 < result["per_seed"]["train_tokens"] < 2e9
    assert "xnli" in result["estimated_tasks"]
    cost.main(["--params", str(ROOT / "profiles" / "paper.yaml"), "--data",
               str(tmp_path / "absent")])
    out = capsys.readouterr().out
    assert "H100" in out and "disk per seed" in out and "estimated" in out
    cost.main(["--params", str(ROOT / "profiles" / "paper.yaml"), "--data",
               str(tmp_path / "absent"), "--json"])
    assert json.loads(capsys.readouterr().out)["seeds"] == 1
