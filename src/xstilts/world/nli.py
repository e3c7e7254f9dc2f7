"""Entailment pairs whose labels follow from the meaning of premise and hypothesis.

Two designs (``world.nli``). The plain one (the default): the premise is one fully described
scene, and each label is reached by several routes (entailment by restating an attribute, a
reduced description or the converse relation; contradiction by a wrong colour or size, a
denied attribute or a wrong relation; neutral by an object the premise never mentions or a
property it never states). Rules that read no meaning answer part of it: "not" marks a
contradiction, and how many hypothesis words the premise lacks tells much of the label
(bench/shortcuts.py). The offline encoder learns it.

The balanced one closes those shortcuts; at the default budget the offline encoder does not
learn it (docs/notes/2026-12-07-balanced-nli.md), so it is there to be worked on. Its premise
is a scene: two objects in a spatial relation, described with some of their colour and size,
then one or two sentences judging them or a third thing ("the box is nice"). The hypothesis
takes one of three forms, and every form reaches every label, so neither its words nor its
form tell the label (MNLI's hypothesis-only artefacts, "not" for contradiction, are what this
avoids):

- an attribute (colour, size or judgement): entailed when stated, contradicted by another
  value, neutral when the premise does not state it (of a present or an absent object);
- the same, denied: "the ball is not green" is entailed when the ball is red;
- a relation: entailed by the stated one or its converse, contradicted by another directed
  relation or by the objects swapped, neutral for a thing the premise only judges or never
  mentions.

Wrong values are taken from the premise's own words where it has some, so a hypothesis whose
words all occur in the premise may hold any label. Two things stand in one relation, so a
different directed relation contradicts the stated one; "near" is compatible with every
relation, so it is never asked against a directed one.
"""

import random
from dataclasses import replace

from xstilts.world.concepts import COLOURS, NEGATIVE, NOUNS, POSITIVE, RELATIONS, SIZES
from xstilts.world.scenes import locative
from xstilts.world.syntax import Attribute, Clause, Locative, NounPhrase

LABELS = ("entailment", "neutral", "contradiction")  # GLUE/MNLI label ids 0, 1, 2
QUALITIES = POSITIVE + NEGATIVE  # a judgement is one more property, with one value per thing
VALUES = {"colour": COLOURS, "size": SIZES, "quality": QUALITIES}
FORMS = ("attribute", "denial", "relation")
DIRECTED = tuple(sorted(r for r in RELATIONS if r != "near"))


def _premise(rng: random.Random, directed: bool) -> tuple[Locative, dict]:
    """The scene and what it states: {(noun, slot): value}."""
    p = locative(rng, owner_p=0.0)
    drop = {s: rng.random() < 0.3 for s in ("subj", "obj")}
    p = replace(p, subj=replace(p.subj, colour=None if drop["subj"] else p.subj.colour),
                obj=replace(p.obj, size=None if drop["obj"] else p.obj.size))
    if directed and p.relation == "near":
        p = replace(p, relation=rng.choice(DIRECTED))
    stated = {(np.noun, s): getattr(np, s) for np in (p.subj, p.obj)
              for s in ("colour", "size") if getattr(np, s)}
    return p, stated


def _value(rng: random.Random, slot: str, premise_words: set[str], avoid: str | None) -> str:
    """A value of ``slot`` other than ``avoid``, mostly one the premise uses when it has one."""
    pool = [v for v in VALUES[slot] if v != avoid]
    present = [v for v in pool if v in premise_words]
    return rng.choice(present if present and rng.random() < 0.85 else pool)


def nli_example(rng: random.Random, label: str | None = None, balanced: bool = False,
                ) -> tuple[tuple[Clause, ...], Clause, str]:
    """(premise sentences, hypothesis, label) of the plain or the balanced design."""
    return (balanced_example if balanced else plain_example)(rng, label)


def balanced_example(rng: random.Random, label: str | None = None,
                     ) -> tuple[tuple[Clause, ...], Clause, str]:
    """(premise sentences, hypothesis, label): labels (unless given), forms and the asked
    property equally likely, drawn first; then how many of the hypothesis's words the premise
    lacks, the same for every label: none for an attribute, one ("not") for a denial, none or
    one for a relation. So no count of shared words tells the label (SWAG's adversarial
    filtering removes what a shallow model reads off a pair to the same end)."""
    label, form = label or rng.choice(LABELS), rng.choice(FORMS)
    new = {"attribute": 0, "denial": 1}.get(form, rng.randrange(2))
    while True:
        if (drawn := _candidate(rng, label, form)) is None:
            continue
        premise, hypothesis = drawn
        have = set().union(*map(lemmas, premise))
        if len(lemmas(hypothesis) - have) == new:
            return premise, hypothesis, label


def lemmas(c: Clause) -> set[str]:
    """The content words of a clause (function words are the same in every sentence)."""
    nps = (c.subj, c.obj) if isinstance(c, Locative) else (c.subj,)
    words = {w for np in nps for w in (np.noun, np.colour, np.size) if w}
    if isinstance(c, Locative):
        return words | {c.relation}
    return words | {c.adjective} | ({"not"} if c.negated else set())


def _candidate(rng: random.Random, label: str, form: str,
               ) -> tuple[tuple[Clause, ...], Clause] | None:
    slot = rng.choice(sorted(VALUES))
    # "near" never contradicts, so it is rare where a relation is asked.
    p, stated = _premise(rng, directed=form == "relation" and (
        label == "contradiction" or rng.random() < 0.8))
    premise: tuple[Clause, ...] = (p,)
    present = [p.subj.noun, p.obj.noun]
    third = rng.choice([n for n in NOUNS if n not in present])
    # Judgements of the objects or of a third thing nearby, one or two.
    for judged in rng.sample([*present, third], rng.randint(1, 2)):
        stated[judged, "quality"] = rng.choice(
            [q for q in QUALITIES if q not in stated.values()])
        premise += (Attribute(NounPhrase(judged), stated[judged, "quality"]),)
    present.append(third)
    words = set(stated.values())
    if form == "relation":
        return premise, _relation(p, present, label, rng)
    negated = form == "denial"
    if label == "neutral":
        unstated = [n for n in dict.fromkeys(present) if (n, slot) not in stated]
        noun = (rng.choice(unstated) if unstated and rng.random() < 0.9
                else rng.choice([n for n in NOUNS if n not in present]))
        return premise, Attribute(NounPhrase(noun), _value(rng, slot, words, None), negated)
    known = sorted((n, v) for (n, s), v in stated.items() if s == slot)
    if not known:
        return None
    noun, true = rng.choice(known)
    holds = label == "entailment"
    # Affirmed, the true value holds; denied, another value's denial holds.
    adjective = true if holds != negated else _value(rng, slot, words, true)
    return premise, Attribute(NounPhrase(noun), adjective, negated)


def _bare(np: NounPhrase, rng: random.Random) -> NounPhrase:
    """The same object named more briefly: noun plus at most one of its stated attributes."""
    keep = rng.choice(("none", "colour", "size"))
    return NounPhrase(np.noun, np.colour if keep == "colour" else None,
                      np.size if keep == "size" else None)


def _relation(p: Locative, present: list[str], label: str, rng: random.Random) -> Locative:
    subj, obj = _bare(p.subj, rng), _bare(p.obj, rng)
    if label == "entailment":
        return (Locative(subj, p.relation, obj) if rng.random() < 0.4
                else Locative(obj, RELATIONS[p.relation], subj))
    if label == "contradiction":  # the objects swapped, or another directed relation
        if rng.random() < 0.7:
            return Locative(obj, p.relation, subj)
        return Locative(subj, rng.choice([r for r in DIRECTED if r != p.relation]), obj)
    # A thing the premise only judges, or never mentions, stands in no stated relation.
    other = [n for n in present if n not in (p.subj.noun, p.obj.noun)]
    noun = other[0] if other and rng.random() < 0.85 else rng.choice(
        [n for n in NOUNS if n not in present])
    described = rng.choice(("none", "colour", "size"))  # as briefly as ``_bare`` names
    third = NounPhrase(noun, rng.choice(COLOURS) if described == "colour" else None,
                       rng.choice(SIZES) if described == "size" else None)
    relation = p.relation if rng.random() < 0.8 else rng.choice(sorted(RELATIONS))
    return (Locative(third, relation, rng.choice((subj, obj))) if rng.random() < 0.5
            else Locative(rng.choice((subj, obj)), relation, third))


def _plain_entailed(p: Locative, rng: random.Random) -> Clause:
    route = rng.randrange(3)
    target = rng.choice((p.subj, p.obj))
    if route == 0:
        return Attribute(NounPhrase(target.noun), rng.choice((target.colour, target.size)))
    if route == 1:
        return Locative(_bare(p.obj, rng), RELATIONS[p.relation], _bare(p.subj, rng))
    return Locative(_bare(p.subj, rng), p.relation, _bare(p.obj, rng))


def _plain_contradicted(p: Locative, rng: random.Random) -> Clause:
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


def _plain_neutral(p: Locative, rng: random.Random) -> Clause:
    absent = rng.choice([n for n in NOUNS if n not in (p.subj.noun, p.obj.noun)])
    route = rng.randrange(3)
    if route == 0:
        return Attribute(NounPhrase(absent), rng.choice(COLOURS + SIZES))
    if route == 1:
        present = rng.choice((p.subj, p.obj))
        return Locative(NounPhrase(absent), rng.choice(sorted(RELATIONS)), _bare(present, rng))
    target = rng.choice((p.subj, p.obj))
    return Attribute(NounPhrase(target.noun), rng.choice(POSITIVE + NEGATIVE))


_PLAIN = {"entailment": _plain_entailed, "neutral": _plain_neutral,
          "contradiction": _plain_contradicted}


def plain_example(rng: random.Random, label: str | None = None,
                  ) -> tuple[tuple[Clause, ...], Clause, str]:
    """(premise sentences, hypothesis, label) of the plain design: one fully described scene,
    labels (unless given) equally likely."""
    premise = locative(rng)
    label = label or rng.choice(LABELS)
    return (premise,), _PLAIN[label](premise, rng), label
