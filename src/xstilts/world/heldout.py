"""The scenes that only dev and test sets may use: a fixed partition of the world's meanings.

XTREME's test sets are sentences no model trained on. Here every clause belongs to a scene,
its participants as described (``scene_key``: the two objects of a relation, the
descriptions they have between them and the place, whatever the relation and whichever has
which description; a thing and the colour or judgement
said of it, whatever its size and whether denied; who has what; who works where). A hash of the
world seed and the scene puts a share ``HELD_OUT`` of scenes on the held-out side. A training
item (any task's train split, the phase-0 corpus, the training captions) uses training-side
scenes only. A dev or test item has a held-out scene in every one of its texts (a premise and
its hypothesis, both sentences of a pair, a passage, a tagged sentence); what a text adds to
that (a question, an ending, a second sentence of a passage) may be anything.

The key leaves out what minimal pairs change (the relation, its direction, a size, a "not"), so
the two sentences of a PAWS-X or QQP pair, which differ in just that, share their scene and
fall on one side together. So no dev or test item, in any language, renders a meaning that a
training set holds, and none of its texts is a training text again. Generators draw an item
and keep it when it falls on its split's side (``admits``): the partition decides, not a
comparison with the training files.
"""

import hashlib
import random
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from xstilts.world.concepts import SIZES
from xstilts.world.syntax import Attribute, Employment, Locative, Possession

HELD_OUT = 0.15  # share of scenes only dev and test sets use
TRAIN_SPLITS = ("train",)

T = TypeVar("T")


def scene_key(meaning) -> object:
    """The scene a clause (or a question's clause) is about; other meanings stand for
    themselves."""
    if isinstance(meaning, Locative):  # two things and their descriptions, in any order
        nps = (meaning.subj, meaning.obj)
        said = sorted(repr(getattr(np, s)) for np in nps for s in ("colour", "size", "owner"))
        return "at", tuple(sorted(np.noun for np in nps)), tuple(said), meaning.place
    if isinstance(meaning, Attribute):
        said = {meaning.subj.colour, meaning.adjective} - {None, *SIZES}
        return "is", meaning.subj.noun, meaning.subj.owner, tuple(sorted(said))
    if isinstance(meaning, Possession):
        return "has", meaning.person, meaning.thing
    if isinstance(meaning, Employment):
        return "works", meaning.person, meaning.org, meaning.place
    return meaning


def held_out(seed: int, meaning) -> bool:
    """Whether ``meaning``'s scene is on the held-out side. Keys hold no sets: their repr,
    which is hashed, must not depend on the process's string hashing."""
    digest = hashlib.blake2b(f"{seed}:{scene_key(meaning)!r}".encode(),
                             digest_size=8).digest()
    return int.from_bytes(digest, "big") < HELD_OUT * 2 ** 64


def admits(seed: int, split: str, texts: Sequence[Iterable], rest: Iterable = ()) -> bool:
    """A training item holds no held-out scene; a dev/test item has one in each text."""
    if split in TRAIN_SPLITS:
        return not any(held_out(seed, m) for text in texts for m in text) and \
            not any(held_out(seed, m) for m in rest)
    return all(any(held_out(seed, m) for m in text) for text in texts)


def draw(seed: int, split: str, rng: random.Random, make: Callable[[random.Random], T],
         texts: Callable[[T], Sequence[Iterable]], rest: Callable[[T], Iterable] = lambda _: (),
         tries: int = 100_000) -> T:
    """``make(rng)`` until the item falls on its split's side of the partition. ``texts``
    gives the meanings of each of the item's texts, ``rest`` what else it says."""
    for _ in range(tries):
        item = make(rng)
        if admits(seed, split, texts(item), rest(item)):
            return item
    raise ValueError(f"no {split} item in {tries} draws: the generator cannot reach the "
                     "split's side of the held-out partition")
