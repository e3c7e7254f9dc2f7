"""Sentence-pair tasks: ANLI and QQP (English intermediate tasks) and PAWS-X (target).

- ANLI (``facebook/anli``) is NLI made adversarial: its hypotheses were written to fool
  models trained on MNLI. Here the premise is a whole twin scene (knowledge.py) and the
  hypothesis names a twin otherwise than the premise states the fact in question (where the
  premise allows), so two or three sentences must be combined; the other twin, placed with
  the same words, gives near-misses. MNLI's analogue (nli.py) needs one sentence.
- QQP (``glue``/``qqp``) asks whether two questions ask the same thing. Duplicates are
  rephrasings (the converse relation with the objects swapped, wh-word fronted or in situ);
  non-duplicates change the relation or swap the objects but keep it, and half the pairs of
  each label share all their words, so word overlap says nothing.
- PAWS-X (``google/xtreme``/``PAWS-X.<lang>``) is paraphrase identification on pairs of high
  word overlap: swapping the objects of a relation changes the meaning unless the relation is
  turned into its converse (or is the symmetric "near"). Its dev/test sets are translations:
  each split's meanings are the same in every language.
"""

import random
import uuid
from collections.abc import Iterator
from dataclasses import replace
from functools import partial

from xstilts.tasks import NLI_LABELS
from xstilts.world.concepts import COLOURS, NOUNS, PERSONS, RELATIONS, SIZES
from xstilts.world.datasets import _rng
from xstilts.world.heldout import draw
from xstilts.world.knowledge import DIRECTIONS, SLOTS, Scene, judge, twin_scene
from xstilts.world.languages import World
from xstilts.world.questions import WHAT, Query
from xstilts.world.scenes import locative, noun_phrase
from xstilts.world.syntax import Attribute, Clause, Locative, NounPhrase, realise, text


def _values(slot: str) -> tuple:
    return {"colour": COLOURS, "size": SIZES, "owner": PERSONS, "noun": NOUNS}[slot]


def anli_example(rng: random.Random, label: str | None = None) -> tuple[Scene, Clause, str]:
    """(scene, hypothesis, label): labels (unless given) equally likely, each reached by
    every form."""
    scene, label = twin_scene(rng), label or rng.choice(NLI_LABELS)
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


def anli_items(world: World, split: str) -> Iterator[tuple[Scene, Clause, str]]:
    """The meanings of a split's records, in order: ``anli_example``s on the split's side of
    the held-out partition (heldout.py), each label drawn first so that the partition does not
    tilt the labels."""
    rng = _rng(world, "anli", split)
    while True:
        wanted = rng.choice(NLI_LABELS)
        yield draw(world.seed, split, rng, partial(anli_example, label=wanted),
                   lambda x: [x[0].statements, [x[1]]])


def anli(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """ANLI records. ``reason`` (an annotator's note on the hub, often empty) is always ""."""
    lex = world.lexicons[lang]
    for idx, (scene, hypothesis, label) in zip(range(n), anli_items(world, split)):
        uid = uuid.uuid5(uuid.NAMESPACE_URL, f"xstilts:{world.seed}:anli:{split}:{idx}")
        yield {"uid": str(uid),
               "premise": " ".join(text(realise(c, lex)) for c in scene.statements),
               "hypothesis": text(realise(hypothesis, lex)),
               "label": NLI_LABELS.index(label), "reason": ""}


_OTHER_SIDE = {"subj": "obj", "obj": "subj"}


def _question(rng: random.Random, frontable: bool) -> Query:
    """A yes/no question or a wh-question about a directed relation between two objects
    ("is the ball above the box ?", "what is above the box ?"); ``frontable``: one whose
    wh-phrase can move (not a subject wh-word, which is at the front already)."""
    a = noun_phrase(rng)
    a = replace(a, **{s: None for s in ("colour", "size", "owner") if rng.random() < 0.5})
    relation = rng.choice(DIRECTIONS)
    part = rng.choice((None, "obj") if frontable else (None, "subj", "obj"))
    if part is None:
        b = replace(noun_phrase(rng, avoid=(a.noun,)), size=None, owner=None)
        return Query(Locative(a, relation, b), None, rng.random() < 0.5)
    pair = (WHAT, a) if part == "subj" else (a, WHAT)
    return Query(Locative(pair[0], relation, pair[1]), part, rng.random() < 0.5)


def _swapped(q: Query, relation: str) -> Query:
    c = q.clause
    return Query(Locative(c.obj, relation, c.subj), _OTHER_SIDE.get(q.part), q.front)


def qqp_example(rng: random.Random, label: int | None = None) -> tuple[Query, Query, int]:
    """(question1, question2, label): 1 when both ask the same, in different words.

    As in PAWS-X, half the pairs of each label use the same words, and the first question is
    drawn alike for both labels: a duplicate moves the wh-phrase (same words) or asks the
    converse relation of the swapped objects (one word changed); a non-duplicate swaps the
    objects under the same relation (same words) or asks another relation (one word changed).
    Either may then move its wh-phrase.
    """
    duplicate = rng.random() < 0.5 if label is None else bool(label)
    same_words = rng.random() < 0.5
    q1 = _question(rng, frontable=same_words)
    c = q1.clause
    if same_words and duplicate:
        return q1, q1._replace(front=not q1.front), 1
    if same_words:
        q2 = _swapped(q1, c.relation)
    elif duplicate:
        q2 = _swapped(q1, RELATIONS[c.relation])
    else:
        q2 = q1._replace(clause=replace(c, relation=rng.choice(
            [r for r in DIRECTIONS if r != c.relation])))
    if q2.part != "subj" and rng.random() < 0.5:
        q2 = q2._replace(front=not q2.front)
    return q1, q2, int(duplicate)


def qqp(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    rng, lex = _rng(world, "qqp", split), world.lexicons[lang]
    for idx in range(n):
        wanted = rng.randrange(2)  # drawn first: the partition must not tilt labels
        q1, q2, label = draw(world.seed, split, rng, partial(qqp_example, label=wanted),
                             lambda x: [[x[0].clause], [x[1].clause]])
        yield {"question1": text(q1.tokens(lex)), "question2": text(q2.tokens(lex)),
               "label": label, "idx": idx}


def paws_example(rng: random.Random, label: int | None = None) -> tuple[Clause, Clause, int]:
    """(sentence1, sentence2, label) of high word overlap; label 1 when they mean the same.

    As PAWS builds its pairs by swapping words, half the pairs of each label use exactly the
    same words and half change one, and each sentence alone is drawn alike for both labels
    (half of them about "near"), so neither the words of one sentence nor "the same words"
    tells the label:

    - paraphrase: the objects of the symmetric "near" swapped (same words), or a directed
      relation turned into its converse with the objects swapped (one word changed);
    - not a paraphrase: the objects of a directed relation swapped, or two objects' colours,
      sizes or owners traded under "near" (same words), or "near" and a directed relation
      exchanged (one word changed).
    """
    label = rng.randrange(2) if label is None else label
    p = locative(rng)
    p = replace(p, relation="near" if rng.random() < 0.5 else rng.choice(DIRECTIONS))
    near = p.relation == "near"
    if label:
        return p, Locative(p.obj, RELATIONS[p.relation], p.subj, p.place), 1
    traded = [replace(p, subj=replace(p.subj, **{s: getattr(p.obj, s)}),
                      obj=replace(p.obj, **{s: getattr(p.subj, s)}))
              for s in ("colour", "size", "owner") if getattr(p.subj, s) != getattr(p.obj, s)]
    if rng.random() < 0.5 and (traded or not near):  # the same words
        return p, (rng.choice(traded) if near else Locative(p.obj, p.relation, p.subj, p.place)), 0
    return p, replace(p, relation=rng.choice(DIRECTIONS) if near else "near"), 0


def paws_x(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """PAWS-X records; ``label`` is the string "0" or "1", as in ``google/xtreme``."""
    rng, lex = _rng(world, "paws_x", split), world.lexicons[lang]
    for _ in range(n):
        wanted = rng.randrange(2)  # drawn first: the partition must not tilt labels
        s1, s2, label = draw(world.seed, split, rng, partial(paws_example, label=wanted),
                             lambda x: [[x[0]], [x[1]]])
        if rng.random() < 0.5:
            s1, s2 = s2, s1
        yield {"sentence1": text(realise(s1, lex)), "sentence2": text(realise(s2, lex)),
               "label": str(label)}
