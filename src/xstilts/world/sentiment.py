"""SST-2 (``glue``/``sst2``): the polarity of a short review, 0 negative or 1 positive.

The skill is compositional sentiment, which SST's phrase-level annotation was made to teach:
a polarity word counts the other way under negation ("the cup is not ugly" is positive), and a
review mixes evaluative sentences with neutral facts about the same things, some of them also
negated or intensified ("the box is very red", "the bag is not big"). So neither a polarity
word, "not", "very" nor the length of a review gives the label away on its own.
"""

import random
from collections.abc import Iterator

from xstilts.world.concepts import COLOURS, NEGATIVE, POSITIVE, SIZES
from xstilts.world.datasets import _rng
from xstilts.world.heldout import draw
from xstilts.world.languages import Lexicon, World
from xstilts.world.scenes import locative, noun_phrase
from xstilts.world.syntax import Attribute, Clause, NounPhrase, Token, realise, text

LABELS = ("negative", "positive")  # GLUE/SST-2 label ids 0, 1


def polarity(c: Clause) -> int | None:
    """1 positive, 0 negative, None for a neutral fact: the word's polarity, flipped by "not"."""
    if not isinstance(c, Attribute) or c.adjective not in POSITIVE + NEGATIVE:
        return None
    return int((c.adjective in POSITIVE) != c.negated)


def sst2_example(rng: random.Random) -> tuple[list[tuple[Clause, bool]], int]:
    """(sentences as (clause, intensified), label); every evaluative sentence agrees."""
    label = rng.randrange(2)
    sentences = []
    for _ in range(rng.choice((1, 1, 2))):
        negated = rng.random() < 0.4
        # The word's own polarity is the label's unless a "not" turns it round.
        words = POSITIVE if bool(label) != negated else NEGATIVE
        np = noun_phrase(rng, owner_p=0.4)
        np = NounPhrase(np.noun, np.colour if rng.random() < 0.4 else None, owner=np.owner)
        sentences.append((Attribute(np, rng.choice(words), negated), rng.random() < 0.25))
    for _ in range(rng.choice((0, 1, 1, 2))):
        if rng.random() < 0.5:
            sentences.append((locative(rng, place_p=0.2), False))
        else:  # neutral attributes get "not" and "very" as often as evaluative ones
            np = noun_phrase(rng, owner_p=0.4)
            fact = Attribute(NounPhrase(np.noun, owner=np.owner), rng.choice(COLOURS + SIZES),
                             negated=rng.random() < 0.4)
            sentences.append((fact, rng.random() < 0.25))
    rng.shuffle(sentences)
    return sentences, label


def _sentence(c: Clause, very: bool, lex: Lexicon) -> list[Token]:
    tokens = realise(c, lex)
    if very:  # an intensifier right before the adjective, in every word order
        at = next(i for i, t in enumerate(tokens) if t.ref == "adjective")
        tokens.insert(at, Token(lex.word("very"), "very", "ADV"))
    return tokens


def sst2(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    rng, lex = _rng(world, "sst2", split), world.lexicons[lang]
    for idx in range(n):
        sentences, label = draw(world.seed, split, rng, sst2_example,
                                lambda x: [[c for c, _ in x[0]]])
        yield {"sentence": " ".join(text(_sentence(c, very, lex)) for c, very in sentences),
               "label": label, "idx": idx}
