"""The BUCC analogue: pools 40 % parallel and the rest untranslated, that end when a sentence
runs out of near-misses, with the same meanings in every language."""

import random

import pytest

from world_reference import take
from xstilts.world import mining
from xstilts.world.languages import DEFAULT_LANGUAGES, ENGLISH, LanguageSpec, World

CODES = [spec.code for spec in DEFAULT_LANGUAGES]


def test_bucc_pools_are_40_percent_parallel_and_the_rest_untranslated(world):
    records = take(mining.bucc(world, "test", "lat25nm", 400))
    assert len(records) == 400
    gold = [r for r in records if r["source_sentence"] and r["target_sentence"]]
    source = [r for r in records if r["source_sentence"]]
    target = [r for r in records if r["target_sentence"]]
    assert len(source) + len(target) - len(gold) == len(records)  # no record is empty
    for pool in (source, target):
        assert 0.35 < len(gold) / len(pool) < 0.45
        assert len({r["source_sentence"] + "|" + r["target_sentence"] for r in pool}) == len(pool)
    # In a language identical to English a translation is the same text: no untranslated
    # source sentence may have one in the English pool.
    copy = World((ENGLISH, LanguageSpec("copy", shared=1.0)), seed=0)
    records = take(mining.bucc(copy, "test", "copy", 400))
    english = {r["target_sentence"] for r in records if r["target_sentence"]}
    for r in records:
        if r["source_sentence"]:
            assert (r["source_sentence"] in english) == bool(r["target_sentence"])
            assert r["source_sentence"] == r["target_sentence"] or not r["target_sentence"]


def test_bucc_pools_end_when_a_sentence_runs_out_of_near_misses():
    """An attribute sentence has some 20 near-misses; a large pool uses them up and must then
    draw an unrelated sentence, not search forever (it did for 2,000 records)."""
    import signal

    from xstilts.world.scenes import meaning_key

    def stuck(*_):
        raise TimeoutError("bucc_pools did not end")

    before = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(60)
    try:
        records = mining.bucc_pools(random.Random(0), 2000, 0, "test")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)
    assert len(records) == 2000
    assert len({meaning_key(a or b) for a, b in records}) == 2000


def test_bucc_pools_share_their_meanings_across_languages(world):
    by_lang = {lang: take(mining.bucc(world, "validation", lang, 80)) for lang in CODES[1:]}
    targets = [[r["target_sentence"] for r in records] for records in by_lang.values()]
    assert all(t == targets[0] for t in targets)
    sides = {lang: [(bool(r["source_sentence"]), bool(r["target_sentence"])) for r in records]
             for lang, records in by_lang.items()}
    assert len({tuple(s) for s in sides.values()}) == 1
    with pytest.raises(ValueError):
        take(mining.bucc(world, "test", "en", 5))
