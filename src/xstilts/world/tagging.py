"""Structured prediction in the world: UD-POS and PAN-X (WikiANN) named-entity tagging.

Both read their labels straight off the realiser's tokens (``Token.pos``, ``Token.ner``), so the
tags stay aligned to words through every word-order, morphology and script dial.

- UD-POS (``google/xtreme`` ``udpos.<Language>``) tests syntax: the same 17 universal tags must
  be found in languages that reorder adjectives, put verbs last, drop articles for case suffixes
  and spell words differently. Sentences are 1-2 ordinary clauses, like treebank sentences.
- PAN-X (``google/xtreme`` ``PAN-X.<lang>``) tests finding names: persons, organisations and
  places, mostly multi-word and transliterated rather than translated, in sentences as dense
  with entities as WikiANN's Wikipedia-anchor sentences.

Label orders are the hub's ClassLabel orders, checked against the XTREME dataset card
(huggingface/datasets, datasets/xtreme/README.md, ``dataset_info`` of ``udpos.*`` and
``PAN-X.*``): ``pos_tags`` and ``ner_tags`` hold indices into these tuples.
"""

import random
from collections.abc import Iterator

from xstilts.world.concepts import COLOURS, ORGS, PERSONS, PLACES, SIZES
from xstilts.world.datasets import _rng
from xstilts.world.heldout import draw
from xstilts.world.languages import World
from xstilts.world.scenes import clause, locative, noun_phrase
from xstilts.world.syntax import Attribute, Clause, Employment, NounPhrase, Possession, realise

# XTREME's udpos ClassLabel order (alphabetical, as in the dataset card), ids 0..16.
UPOS_TAGS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON",
             "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X")
# XTREME's PAN-X ClassLabel order, ids 0..6.
PANX_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")

SPLITS = ("train", "validation", "test")


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")


def udpos(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """POS-tagged sentences of 1-2 clauses: {"tokens": [str], "pos_tags": [int]}.

    Only English has a train split: XTREME fine-tunes on English and tests zero-shot, so a
    target-language train set would be a leak. Dev/test are parallel across languages (one
    stream per split), so per-language scores differ only by how the language is realised.
    """
    _check_split(split)
    if split == "train" and lang != "en":
        raise ValueError("udpos trains on English only (zero-shot transfer); "
                         f"no train split for {lang!r}")
    rng, lex = _rng(world, "udpos", split), world.lexicons[lang]
    for _ in range(n):
        clauses = draw(world.seed, split, rng,
                       lambda r: [clause(r) for _ in range(r.randint(1, 2))], lambda cs: [cs])
        tokens = [t for c in clauses for t in realise(c, lex)]
        yield {"tokens": [t.form for t in tokens],
               "pos_tags": [UPOS_TAGS.index(t.pos) for t in tokens]}


def entity_clause(rng: random.Random) -> Clause:
    """A clause with at least one named entity, weighted towards several and multi-word ones.

    WikiANN keeps sentences around Wikipedia links, so nearly every one names something; here
    employment gives all three entity kinds, possession a person, located objects a place and
    often owners, and an owned object's attribute a person.
    """
    kind = rng.random()
    if kind < 0.35:
        return Employment(rng.choice(PERSONS), rng.choice(ORGS), rng.choice(PLACES))
    if kind < 0.6:
        np = noun_phrase(rng, owner_p=0.0)
        return Possession(rng.choice(PERSONS), rng.randint(2, 9), NounPhrase(np.noun, np.colour))
    if kind < 0.85:
        return locative(rng, place_p=1.0, owner_p=0.5)
    np = noun_phrase(rng, owner_p=0.0)
    return Attribute(NounPhrase(np.noun, owner=rng.choice(PERSONS)), rng.choice(COLOURS + SIZES))


def panx(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """Entity-tagged sentences: {"tokens": [str], "ner_tags": [int], "langs": [str]}.

    ``langs`` repeats the language code per token, as PAN-X's "en:word" prefixes do. Every
    language has every split (the hub has them too; XTREME only fine-tunes on English's), and
    each split is parallel across languages.
    """
    _check_split(split)
    rng, lex = _rng(world, "panx", split), world.lexicons[lang]
    for _ in range(n):
        clauses = draw(world.seed, split, rng,
                       lambda r: [entity_clause(r) for _ in range(r.randint(1, 2))],
                       lambda cs: [cs])
        tokens = [t for c in clauses for t in realise(c, lex)]
        yield {"tokens": [t.form for t in tokens],
               "ner_tags": [PANX_TAGS.index(t.ner) for t in tokens],
               "langs": [lang] * len(tokens)}
