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


def test_two_worker_processes_write_the_same_files(generated, tmp_path):
    """Every file is a pure function of the world seed: shared between two processes, the
    world comes out byte for byte as the stage wrote it, counts in the same order."""
    from xstilts.config import WorldParams
    from xstilts.stages.generate import generate
    from xstilts.world.languages import LANGUAGES_BY_CODE, World

    ws = generated
    sizes = WorldParams(**ws.params["world"])
    world = World(tuple(LANGUAGES_BY_CODE[c] for c in ws.languages), sizes.seed, sizes.nli)
    out = tmp_path / "data"
    out.mkdir()
    counts = generate(out, world, sizes, workers=2)
    manifest = json.loads((ws.data / "manifest.json").read_text())
    assert list(counts.items()) == list(manifest.items())
    written = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(ws.data) for p in ws.data.rglob("*")
                             if p.is_file() and p.name != "manifest.json")
    assert all((out / p).read_bytes() == (ws.data / p).read_bytes() for p in written)
