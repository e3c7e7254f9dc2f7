"""Sentence-pair tasks: ANLI and QQP (English intermediate tasks) and PAWS-X (target).

- ANLI (``facebook/anli``) is NLI made adversarial: its hypotheses were written to fool
  models trained on MNLI. Here the premise is a whole twin scene (knowledge.py) and the
  hypothesis names a twin by a description the premise never uses with the fact in question,
  so two or three sentences must be combined; the other twin, placed with the same words,
  gives near-misses. MNLI's analogue (nli.py) needs one sentence.
- QQP (``glue``/``qqp``) asks whether two questions ask the same thing. Duplicates are
  rephrasings (the converse relation with the objects swapped, "is not small" for "is big",
  wh-word fronted or in situ); non-duplicates are rephrasings of a question with one content
  word changed, or with the objects swapped but the relation kept, so word overlap says little.
- PAWS-X (``google/xtreme``/``PAWS-X.<lang>``) is paraphrase identification on pairs of high
  word overlap: swapping the objects of a relation changes the meaning unless the relation is
  turned into its converse (or is the symmetric "near"). Its dev/test sets are translations:
  each split's meanings are the same in every language.
"""

import random
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import NamedTuple

from xstilts.tasks import NLI_LABELS
from xstilts.world.concepts import COLOURS, NOUNS, PERSONS, RELATIONS, SIZES
from xstilts.world.datasets import _rng
from xstilts.world.knowledge import DIRECTIONS, SLOTS, Scene, judge, slot_of, twin_scene
from xstilts.world.languages import World
from xstilts.world.questions import WHAT, ask
from xstilts.world.scenes import locative, noun_phrase
from xstilts.world.syntax import Attribute, Clause, Locative, NounPhrase, realise, text

SIZE_SWAP = {"big": "small", "small": "big"}  # sizes are two, so "not big" is "small"


def _values(slot: str) -> tuple:
    return {"colour": COLOURS, "size": SIZES, "owner": PERSONS, "noun": NOUNS}[slot]


def anli_example(rng: random.Random) -> tuple[Scene, Clause, str]:
    """(scene, hypothesis, label): labels equally likely, each reached by every form."""
    scene, label = twin_scene(rng), rng.choice(NLI_LABELS)
    while True:
        hypothesis = _anli_hypothesis(scene, rng)
        if judge(scene, hypothesis) == label:
            return scene, hypothesis, label


def _anli_hypothesis(scene: Scene, rng: random.Random) -> Clause:
    twin, other = rng.sample(scene.twins, 2)
    name = twin.called(rng.choice(SLOTS))
    mark = NounPhrase(rng.choice(scene.landmarks).noun)
    kind = rng.randrange(3)
    if kind == 0:  # a twin's colour or size: its own, its twin's (near-miss) or any
        slot = rng.choice([s for s in ("colour", "size") if getattr(name, s) is None])
        adj = rng.choice((getattr(twin, slot), getattr(other, slot), rng.choice(_values(slot))))
        return Attribute(name, adj, negated=rng.random() < 0.3)
    if kind == 1:  # a landmark's colour or size, which the premise may never state
        landmark = scene.refer(mark)
        slot = rng.choice(("colour", "size"))
        adj = rng.choice((getattr(landmark, slot), rng.choice(_values(slot))))
        return Attribute(mark, adj, negated=rng.random() < 0.3)
    relation = rng.choice(DIRECTIONS)
    return (Locative(name, relation, mark) if rng.random() < 0.5
            else Locative(mark, relation, name))


def anli(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """ANLI records; ``reason`` is "" (the hub leaves it empty where no annotator wrote one)."""
    rng, lex = _rng(world, "anli", split), world.lexicons[lang]
    for idx in range(n):
        scene, hypothesis, label = anli_example(rng)
        yield {"uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"xstilts:{world.seed}:anli:{split}:{idx}")),
               "premise": " ".join(text(realise(c, lex)) for c in scene.statements),
               "hypothesis": text(realise(hypothesis, lex)),
               "label": NLI_LABELS.index(label), "reason": ""}


class Question(NamedTuple):
    clause: Clause  # the asked part holds WHAT
    part: str | None  # what ``ask`` asks: None (yes/no), "subj", "obj" or "adjective"
    front: bool = True


_OTHER_SIDE = {"subj": "obj", "obj": "subj"}


def _question(rng: random.Random) -> Question:
    """A yes/no or wh-question about a spatial relation, a colour or a size."""
    a = noun_phrase(rng)
    a = replace(a, **{s: None for s in ("colour", "size", "owner") if rng.random() < 0.5})
    kind = rng.choices(range(4), weights=(3, 3, 1, 3))[0]
    relation = rng.choice(sorted(RELATIONS))
    if kind == 0:
        b = replace(noun_phrase(rng, avoid=(a.noun,)), size=None, owner=None)
        return Question(Locative(a, relation, b), None, rng.random() < 0.7)
    if kind == 1:
        part = rng.choice(("subj", "obj"))
        pair = (WHAT, a) if part == "subj" else (a, WHAT)
        return Question(Locative(pair[0], relation, pair[1]), part, rng.random() < 0.5)
    slot = "colour" if kind == 2 else rng.choice(("colour", "size"))
    a = replace(a, **{slot: None})  # "is the red ball red ?" would answer itself
    if kind == 2:
        return Question(Attribute(a, "colour"), "adjective", rng.random() < 0.5)
    return Question(Attribute(a, rng.choice(_values(slot)), rng.random() < 0.3), None,
                    rng.random() < 0.7)


def _rewrites(q: Question) -> list[Question]:
    """The one-step rewrites of a question that keep its meaning and change its words."""
    c, out = q.clause, []
    if isinstance(c, Locative):  # "what is above X" = "X is below what"
        out.append(Question(Locative(c.obj, RELATIONS[c.relation], c.subj),
                            _OTHER_SIDE.get(q.part), q.front))
    if q.part != "subj":  # a subject wh-word is at the front already
        out.append(q._replace(front=not q.front))
    if isinstance(c, Attribute) and c.adjective in SIZES:  # "is X big" = "is X not small"
        out.append(q._replace(clause=replace(c, adjective=SIZE_SWAP[c.adjective],
                                             negated=not c.negated)))
    return out


def _rephrase(q: Question, rng: random.Random) -> Question:
    new = q
    while new == q:  # two rewrites may undo each other
        new = q
        for _ in range(rng.randint(1, 2)):
            new = rng.choice(_rewrites(new))
    return new


def _change(q: Question, rng: random.Random) -> Question:
    """A different question: one content word changed, or the objects swapped."""
    c, route = q.clause, rng.random()
    if isinstance(c, Locative) and route < 0.5:
        if c.relation != "near" and route < 0.25:  # swapped objects, same relation
            return Question(Locative(c.obj, c.relation, c.subj), _OTHER_SIDE.get(q.part),
                            q.front)
        return q._replace(clause=replace(
            c, relation=rng.choice([r for r in RELATIONS if r != c.relation])))
    if isinstance(c, Attribute) and q.part is None and route < 0.5:
        if route < 0.2:  # "is X big" vs "is X not big": opposite answers
            return q._replace(clause=replace(c, negated=not c.negated))
        pool = [v for v in _values(slot_of(c.adjective)) if v != c.adjective]
        return q._replace(clause=replace(c, adjective=rng.choice(pool)))
    role = rng.choice([r for r in ("subj", "obj") if getattr(c, r, WHAT) != WHAT])
    np = getattr(c, role)
    slot = rng.choice([s for s in ("noun", "colour", "size", "owner") if getattr(np, s)])
    taken = {getattr(c.subj, slot), getattr(getattr(c, "obj", c.subj), slot)}
    np = replace(np, **{slot: rng.choice([v for v in _values(slot) if v not in taken])})
    return q._replace(clause=replace(c, **{role: np}))


def qqp_example(rng: random.Random) -> tuple[Question, Question, int]:
    """(question1, question2, label): 1 when both ask the same, in different words."""
    q1, duplicate = _question(rng), rng.random() < 0.5
    return q1, _rephrase(q1 if duplicate else _change(q1, rng), rng), int(duplicate)


def qqp(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    rng, lex = _rng(world, "qqp", split), world.lexicons[lang]
    for idx in range(n):
        q1, q2, label = qqp_example(rng)
        yield {"question1": text(ask(*q1, lex)), "question2": text(ask(*q2, lex)),
               "label": label, "idx": idx}
