"""The download of real mode (data.source: hf), offline: from the local hub
(tests/local_hub.py) it writes generate's layout, which the pipeline's tokenisation and
scoring consume; an unreachable hub fails fast, and a failure midway keeps the previous
download."""

import json
import time
from pathlib import Path

import pytest
import torch
from transformers import XLMRobertaModel

from local_hub import ALL_TASKS, SENTENCES, STUDY_LANGS, study_params, tiny_config
from xstilts.data import download as download_stage
from xstilts.data.features import encode, load_records
from xstilts.data.files import task_file
from xstilts.data.hub import MAX_LENGTH, HubError, file_plan, task_languages
from xstilts.eval.zero_shot import evaluate_bucc, evaluate_retrieval, score_records
from xstilts.models.task_model import TaskModel
from xstilts.tasks import BUCC, FINETUNE_TARGETS, INTERMEDIATE_TASKS, TASKS, TATOEBA
from xstilts.tokenization import train_tokenizer


@pytest.fixture(scope="module")
def data_dir(hub, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("study") / "hf"
    download_stage.run_download(out, study_params(), load=hub, check=lambda **_: None)
    return out


# --- the stage's output, read by the pipeline ----------------------------------------------

def test_download_stage_writes_generates_layout(data_dir):
    langs = json.loads((data_dir / "languages.json").read_text())
    assert list(langs) == STUDY_LANGS and langs["en"]["distance"] == 0.0
    assert langs["ar"]["name"] == "Arabic" and 0 < langs["de"]["distance"] < langs["ar"][
        "distance"]
    manifest = json.loads((data_dir / "manifest.json").read_text())
    assert manifest["source"] == "hf"
    for task, split, lang in file_plan(ALL_TASKS, STUDY_LANGS):
        assert task_file(data_dir, task, split, lang).is_file(), (task, split, lang)
        assert manifest["files"][f"{task}/{split}.{lang}.jsonl"] > 0
    assert (data_dir / "corpus").is_dir()
    assert not list(data_dir.parent.glob(".hf.tmp-*"))


@pytest.fixture(scope="module")
def tokenizer(data_dir):
    texts = []
    for task, split, lang in file_plan(ALL_TASKS, STUDY_LANGS):
        for r in load_records(data_dir, TASKS[task], split, lang):
            texts += [v if isinstance(v, str) else " ".join(map(str, v))
                      for v in r.values() if isinstance(v, str | list)]
    return train_tokenizer(texts, vocab_size=400)


@pytest.fixture(scope="module")
def model(tokenizer):
    torch.manual_seed(0)
    heads = {name: {"type": spec.type, "num_labels": spec.num_labels}
             for name, spec in TASKS.items() if spec.type != "retrieval"}
    return TaskModel(XLMRobertaModel(tiny_config(tokenizer), add_pooling_layer=False),
                     heads).eval()


def test_pipeline_scores_every_target_on_hub_records(data_dir, tokenizer, model):
    """Targets in their eval split and every language, with XTREME's lengths by type."""
    for name, spec in FINETUNE_TARGETS.items():
        for lang in task_languages(name, STUDY_LANGS):
            records = load_records(data_dir, spec, spec.eval_split, lang)
            scores = score_records(model, tokenizer, spec, records, lang, batch_size=8,
                                   max_length=MAX_LENGTH[spec.type])
            assert scores and all(0.0 <= v <= 1.0 for v in scores.values()), (name, lang)


def test_pipeline_encodes_and_scores_intermediate_tasks(data_dir, tokenizer, model):
    for name, spec in INTERMEDIATE_TASKS.items():
        for split in ("train", "validation"):
            records = load_records(data_dir, spec, split, "en")
            assert encode(spec, records, tokenizer, MAX_LENGTH[spec.type])
        scores = score_records(model, tokenizer, spec, load_records(
            data_dir, spec, "validation", "en"), "en", 8, MAX_LENGTH[spec.type])
        assert scores, name


def test_retrieval_on_hub_records(data_dir, tokenizer, model):
    tatoeba = evaluate_retrieval(model.encoder, tokenizer, TATOEBA, data_dir,
                                 task_languages("tatoeba", STUDY_LANGS), -1, 8)
    assert set(tatoeba) == {"de", "ar"}
    bucc = evaluate_bucc(model.encoder, tokenizer, BUCC, data_dir, ["en", "de"], -1, 8)
    assert set(bucc) == {"de"} and 0.0 <= bucc["de"] <= 1.0


def test_long_qa_contexts_become_384_token_windows_with_stride_128(tokenizer):
    filler = " ".join(SENTENCES["en"] * 60)
    context = f"{filler} The answer is Zanzibar indeed {filler}"
    record = {"id": "long", "question": "What is the answer?", "context": context,
              "answers": {"text": ["Zanzibar"], "answer_start": [context.index("Zanzibar")]}}
    features = encode(TASKS["squad"], [record], tokenizer, MAX_LENGTH["span"], stride=128)
    assert len(features) >= 3
    assert all(len(f["input_ids"]) <= 384 for f in features)
    hits = [f for f in features if f["start_positions"] > 0]
    assert hits  # the window(s) holding the answer point at it
    for f in hits:
        text = context[f["offsets"][f["start_positions"]][0]:f["offsets"][f["end_positions"]][1]]
        assert text.strip() == "Zanzibar"


# --- failing fast --------------------------------------------------------------------------

def test_offline_fails_fast_before_any_work_and_keeps_the_output(monkeypatch, tmp_path):
    out = tmp_path / "hf"
    out.mkdir()
    (out / "previous.txt").write_text("earlier download")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def never(*args, **kwargs):
        raise AssertionError("nothing may be loaded when the hub is unreachable")

    start = time.monotonic()
    with pytest.raises(HubError) as err:
        download_stage.run_download(out, study_params(), load=never)
    assert time.monotonic() - start < 2.0
    text = str(err.value)
    assert "cannot reach the Hugging Face hub" in text and "HF_HUB_OFFLINE=1" in text
    assert "data.source: synthetic" in text
    assert [p.name for p in tmp_path.iterdir()] == ["hf"]
    assert [p.name for p in out.iterdir()] == ["previous.txt"]


def test_failure_midway_leaves_the_previous_download(hub, monkeypatch, tmp_path):
    out = tmp_path / "hf"
    out.mkdir()
    (out / "previous.txt").write_text("earlier download")

    def flaky(path, name=None, **kwargs):
        if name and name.startswith("PAN-X"):
            raise ConnectionError("Couldn't reach 'google/xtreme' on the Hub (ConnectError)")
        return hub(path, name, **kwargs)

    with pytest.raises(HubError, match="cannot reach the Hugging Face hub"):
        download_stage.run_download(out, study_params(targets=["xnli", "panx"]), load=flaky,
                                    check=lambda **_: None)
    assert [p.name for p in out.iterdir()] == ["previous.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["hf"]
