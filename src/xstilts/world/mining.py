"""BUCC 2018 (``google/xtreme`` ``bucc18.<lang>``): mining translations out of comparable corpora.

The skill is the one Tatoeba tests, made harder: find which sentence of an English pool
translates a sentence of another language's pool, when most sentences of both pools have no
translation at all. The pools are comparable, as BUCC's Wikipedia/news corpora are: besides the
parallel meanings, each side holds near-misses of them (one content word or the relation
changed) and unrelated sentences, and nothing in one pool means what an untranslated sentence
of the other means (converses of a relation count as the same meaning).

Record layout. The hub's records hold only the gold pairs (source_sentence in ``<lang>``,
target_sentence in English). Here the file holds the whole mining pools: the gold pairs, plus
each pool's sentences without a translation as records whose other side is "" (source-only:
target_sentence ""; target-only: source_sentence ""). About 40 % of each pool is parallel. A
split's meanings are the same for every language, so the English pool is too.
"""

import random
from collections.abc import Iterator
from dataclasses import replace

from xstilts.world.concepts import COLOURS, ORGS, PLACES, RELATIONS, SIZES
from xstilts.world.datasets import _rng
from xstilts.world.heldout import draw, held_out
from xstilts.world.languages import World
from xstilts.world.scenes import clause, meaning_key
from xstilts.world.syntax import Attribute, Clause, Employment, Locative, Possession, realise, text

PARALLEL_SHARE = 0.4  # of each pool, as a share of its sentences
NEAR_MISS_TRIES, UNRELATED_TRIES = 200, 10_000


def _near_miss(c: Clause, rng: random.Random) -> Clause:
    """The same sentence with one thing changed: what makes comparable corpora hard to mine."""
    if isinstance(c, Locative):
        if rng.random() < 0.5:
            return replace(c, relation=rng.choice([r for r in RELATIONS if r != c.relation]))
        return replace(c, obj=replace(c.obj, colour=rng.choice(COLOURS)))
    if isinstance(c, Attribute):
        return replace(c, adjective=rng.choice(COLOURS + SIZES), negated=rng.random() < 0.2)
    if isinstance(c, Possession):
        return replace(c, count=rng.randint(2, 9))
    assert isinstance(c, Employment)
    return replace(c, org=rng.choice(ORGS), place=rng.choice(PLACES))


def bucc_pools(rng: random.Random, n: int, seed: int, split: str,
               ) -> list[tuple[Clause | None, Clause | None]]:
    """n (source meaning, target meaning) records in shuffled order; None marks no partner.

    With g gold pairs and 1.5 g sentences without a translation on each side, each pool is
    40 % parallel and the records number 4 g. Every sentence is a held-out scene
    (heldout.py), near-misses included.
    """
    n_gold = round(n * PARALLEL_SHARE / (2 - PARALLEL_SHARE))
    n_source = (n - n_gold) // 2
    seen, gold = set(), []

    def fresh(near: Clause | None = None) -> Clause:
        # A sentence has few near-misses (an attribute clause about 20), and a pool may use
        # them all: then it gets an unrelated sentence instead.
        for tries in range(NEAR_MISS_TRIES + UNRELATED_TRIES):
            near_miss = near is not None and tries < NEAR_MISS_TRIES
            c = (_near_miss(near, rng) if near_miss
                 else draw(seed, split, rng, clause, lambda m: [[m]]))
            if meaning_key(c) not in seen and held_out(seed, c):
                seen.add(meaning_key(c))
                return c
        raise ValueError(f"bucc: no new meaning in {UNRELATED_TRIES} draws for a pool of {n} "
                         "sentences; lower world.tatoeba_size")

    gold = [fresh() for _ in range(n_gold)]
    alone = [fresh(rng.choice(gold) if gold and rng.random() < 0.5 else None)
             for _ in range(n - n_gold)]
    records = ([(c, c) for c in gold] + [(c, None) for c in alone[:n_source]]
               + [(None, c) for c in alone[n_source:]])
    rng.shuffle(records)
    return records


def bucc(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    if lang == "en":
        raise ValueError("bucc18 mines <lang>-English pairs; there is no 'en' config")
    if split not in ("validation", "test"):
        raise ValueError(f"bucc18 has splits validation and test, not {split!r}")
    rng, src, en = _rng(world, "bucc", split), world.lexicons[lang], world.lexicons["en"]
    for source, target in bucc_pools(rng, n, world.seed, split):
        yield {"source_sentence": text(realise(source, src)) if source else "",
               "target_sentence": text(realise(target, en)) if target else "",
               "source_lang": lang, "target_lang": "en"}
