"""The synthetic world's datasets: deterministic files, splits and languages drawn from
separate streams, corpora with their English translation beside them (TLM), and records
shaped like the hub datasets they stand for (XNLI, MNLI, Tatoeba)."""

from collections import Counter

import pytest

from world_reference import take
from xstilts.tasks import NLI_LABELS
from xstilts.world import datasets
from xstilts.world.languages import DEFAULT_LANGUAGES, World

CODES = [spec.code for spec in DEFAULT_LANGUAGES]


# --- determinism ---------------------------------------------------------------------------

def test_same_seed_gives_identical_files():
    a, b = World(DEFAULT_LANGUAGES, 7), World(DEFAULT_LANGUAGES, 7)
    for lang in CODES:
        assert take(datasets.corpus(a, lang, 30)) == take(datasets.corpus(b, lang, 30))
        assert take(datasets.xnli(a, "test", lang, 30)) == take(datasets.xnli(b, "test", lang, 30))
        assert a.lexicons[lang].forms == b.lexicons[lang].forms
    assert (take(datasets.mnli(a, "train", "en", 30))
            == take(datasets.mnli(b, "train", "en", 30)))
    assert (take(datasets.tatoeba(a, "test", "cyr25", 30))
            == take(datasets.tatoeba(b, "test", "cyr25", 30)))


def test_different_world_seed_gives_different_files():
    a, b = World(DEFAULT_LANGUAGES, 0), World(DEFAULT_LANGUAGES, 1)
    assert take(datasets.corpus(a, "en", 30)) != take(datasets.corpus(b, "en", 30))
    assert (take(datasets.mnli(a, "train", "en", 30))
            != take(datasets.mnli(b, "train", "en", 30)))
    assert a.lexicons["lat50n"].forms != b.lexicons["lat50n"].forms


def test_splits_and_languages_draw_from_separate_streams(world):
    assert (take(datasets.mnli(world, "train", "en", 20))
            != take(datasets.mnli(world, "validation", "en", 20)))
    # monolingual corpora are not translations of each other
    en = take(datasets.corpus(world, "en", 20))
    lat75 = take(datasets.corpus(world, "lat75", 20))
    assert [len(s.split()) for s in en] != [len(s.split()) for s in lat75]


def test_parallel_corpus_lines_carry_their_english_translation(world):
    """TLM lines: the language's sentences and, before or after them, the same in English."""
    def sentences(line):
        return [s.strip() for s in line.split(" . ") if s.strip()]

    orders = Counter()
    for line in take(datasets.corpus(world, "grk05nv", 60, parallel=1.0)):
        parts = sentences(line)
        half = len(parts) // 2
        assert len(parts) == 2 * half
        first, second = parts[:half], parts[half:]
        english = [p for p in (first, second) if " ".join(p).isascii()]
        assert len(english) == 1, line  # Greek-script words mark the other half
        orders[english[0] is first] += 1
    assert orders[True] and orders[False]
    # English lines have no translation to carry, and parallel=0 leaves every line alone.
    assert (take(datasets.corpus(world, "en", 30, parallel=1.0))
            == take(datasets.corpus(world, "en", 30)))
    plain = take(datasets.corpus(world, "grk05nv", 200, code_switch=0.0))
    assert not any(" ".join(sentences(line)[-1:]).isascii() for line in plain)


# --- records have the hub field names ------------------------------------------------------

def test_xnli_records(world):
    for split in ("train", "validation", "test"):
        for rec in datasets.xnli(world, split, "lat50n", 50):
            assert set(rec) == {"sentence1", "sentence2", "language", "gold_label"}
            assert rec["language"] == "lat50n" and rec["gold_label"] in NLI_LABELS
            assert rec["sentence1"] and rec["sentence2"]


def test_mnli_records(world):
    records = take(datasets.mnli(world, "train", "en", 60))
    assert all(set(r) == {"premise", "hypothesis", "label", "idx"} for r in records)
    assert [r["idx"] for r in records] == list(range(60))
    assert {r["label"] for r in records} == {0, 1, 2}
    assert all(type(r["label"]) is int for r in records)


def test_tatoeba_records_are_parallel_to_english(world):
    src = take(datasets.tatoeba(world, "test", "cyr25", 40))
    other = take(datasets.tatoeba(world, "test", "lat75", 40))
    for rec in src:
        assert set(rec) == {"source_sentence", "target_sentence", "source_lang", "target_lang"}
        assert (rec["source_lang"], rec["target_lang"]) == ("cyr25", "en")
        assert rec["source_sentence"] != rec["target_sentence"]
    # every language shares the same English side
    assert [r["target_sentence"] for r in src] == [r["target_sentence"] for r in other]


@pytest.mark.parametrize("split", ["validation", "test"])
def test_xnli_eval_splits_are_parallel_across_languages(world, split):
    by_lang = {lang: take(datasets.xnli(world, split, lang, 80)) for lang in CODES}
    labels = {lang: [r["gold_label"] for r in recs] for lang, recs in by_lang.items()}
    assert all(lab == labels["en"] for lab in labels.values())
    assert [r["sentence1"] for r in by_lang["grk05nv"]] != [r["sentence1"] for r in by_lang["en"]]


def test_lexicon_table_describes_the_language(world):
    table = datasets.lexicon_table(world.lexicons["lat25nm"])
    assert table["code"] == "lat25nm" and table["case_suffixes"] is True
    assert set(table["suffixes"]) == {"subj", "obj", "gen", "obl"}
    assert datasets.lexicon_table(world.lexicons["lat75"])["suffixes"] == {}


def test_tatoeba_repeats_no_meaning(world):
    # Scored by position: a second copy of a pair could never be retrieved as itself.
    records = take(datasets.tatoeba(world, "test", "lat75", 500))
    assert len({r["target_sentence"] for r in records}) == 500
