"""Scenes a reader must reason over, what their text makes known, and the world's common sense.

A twin scene holds two things with the same noun (two balls) that differ in colour, size and
owner, plus two landmarks. Its text never describes a twin fully in one place: it links the
twin's descriptions pairwise ("the big ball is red", "anna has 1 red ball") and places each
twin by one description only ("the ball of anna is above the box"). A statement that names a
twin another way ("the red ball ...") therefore needs two or three sentences combined, and the
other twin supplies near-misses made of the same words. ANLI, HellaSwag and CosmosQA are built
on twin scenes; ``judge`` says what a scene's text entails.

Common sense is a small knowledge base drawn from the world seed alone: the usual colour of
each kind of thing, the place of each organisation and the employer of each person. Every split
of every task shares it, as CommonsenseQA's questions share ConceptNet's knowledge.
"""

import random
from dataclasses import dataclass
from functools import cached_property, lru_cache

from xstilts.world.concepts import COLOURS, NOUNS, ORGS, PERSONS, PLACES, RELATIONS, SIZES
from xstilts.world.syntax import Attribute, Clause, Employment, Locative, NounPhrase, Possession

# Scenes use directed relations only: "near" is compatible with every relation (nli.py), so
# with it a scene's relations would no longer settle each other.
DIRECTIONS = tuple(sorted(r for r in RELATIONS if r != "near"))
SLOTS = ("colour", "size", "owner")  # the descriptions that tell twins apart


def slot_of(adjective: str) -> str:
    return "colour" if adjective in COLOURS else "size" if adjective in SIZES else "other"


@dataclass(frozen=True)
class Thing:
    noun: str
    colour: str
    size: str
    owner: tuple[str, ...] | None = None

    def called(self, *slots: str) -> NounPhrase:
        """The thing described by the given slots only, e.g. ``called("owner")``."""
        return NounPhrase(self.noun, **{s: getattr(self, s) for s in slots})


@dataclass(frozen=True)
class Scene:
    things: tuple[Thing, ...]  # the two twins, then the two landmarks
    statements: tuple[Clause, ...]  # the scene's text, in reading order

    @property
    def twins(self) -> tuple[Thing, Thing]:
        return self.things[0], self.things[1]

    @property
    def landmarks(self) -> tuple[Thing, Thing]:
        return self.things[2], self.things[3]

    def refer(self, np: NounPhrase) -> Thing:
        """The one thing an NP denotes (descriptions are always true of their thing)."""
        found = [t for t in self.things if t.noun == np.noun
                 and all(getattr(np, s) in (None, getattr(t, s)) for s in SLOTS)]
        if len(found) != 1:
            raise ValueError(f"{np} does not pick out one thing")
        return found[0]

    @cached_property
    def known(self) -> set[tuple[Thing, str]]:
        """(thing, slot) pairs whose value the text states, in a predicate or a description."""
        known = set()
        for c in self.statements:
            if isinstance(c, Possession):
                np = NounPhrase(c.thing.noun, c.thing.colour, c.thing.size, c.person)
                known |= {(self.refer(np), s) for s in SLOTS if getattr(np, s)}
            elif isinstance(c, Attribute | Locative):
                nps = (c.subj,) if isinstance(c, Attribute) else (c.subj, c.obj)
                known |= {(self.refer(np), s) for np in nps for s in SLOTS if getattr(np, s)}
                if isinstance(c, Attribute):
                    known.add((self.refer(c.subj), slot_of(c.adjective)))
        return known

    @cached_property
    def relations(self) -> dict[tuple[Thing, Thing], str]:
        """Stated spatial relations, each also read the other way round (its converse)."""
        out = {}
        for c in self.statements:
            if isinstance(c, Locative):
                subj, obj = self.refer(c.subj), self.refer(c.obj)
                out[subj, obj], out[obj, subj] = c.relation, RELATIONS[c.relation]
        return out

    def placed_by(self, twin: Thing) -> set[str]:
        """The slots by which the text places a twin relative to a landmark."""
        return {s for c in self.statements if isinstance(c, Locative) for np in (c.subj, c.obj)
                if np.noun == twin.noun and self.refer(np) == twin for s in SLOTS
                if getattr(np, s)}

    def links(self, twin: Thing) -> set[frozenset[str]]:
        """Pairs of a twin's slots that one sentence ties together ("the big ball is red")."""
        out = set()
        for c in self.statements:
            if isinstance(c, Possession) and c.person == twin.owner:
                out.add(frozenset({"owner"} | {s for s in SLOTS if getattr(c.thing, s)}))
            elif isinstance(c, Attribute) and self.refer(c.subj) == twin:
                out.add(frozenset({slot_of(c.adjective)}
                                  | {s for s in SLOTS if getattr(c.subj, s)}))
        return out

    def far_name(self, twin: Thing, slot: str) -> NounPhrase | None:
        """The twin named so that its ``slot`` is two sentences away (None if the text ties
        ``slot`` to both other slots directly)."""
        far = [s for s in SLOTS if s != slot and frozenset({s, slot}) not in self.links(twin)]
        return twin.called(far[0]) if far else None


def judge(scene: Scene, hypothesis: Attribute | Locative) -> str:
    """The NLI label of a hypothesis about a scene's things, given the scene's text.

    As in nli.py, two things stand in one relation, so a different directed relation
    contradicts the stated one; "near" is compatible with all and left neutral.
    """
    if isinstance(hypothesis, Attribute):
        thing, slot = scene.refer(hypothesis.subj), slot_of(hypothesis.adjective)
        if (thing, slot) not in scene.known:
            return "neutral"
        holds = (getattr(thing, slot) == hypothesis.adjective) != hypothesis.negated
    else:
        stated = scene.relations.get((scene.refer(hypothesis.subj), scene.refer(hypothesis.obj)))
        relation = hypothesis.relation
        if stated is None or (relation != stated and "near" in (stated, relation)):
            return "neutral"
        holds = relation == stated
    return "entailment" if holds else "contradiction"


def twin_scene(rng: random.Random) -> Scene:
    """Two twins and two landmarks; in half the scenes both twins are placed by one landmark."""
    noun, *marks = rng.sample(NOUNS, 3)
    (c1, c2), (s1, s2), (o1, o2) = (rng.sample(COLOURS, 2), rng.sample(SIZES, 2),
                                    rng.sample(PERSONS, 2))
    twins = Thing(noun, c1, s1, o1), Thing(noun, c2, s2, o2)
    landmarks = tuple(Thing(m, rng.choice(COLOURS), rng.choice(SIZES)) for m in marks)
    shared = rng.random() < 0.5
    rel_a = rng.choice(DIRECTIONS)
    # With one landmark the twins stand differently to it, so each is picked out by it.
    rel_b = rng.choice([r for r in DIRECTIONS if r != rel_a or not shared])
    statements = [*_links(twins[0], rng), *_links(twins[1], rng),
                  _place(twins[0], rel_a, landmarks[0], rng),
                  _place(twins[1], rel_b, landmarks[0 if shared else 1], rng)]
    if rng.random() < 0.5:  # an unrelated sentence, as a paragraph has them
        statements.append(Employment(rng.choice(PERSONS), rng.choice(ORGS), rng.choice(PLACES)))
    rng.shuffle(statements)
    return Scene((*twins, *landmarks), tuple(statements))


def _links(twin: Thing, rng: random.Random) -> list[Clause]:
    """Two sentences that tie a twin's three descriptions together (a spanning tree)."""
    out = []
    for a, b in rng.sample([("size", "colour"), ("owner", "colour"), ("owner", "size")], 2):
        if a == "owner" and rng.random() < 0.5:
            out.append(Possession(twin.owner, 1, twin.called(b)))
        elif a == "owner" or rng.random() < 0.5:
            out.append(Attribute(twin.called(a), getattr(twin, b)))
        else:
            out.append(Attribute(twin.called(b), getattr(twin, a)))
    return out


def _place(twin: Thing, relation: str, landmark: Thing, rng: random.Random) -> Locative:
    """The twin by one description only; the landmark sometimes with its colour or size."""
    name = twin.called(rng.choice(SLOTS))
    mark = landmark.called(*[s for s in ("colour", "size") if rng.random() < 0.4])
    if rng.random() < 0.5:
        return Locative(name, relation, mark)
    return Locative(mark, RELATIONS[relation], name)


@dataclass(frozen=True)
class CommonSense:
    colour_of: dict[str, str]  # the usual colour of each kind of thing
    place_of: dict[tuple[str, ...], tuple[str, ...]]  # where each organisation is
    employer: dict[tuple[str, ...], tuple[str, ...]]  # where each person works


@lru_cache
def common_sense(seed: int) -> CommonSense:
    """The world's fixed knowledge: balanced, so no answer is a good blind guess."""
    rng = random.Random(f"common-sense:{seed}")
    colours = [COLOURS[i % len(COLOURS)] for i in range(len(NOUNS))]
    people = rng.sample(PERSONS, len(PERSONS))  # two employees per organisation
    rng.shuffle(colours)
    return CommonSense(dict(zip(NOUNS, colours, strict=True)),
                       dict(zip(ORGS, rng.sample(PLACES, len(ORGS)), strict=True)),
                       {p: ORGS[i % len(ORGS)] for i, p in enumerate(people)})
