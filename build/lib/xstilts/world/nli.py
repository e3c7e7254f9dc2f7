"""Entailment pairs whose labels follow from the meaning of premise and hypothesis.

Each label is reached by several routes, so a model must read content words as well as word
order: entailment by restating an attribute, a reduced description or the converse relation;
contradiction by a wrong colour or size, a denied attribute or a wrong relation; neutral by
talking about an object the premise never mentions or a property it never states.
"""

import random

from xstilts.world.concepts import COLOURS, NEGATIVE, NOUNS, POSITIVE, RELATIONS, SIZES
from xstilts.world.scenes import locative
from xstilts.world.syntax import Attribute, Clause, Locative, NounPhrase

LABELS = ("entailment", "neutral", "contradiction")  # GLUE/MNLI label ids 0, 1, 2


def _bare(np: NounPhrase, rng: random.Random) -> NounPhrase:
    """The same object named more briefly: noun plus at most one of its attributes."""
    keep = rng.choice(("none", "colour", "size"))
    return NounPhrase(np.noun, np.colour if keep == "colour" else None,
                      np.size if keep == "size" else None)


def _entailed(p: Locative, rng: random.Random) -> Clause:
    route = rng.randrange(3)
    target = rng.choice((p.subj, p.obj))
    if route == 0:
        return Attribute(NounPhrase(target.noun), rng.choice((target.colour, target.size)))
    if route == 1:
        return Locative(_bare(p.obj, rng), RELATIONS[p.relation], _bare(p.subj, rng))
    return Locative(_bare(p.subj, rng), p.relation, _bare(p.obj, rng))


def _contradicted(p: Locative, rng: random.Random) -> Clause:
    # "near" is compatible with every other relation, so it never contradicts one.
    wrong = [r for r in RELATIONS if r != p.relation and "near" not in (r, p.relation)]
    route = rng.randrange(3 if wrong else 2)
    target = rng.choice((p.subj, p.obj))
    if route == 0:
        pool = COLOURS if rng.random() < 0.6 else SIZES
        true = target.colour if pool is COLOURS else target.size
        return Attribute(NounPhrase(target.noun), rng.choice([a for a in pool if a != true]))
    if route == 1:
        return Attribute(NounPhrase(target.noun), rng.choice((target.colour, target.size)),
                         negated=True)
    return Locative(_bare(p.subj, rng), rng.choice(wrong), _bare(p.obj, rng))


def _neutral(p: Locative, rng: random.Random) -> Clause:
    absent = rng.choice([n for n in NOUNS if n not in (p.subj.noun, p.obj.noun)])
    route = rng.randrange(3)
    if route == 0:
        return Attribute(NounPhrase(absent), rng.choice(COLOURS + SIZES))
    if route == 1:
        present = rng.choice((p.subj, p.obj))
        return Locative(NounPhrase(absent), rng.choice(sorted(RELATIONS)), _bare(present, rng))
    target = rng.choice((p.subj, p.obj))
    return Attribute(NounPhrase(target.noun), rng.choice(POSITIVE + NEGATIVE))


_BY_LABEL = {"entailment": _entailed, "neutral": _neutral, "contradiction": _contradicted}


def nli_example(rng: random.Random) -> tuple[Clause, Clause, str]:
    """(premise, hypothesis, label) with the three labels equally likely."""
    premise = locative(rng)
    label = rng.choice(LABELS)
    return premise, _BY_LABEL[label](premise, rng), label
