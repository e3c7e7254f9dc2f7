"""Stage `generate`: main() on the tiny world (tests/stages/conftest.py) writes the corpora
and every task file of the study's languages, at the sizes of `world`."""

import json

from xstilts.data.files import read_jsonl


def test_main_writes_every_file_of_the_tiny_world(generated):
    ws, sizes = generated, generated.params["world"]
    assert list(json.loads((ws.data / "languages.json").read_text())) == ws.languages
    manifest = json.loads((ws.data / "manifest.json").read_text())
    for lang in ws.languages:
        lines = (ws.data / "corpus" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
        assert len(lines) == manifest[f"corpus/{lang}.txt"] == sizes["corpus_sentences"]
        assert manifest[f"xnli/test.{lang}.jsonl"] == sizes["eval_size"]
    assert manifest["xnli/train.en.jsonl"] == sizes["train_size"]
    assert manifest["mnli/train.en.jsonl"] == sizes["intermediate_size"]
    assert "mnli/train.lat75.jsonl" not in manifest  # intermediate tasks train in English
    assert manifest["tatoeba/test.lat75.jsonl"] == sizes["tatoeba_size"]
    assert "tatoeba/test.en.jsonl" not in manifest  # English is the side searched
    for name, count in manifest.items():
        if name.endswith(".jsonl"):
            assert len(read_jsonl(ws.data / name)) == count, name
