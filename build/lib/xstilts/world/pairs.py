"""Sentence-pair tasks: ANLI and QQP (English intermediate tasks) and PAWS-X (target).

- ANLI (``facebook/anli``) is NLI made adversarial: its hypotheses were written to fool
  models trained on MNLI. Here the premise is a whole twin scene (knowledge.py) and the
  hypothesis names a twin otherwise than the premise states the fact in question (where the
  premise allows), so two or three sentences must be combined; the other twin, placed with
  the same words, gives near-misses. MNLI's analogue (nli.py) needs one sentence.
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

from xstilts.tasks import NLI_LABELS
from xstilts.world.concepts import COLOURS, NOUNS, PERSONS, RELATIONS, SIZES
from xstilts.world.datasets import _rng
from xstilts.world.knowledge import DIRECTIONS, SLOTS, Scene, judge, slot_of, twin_scene
from xstilts.world.languages import World
from xstilts.world.questions import WHAT, Query
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
    mark = NounPhrase(rng.choice(scene.landmarks).noun)
    kind = rng.randrange(3)
    if kind == 0:  # a twin's colour or size: its own, its twin's (near-miss) or any
        # Only one slot is tied to both others, so colour or size is two sentences away.
        slot = rng.choice([s for s in ("colour", "size") if scene.far_name(twin, s)])
        adj = rng.choice((getattr(twin, slot), getattr(other, slot), rng.choice(_values(slot))))
        return Attribute(scene.far_name(twin, slot), adj, negated=rng.random() < 0.3)
    if kind == 1:  # a landmark's colour or size, which the premise may never state
        landmark = scene.refer(mark)
        slot = rng.choice(("colour", "size"))
        adj = rng.choice((getattr(landmark, slot), rng.choice(_values(slot))))
        return Attribute(mark, adj, negated=rng.random() < 0.3)
    # The twin named otherwise than where the text places it: one more sentence to chain.
    name = twin.called(rng.choice([s for s in SLOTS if s not in scene.placed_by(twin)]))
    relation = rng.choice(DIRECTIONS)
    return (Locative(name, relation, mark) if rng.random() < 0.5
            else Locative(mark, relation, name))


def anli(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """ANLI records. ``reason`` (an annotator's note on the hub, often empty) is always ""."""
    rng, lex = _rng(world, "anli", split), world.lexicons[lang]
    for idx in range(n):
        scene, hypothesis, label = anli_example(rng)
        uid = uuid.uuid5(uuid.NAMESPACE_URL, f"xstilts:{world.seed}:anli:{split}:{idx}")
        yield {"uid": str(uid),
               "premise": " ".join(text(realise(c, lex)) for c in scene.statements),
               "hypothesis": text(realise(hypothesis, lex)),
               "label": NLI_LABELS.index(label), "reason": ""}


_OTHER_SIDE = {"subj": "obj", "obj": "subj"}


def _question(rng: random.Random) -> Query:
    """A yes/no or wh-question about a spatial relation, a colour or a size."""
    a = noun_phrase(rng)
    a = replace(a, **{s: None for s in ("colour", "size", "owner") if rng.random() < 0.5})
    kind = rng.choices(range(4), weights=(3, 3, 1, 3))[0]  # wh colour/size: one rewrite only
    relation = rng.choice(sorted(RELATIONS))
    if kind == 0:
        b = replace(noun_phrase(rng, avoid=(a.noun,)), size=None, owner=None)
        return Query(Locative(a, relation, b), None, rng.random() < 0.7)
    if kind == 1:
        part = rng.choice(("subj", "obj"))
        pair = (WHAT, a) if part == "subj" else (a, WHAT)
        return Query(Locative(pair[0], relation, pair[1]), part, rng.random() < 0.5)
    slot = rng.choice(("colour", "size"))
    a = replace(a, **{slot: None})  # "is the red ball red ?" would answer itself
    if kind == 2:
        return Query(Attribute(a, slot), "adjective", rng.random() < 0.5)
    return Query(Attribute(a, rng.choice(_values(slot)), rng.random() < 0.3), None,
                 rng.random() < 0.7)


def _rewrites(q: Query) -> list[Query]:
    """The one-step rewrites of a question that keep its meaning and change its words."""
    c, out = q.clause, []
    if isinstance(c, Locative):  # "what is above X" = "X is below what"
        out.append(Query(Locative(c.obj, RELATIONS[c.relation], c.subj),
                         _OTHER_SIDE.get(q.part), q.front))
    if q.part != "subj":  # a subject wh-word is at the front already
        out.append(q._replace(front=not q.front))
    if q.part is None and isinstance(c, Attribute) and c.adjective in SIZES:
        out.append(q._replace(clause=replace(c, adjective=SIZE_SWAP[c.adjective],
                                             negated=not c.negated)))
    return out


def _rephrase(q: Query, rng: random.Random) -> Query:
    new = q
    while new == q:  # two rewrites may undo each other
        new = q
        for _ in range(rng.randint(1, 2)):
            new = rng.choice(_rewrites(new))
    return new


def _change(q: Query, rng: random.Random) -> Query:
    """A different question: one content word changed, or the objects swapped."""
    c, route = q.clause, rng.random()
    if isinstance(c, Locative) and route < 0.5:
        if c.relation != "near" and route < 0.25:  # swapped objects, same relation
            return Query(Locative(c.obj, c.relation, c.subj), _OTHER_SIDE.get(q.part),
                         q.front)
        return q._replace(clause=replace(
            c, relation=rng.choice([r for r in RELATIONS if r != c.relation])))
    if isinstance(c, Attribute) and route < 0.5:
        if q.part is None and route < 0.2:  # "is X big" / "is X not big": opposite answers
            return q._replace(clause=replace(c, negated=not c.negated))
        pool = ("colour", "size") if q.part else _values(slot_of(c.adjective))
        return q._replace(clause=replace(c, adjective=rng.choice(
            [v for v in pool if v != c.adjective])))
    role = rng.choice([r for r in ("subj", "obj") if getattr(c, r, WHAT) != WHAT])
    np = getattr(c, role)
    slot = rng.choice([s for s in ("noun", "colour", "size", "owner") if getattr(np, s)])
    taken = {getattr(c.subj, slot), getattr(getattr(c, "obj", c.subj), slot)}
    np = replace(np, **{slot: rng.choice([v for v in _values(slot) if v not in taken])})
    return q._replace(clause=replace(c, **{role: np}))


def qqp_example(rng: random.Random) -> tuple[Query, Query, int]:
    """(question1, question2, label): 1 when both ask the same, in different words."""
    q1, duplicate = _question(rng), rng.random() < 0.5
    return q1, _rephrase(q1 if duplicate else _change(q1, rng), rng), int(duplicate)


def qqp(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    rng, lex = _rng(world, "qqp", split), world.lexicons[lang]
    for idx in range(n):
        q1, q2, label = qqp_example(rng)
        yield {"question1": text(q1.tokens(lex)), "question2": text(q2.tokens(lex)),
               "label": label, "idx": idx}


def paws_example(rng: random.Random) -> tuple[Clause, Clause, int]:
    """(sentence1, sentence2, label) of high word overlap; label 1 when they mean the same."""
    label = rng.randrange(2)
    if rng.random() < 0.2:  # sizes are two, so a denied size is the other one
        np, size = replace(noun_phrase(rng), size=None), rng.choice(SIZES)
        first, other = Attribute(np, size, rng.random() < 0.5), SIZE_SWAP[size]
        # "is not big" = "is small"; "is big" / "is small" and "is big" / "is not big" differ.
        routes = [(other, not first.negated)] if label else [(other, first.negated),
                                                            (size, not first.negated)]
        return first, Attribute(np, *rng.choice(routes)), label
    p = locative(rng)
    converse = Locative(p.obj, RELATIONS[p.relation], p.subj, p.place)
    if label:
        return p, converse, 1
    routes = [replace(p, subj=replace(p.subj, **{s: getattr(p.obj, s)}),
                      obj=replace(p.obj, **{s: getattr(p.subj, s)}))
              for s in ("colour", "size", "owner") if getattr(p.subj, s) != getattr(p.obj, s)]
    if p.relation != "near":  # objects swapped but not the relation; the relation reversed
        routes += [Locative(p.obj, p.relation, p.subj, p.place),
                   replace(p, relation=RELATIONS[p.relation])]
    else:
        routes.append(replace(p, relation=rng.choice([r for r in RELATIONS if r != "near"])))
    return p, rng.choice(routes), 0


def paws_x(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """PAWS-X records; ``label`` is the string "0" or "1", as in ``google/xtreme``."""
    rng, lex = _rng(world, "paws_x", split), world.lexicons[lang]
    for _ in range(n):
        s1, s2, label = paws_example(rng)
        if rng.random() < 0.5:
            s1, s2 = s2, s1
        yield {"sentence1": text(realise(s1, lex)), "sentence2": text(realise(s2, lex)),
               "label": str(label)}
