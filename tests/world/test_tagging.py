"""UD-POS and PAN-X analogues: hub schema and label order, tags aligned to tokens, deterministic,
parallel dev/test across languages, English-only POS training."""

from collections import Counter

import pytest

from world_reference import take
from xstilts.world.concepts import pos_of
from xstilts.world.languages import DEFAULT_LANGUAGES, World
from xstilts.world.tagging import PANX_TAGS, UPOS_TAGS, panx, udpos

CODES = [spec.code for spec in DEFAULT_LANGUAGES]
TASKS = {"udpos": udpos, "panx": panx}


def test_label_orders_are_the_hubs():
    # google/xtreme dataset card: udpos.* pos_tags and PAN-X.* ner_tags ClassLabel names
    assert UPOS_TAGS == ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM",
                         "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X")
    assert PANX_TAGS == ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")


@pytest.mark.parametrize("code", CODES)
def test_schema_and_alignment(world, code):
    for split in ("validation", "test"):
        for rec in udpos(world, split, code, 40):
            assert list(rec) == ["tokens", "pos_tags"]
            assert len(rec["tokens"]) == len(rec["pos_tags"]) > 0
            assert all(type(t) is str and t and " " not in t for t in rec["tokens"])
            assert all(type(i) is int and 0 <= i < len(UPOS_TAGS) for i in rec["pos_tags"])
        for rec in panx(world, split, code, 40):
            assert list(rec) == ["tokens", "ner_tags", "langs"]
            assert len(rec["tokens"]) == len(rec["ner_tags"]) == len(rec["langs"]) > 0
            assert rec["langs"] == [code] * len(rec["tokens"])
            assert all(type(i) is int and 0 <= i < len(PANX_TAGS) for i in rec["ner_tags"])


def test_english_pos_tags_are_the_words_tags(world):
    for rec in udpos(world, "train", "en", 200):
        for word, tag in zip(rec["tokens"], rec["pos_tags"], strict=True):
            try:
                expected = pos_of(word)
            except KeyError:  # not a lemma: a name part
                expected = "PROPN"
            assert UPOS_TAGS[tag] == expected, word


def test_udpos_covers_the_tags_the_world_has(world):
    seen = Counter(UPOS_TAGS[t] for r in udpos(world, "train", "en", 300) for t in r["pos_tags"])
    assert {"ADJ", "ADP", "AUX", "DET", "NOUN", "NUM", "PART", "PROPN", "PUNCT",
            "VERB"} <= set(seen)


def test_udpos_trains_on_english_only(world):
    assert take(udpos(world, "train", "en", 3))
    with pytest.raises(ValueError, match="English only"):
        take(udpos(world, "train", "lat75", 3))
    with pytest.raises(ValueError, match="split"):
        take(udpos(world, "dev", "en", 3))


def test_panx_has_a_train_split_in_every_language(world):
    assert all(take(panx(world, "train", code, 3)) for code in CODES)


@pytest.mark.parametrize("code", CODES)
def test_panx_tags_are_valid_iob2_and_every_sentence_names_something(world, code):
    for rec in panx(world, "validation", code, 100):
        tags = [PANX_TAGS[i] for i in rec["ner_tags"]]
        assert any(t != "O" for t in tags)
        for prev, tag in zip(["O", *tags], tags, strict=False):
            if tag.startswith("I-"):
                assert prev in ("B-" + tag[2:], tag), tags


def test_panx_has_all_entity_kinds_and_multiword_names(world):
    seen = Counter(PANX_TAGS[i] for r in panx(world, "train", "en", 200) for i in r["ner_tags"])
    assert set(seen) == set(PANX_TAGS)


@pytest.mark.parametrize("task", TASKS)
def test_same_seed_same_records_other_split_other_records(task):
    gen = TASKS[task]
    a, b, c = (World(DEFAULT_LANGUAGES, seed) for seed in (5, 5, 6))
    assert take(gen(a, "test", "cyr25", 30)) == take(gen(b, "test", "cyr25", 30))
    assert take(gen(a, "test", "en", 30)) != take(gen(a, "validation", "en", 30))
    assert take(gen(a, "test", "en", 30)) != take(gen(c, "test", "en", 30))
    # a longer request starts with the shorter one
    assert take(gen(a, "test", "en", 40))[:30] == take(gen(a, "test", "en", 30))


@pytest.mark.parametrize("split", ["validation", "test"])
def test_eval_splits_are_parallel_across_languages(world, split):
    """Same meanings in every language: the content tags and the entities match English's.
    Case-marking languages drop articles and 'of', so DET and ADP are left out."""
    def content(rec):
        return Counter(tag for t in rec["pos_tags"] if (tag := UPOS_TAGS[t]) not in ("DET", "ADP"))

    en_pos = [content(r) for r in udpos(world, split, "en", 60)]
    def entities(rec):
        return [PANX_TAGS[t] for t in rec["ner_tags"] if t]  # entity order may change, not tags

    en_ner = [Counter(entities(r)) for r in panx(world, split, "en", 60)]
    for code in CODES[1:]:
        assert [content(r) for r in udpos(world, split, code, 60)] == en_pos
        assert [Counter(entities(r)) for r in panx(world, split, code, 60)] == en_ner
    assert take(udpos(world, split, "grk05nv", 5)) != take(udpos(world, split, "en", 5))
