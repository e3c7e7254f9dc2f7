"""Evaluation and model files: retrieval accuracy, metric names, pooling, saved task models,
data-file errors and atomic publishing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import XLMRobertaConfig, XLMRobertaModel

from xstilts.data.features import encode, label_id
from xstilts.data.files import (
    DataFileError,
    publish,
    read_jsonl,
    task_file,
    write_json,
    write_jsonl,
)
from xstilts.eval import zero_shot
from xstilts.eval.metrics import retrieval_accuracy
from xstilts.eval.predict import predict_labels
from xstilts.eval.retrieval import embed
from xstilts.eval.zero_shot import evaluate_retrieval, evaluate_target, summarise
from xstilts.models.heads import mean_pool
from xstilts.models.task_model import TaskModel, load_encoder, load_task_model
from xstilts.tasks import TATOEBA, XNLI
from xstilts.tokenization import train_tokenizer
from xstilts.train.batching import collate
from xstilts.world import datasets
from xstilts.world.languages import DEFAULT_LANGUAGES, World

WORLD = World(DEFAULT_LANGUAGES[:3], seed=0)
LANGS = WORLD.codes  # en, lat75, lat50n


@pytest.fixture(scope="module")
def tokenizer():
    lines = [line for lang in LANGS for line in datasets.corpus(WORLD, lang, 100)]
    return train_tokenizer(lines, vocab_size=200)


@pytest.fixture(scope="module")
def model(tokenizer):
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=64,
                              max_position_embeddings=130, type_vocab_size=1,
                              pad_token_id=1, bos_token_id=0, eos_token_id=2)
    m = TaskModel(XLMRobertaModel(config), {"xnli": {"type": "classification",
                                                    "num_labels": 3}})
    return m.eval()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    for lang in LANGS:
        write_jsonl(task_file(root, "xnli", "test", lang), datasets.xnli(WORLD, "test", lang, 24))
    return root


# --- metrics -------------------------------------------------------------------------------

def test_retrieval_accuracy_on_hand_built_embeddings():
    source = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.8, 0.6]])
    target = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    # cosines of source 2: 0.8, 0.96, 0.6 -> it retrieves target 1, not its translation 2
    assert retrieval_accuracy(source, target) == pytest.approx(2 / 3)
    assert retrieval_accuracy(target, target) == 1.0


def test_retrieval_queries_with_english(monkeypatch):
    """XTREME's direction: each English sentence searches the other language's sentences."""
    other = torch.tensor([[1.0, 0.0], [0.8, 0.6]])
    english = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    # English queries find both translations; from the other side row 1 finds English row 0
    assert retrieval_accuracy(english, other) == 1.0
    assert retrieval_accuracy(other, english) == 0.5
    monkeypatch.setattr(zero_shot, "load_records", lambda *a: [
        {"source_sentence": "o0", "target_sentence": "e0"},
        {"source_sentence": "o1", "target_sentence": "e1"}])
    monkeypatch.setattr(zero_shot, "embed", lambda enc, tok, sentences, *a: (
        other if sentences[0] == "o0" else english))
    scores = zero_shot.evaluate_retrieval(None, None, TATOEBA, Path("unused"), ["en", "xx"],
                                          layer=-1, batch_size=2)
    assert scores == {"xx": 1.0}


def test_summarise_names_and_values():
    out = summarise("xnli", {"accuracy": {"en": 0.9, "lat75": 0.6, "cyr25": 0.3}})
    assert out == pytest.approx({
        "xnli/accuracy/en": 0.9, "xnli/accuracy/lat75": 0.6, "xnli/accuracy/cyr25": 0.3,
        "xnli/accuracy/avg": 0.6, "xnli/accuracy/gap": 0.9 - 0.45})


def test_summarise_has_no_gap_without_english_or_other_languages():
    assert summarise("tatoeba", {"accuracy": {"lat75": 0.2, "cyr25": 0.4}}) == pytest.approx(
        {"tatoeba/accuracy/lat75": 0.2, "tatoeba/accuracy/cyr25": 0.4,
         "tatoeba/accuracy/avg": 0.3})
    assert "mnli/accuracy/gap" not in summarise("mnli", {"accuracy": {"en": 0.7}})


def test_mean_pool_ignores_padding():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [1e6, -1e6]],
                           [[5.0, 6.0], [7.0, 8.0], [9.0, 10.0]],
                           [[1e6, 1e6], [1e6, 1e6], [1e6, 1e6]]])
    mask = torch.tensor([[1, 1, 0], [1, 1, 1], [0, 0, 0]])
    pooled = mean_pool(hidden, mask)
    assert torch.allclose(pooled, torch.tensor([[2.0, 3.0], [7.0, 8.0], [0.0, 0.0]]))


# --- models --------------------------------------------------------------------------------

def test_task_model_save_load_round_trip(tmp_path, model, tokenizer):
    records = list(datasets.xnli(WORLD, "test", "lat75", 8))
    examples = encode(XNLI, records, tokenizer, max_length=64)
    batch = collate(examples, tokenizer.pad_token_id)
    model.save(tmp_path / "saved", tokenizer)
    assert json.loads((tmp_path / "saved" / "heads.json").read_text()) == {
        "xnli": {"type": "classification", "num_labels": 3}}

    loaded, loaded_tok = load_task_model(tmp_path / "saved")
    loaded.eval()
    with torch.no_grad():
        assert torch.equal(model("xnli", batch)["logits"], loaded("xnli", batch)["logits"])
    texts = [r["sentence1"] for r in records]
    assert loaded_tok(texts)["input_ids"] == tokenizer(texts)["input_ids"]
    assert loaded_tok.pad_token_id == 1 and loaded_tok.mask_token == "<mask>"


def test_first_token_pooling_is_saved_and_reads_only_the_s_state(tmp_path, tokenizer):
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1,
                              num_attention_heads=2, intermediate_size=64,
                              max_position_embeddings=130, type_vocab_size=1, pad_token_id=1)
    m = TaskModel(XLMRobertaModel(config), {})
    m.add_head("xnli", "classification", 3, pooling="first")
    m.add_head("csqa", "multiple_choice", 5, pooling="first")
    m.save(tmp_path / "saved", tokenizer)
    specs = json.loads((tmp_path / "saved" / "heads.json").read_text())
    assert specs["xnli"]["pooling"] == specs["csqa"]["pooling"] == "first"
    loaded, _ = load_task_model(tmp_path / "saved")
    head = loaded.heads["xnli"]
    assert head.pooling == "first"
    hidden = torch.randn(2, 5, 32)
    mask = torch.ones(2, 5, dtype=torch.long)
    changed = hidden.clone()
    changed[:, 1:] = 0.0  # every state but <s> changed: the logits must not move
    with torch.no_grad():
        assert torch.equal(head(hidden, {"attention_mask": mask})["logits"],
                           head(changed, {"attention_mask": mask})["logits"])


def test_load_encoder_reports_incomplete_directory(tmp_path, model):
    model.encoder.save_pretrained(tmp_path)  # no tokenizer.json
    with pytest.raises(DataFileError, match="tokenizer.json is missing"):
        load_encoder(tmp_path)


@pytest.mark.parametrize("damaged", ["tokenizer.json", "config.json", "model.safetensors"])
def test_load_encoder_names_a_corrupted_file_s_directory(tmp_path, model, tokenizer, damaged):
    model.save(tmp_path / "saved", tokenizer)
    path = tmp_path / "saved" / "encoder" / damaged
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # truncated
    with pytest.raises(DataFileError, match="saved/encoder"):
        load_encoder(tmp_path / "saved")


def test_pair_encoding_follows_xlmr(tokenizer):
    record = {"sentence1": "the red ball .", "sentence2": "the ball is red .",
              "gold_label": "entailment"}
    [example] = encode(XNLI, [record], tokenizer, max_length=64)
    ids = example["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2 and ids.count(2) == 3
    assert example["labels"] == 0


def test_label_id_accepts_ids_and_names_only():
    assert label_id(XNLI, 2) == 2 and label_id(XNLI, "neutral") == 1
    for bad in (3, -1, "maybe"):
        with pytest.raises(DataFileError, match="is not one of"):
            label_id(XNLI, bad, "x.jsonl")


def test_predict_labels_keeps_example_order(model, tokenizer):
    records = list(datasets.xnli(WORLD, "test", "en", 10))
    examples = encode(XNLI, records, tokenizer, max_length=64)
    preds = predict_labels(model, "xnli", examples, batch_size=3,
                           pad_id=tokenizer.pad_token_id)
    with torch.no_grad():
        one_by_one = [int(model("xnli", {"input_ids": torch.tensor([e["input_ids"]]),
                                         "attention_mask": torch.ones(1, len(e["input_ids"]),
                                                                      dtype=torch.long)}
                                )["logits"].argmax()) for e in examples]
    assert preds == one_by_one


def test_evaluate_target_scores_every_language(model, tokenizer, data_dir):
    scores = evaluate_target(model, tokenizer, XNLI, data_dir, LANGS, "test",
                             batch_size=8, max_length=64)["accuracy"]
    assert list(scores) == LANGS
    records = read_jsonl(task_file(data_dir, "xnli", "test", "en"))
    examples = encode(XNLI, records, tokenizer, 64)
    preds = predict_labels(model, "xnli", examples, 8, tokenizer.pad_token_id)
    gold = [e["labels"] for e in examples]
    assert scores["en"] == pytest.approx(sum(p == g for p, g in zip(preds, gold, strict=True))
                                         / len(gold))


def test_embeddings_do_not_depend_on_batching(model, tokenizer):
    sentences = list(datasets.corpus(WORLD, "lat50n", 9))
    one = embed(model.encoder, tokenizer, sentences, layer=-1, batch_size=1)
    many = embed(model.encoder, tokenizer, sentences, layer=-1, batch_size=4)
    assert torch.allclose(one, many, atol=1e-5)
    assert torch.allclose(one.norm(dim=1), torch.ones(len(sentences)))


def test_retrieval_of_identical_sentences_is_perfect(tmp_path, model, tokenizer):
    for lang in LANGS[1:]:
        records = [{**r, "source_sentence": r["target_sentence"]}
                   for r in datasets.tatoeba(WORLD, "test", lang, 12)]
        write_jsonl(task_file(tmp_path, "tatoeba", "test", lang), records)
    scores = evaluate_retrieval(model.encoder, tokenizer, TATOEBA, tmp_path, LANGS, layer=-1,
                                batch_size=5)
    assert scores == {"lat75": 1.0, "lat50n": 1.0}  # English is never scored against itself


# --- files ---------------------------------------------------------------------------------

def test_read_jsonl_names_file_and_line_of_truncated_record(tmp_path):
    path = tmp_path / "test.en.jsonl"
    good = json.dumps({"sentence1": "a", "sentence2": "b", "gold_label": "neutral"})
    path.write_text(f"{good}\n{good}\n{good[:20]}\n")
    with pytest.raises(DataFileError, match="truncated") as info:
        read_jsonl(path)
    assert f"{path}:3:" in str(info.value)


def test_read_jsonl_checks_fields_and_presence(tmp_path):
    path = tmp_path / "x.jsonl"
    write_jsonl(path, [{"sentence1": "a", "sentence2": "b"}])
    with pytest.raises(DataFileError, match=r"x.jsonl:1: record lacks fields \['gold_label'\]"):
        read_jsonl(path, ("sentence1", "sentence2", "gold_label"))
    with pytest.raises(DataFileError, match="missing"):
        read_jsonl(tmp_path / "nowhere.jsonl")
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(DataFileError, match="empty"):
        read_jsonl(tmp_path / "empty.jsonl")


def test_read_jsonl_rejects_a_record_that_is_not_an_object(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"premise": "a"}\n42\n')
    with pytest.raises(DataFileError, match=":2:"):
        read_jsonl(path, ("premise",))


def test_publish_keeps_previous_directory_when_body_raises(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (final / "result.txt").write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with publish(final) as tmp:
            (tmp / "result.txt").write_text("half")
            raise RuntimeError("boom")
    assert (final / "result.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary left behind


def ended_pid() -> int:
    """The PID of a process that has ended, as a killed run's is."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_publish_clears_what_killed_runs_left_and_keeps_what_running_ones_write(tmp_path):
    final, dead = tmp_path / "out", ended_pid()
    final.mkdir()
    (tmp_path / f".out.tmp-{dead}").mkdir()
    running = tmp_path / f".out.tmp-{os.getppid()}"  # a live process's (another rank's)
    running.mkdir()
    other = tmp_path / f".outer.tmp-{dead}"  # another output's, swept when that one publishes
    other.mkdir()
    with publish(final) as tmp:
        (tmp / "result.txt").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", running.name,
                                                                  other.name])


def test_publish_puts_back_the_output_a_kill_between_its_renames_took_away(tmp_path):
    # killed after moving the previous output aside, before renaming the new one in
    dead = ended_pid()
    (tmp_path / f".out.old-{dead}").mkdir()
    (tmp_path / f".out.old-{dead}" / "result.txt").write_text("previous")
    (tmp_path / f".out.tmp-{dead}").mkdir()
    with pytest.raises(RuntimeError):
        with publish(tmp_path / "out"):
            raise RuntimeError("this run fails too")
    assert (tmp_path / "out" / "result.txt").read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_write_json_clears_temporary_files_of_killed_runs(tmp_path):
    stale = tmp_path / f".m.json.tmp-{ended_pid()}"
    stale.write_text("{")
    write_json(tmp_path / "m.json", {"acc": 1.0})
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_publish_replaces_directory_on_success(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (final / "stale.txt").write_text("old")
    with publish(final) as tmp:
        assert tmp != final and not (tmp / "stale.txt").exists()
        (tmp / "result.txt").write_text("new")
    assert sorted(p.name for p in final.iterdir()) == ["result.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_the_report_keeps_what_other_commands_wrote_beside_it(tmp_path):
    # reports/ holds compare's reports/compare too; the report replaces its own files only.
    final = tmp_path / "reports"
    (final / "compare").mkdir(parents=True)
    (final / "compare" / "clip_vs_xlmr.md").write_text("answer")
    (final / "results.md").write_text("old")
    with publish(final, keep_others=True) as tmp:
        (tmp / "results.md").write_text("new")
    assert (final / "results.md").read_text() == "new"
    assert (final / "compare" / "clip_vs_xlmr.md").read_text() == "answer"
