"""Random meanings: noun phrases, clauses and the mixed sentences of monolingual text."""

import random

from xstilts.world.concepts import (
    COLOURS,
    NOUNS,
    ORGS,
    PERSONS,
    PLACES,
    RELATIONS,
    SIZES,
    USUAL_COLOUR,
    USUAL_DEPTH,
    USUAL_HEIGHT,
    USUAL_SIZE,
)
from xstilts.world.syntax import Attribute, Clause, Employment, Locative, NounPhrase, Possession


def noun_phrase(rng: random.Random, avoid: tuple[str, ...] = (), owner_p: float = 0.3,
                ) -> NounPhrase:
    """A fully described object: size, colour and sometimes an owner."""
    noun = rng.choice([n for n in NOUNS if n not in avoid])
    owner = rng.choice(PERSONS) if rng.random() < owner_p else None
    return NounPhrase(noun, rng.choice(COLOURS), rng.choice(SIZES), owner)


def locative(rng: random.Random, place_p: float = 0.3, owner_p: float = 0.3) -> Locative:
    """Two different objects in a spatial relation, sometimes in a named place."""
    subj = noun_phrase(rng, owner_p=owner_p)
    obj = noun_phrase(rng, avoid=(subj.noun,), owner_p=owner_p)
    place = rng.choice(PLACES) if rng.random() < place_p else None
    return Locative(subj, rng.choice(sorted(RELATIONS)), obj, place)


# Text names small things as the figure (the subject) more often than large ones, which are
# more often the ground (Talmy's figure and ground): a Zipf-like weight per noun.
_FIGURE_WEIGHTS = [1.0 / (rank + 1) ** 0.7 for rank in range(len(NOUNS))]
_GROUND_WEIGHTS = _FIGURE_WEIGHTS[::-1]


def usual_noun_phrase(rng: random.Random, avoid: tuple[str, ...] = (), owner_p: float = 0.3,
                      ground: bool = False) -> NounPhrase:
    """An object as text usually mentions it: mostly in its usual colour and size."""
    weights = _GROUND_WEIGHTS if ground else _FIGURE_WEIGHTS
    nouns = [(n, w) for n, w in zip(NOUNS, weights) if n not in avoid]
    noun = rng.choices([n for n, _ in nouns], [w for _, w in nouns])[0]
    owner = rng.choice(PERSONS) if rng.random() < owner_p else None
    colour = USUAL_COLOUR[noun] if rng.random() < 0.5 else rng.choice(COLOURS)
    size = USUAL_SIZE[noun] if rng.random() < 0.7 else rng.choice(SIZES)
    return NounPhrase(noun, colour, size, owner)


def usual_locative(rng: random.Random, place_p: float = 0.3) -> Locative:
    """A scene as text usually describes it: what is usually higher is mostly "above"."""
    subj = usual_noun_phrase(rng)
    obj = usual_noun_phrase(rng, avoid=(subj.noun,), ground=True)
    place = rng.choice(PLACES) if rng.random() < place_p else None
    axis = rng.random()
    if axis < 0.25:
        return Locative(subj, "near", obj, place)
    rank, (more, less) = ((USUAL_HEIGHT, ("above", "below")) if axis < 0.65
                          else (USUAL_DEPTH, ("behind", "before")))
    diff = rank[subj.noun] - rank[obj.noun]
    if diff and rng.random() < 0.85:
        relation = more if diff > 0 else less
    else:
        relation = rng.choice((more, less))
    return Locative(subj, relation, obj, place)


def follow_up(scene: Locative, rng: random.Random) -> Clause:
    """A later sentence of the same text about the same scene, true of it.

    Real documents name their objects again: restating an attribute, denying a wrong one, or
    describing the relation from the other object. Monolingual text with this structure is
    what teaches an encoder, in every language, to look back at an earlier mention.
    """
    target = rng.choice((scene.subj, scene.obj))
    route = rng.random()
    if route < 0.4:
        return Attribute(NounPhrase(target.noun), rng.choice((target.colour, target.size)))
    if route < 0.7:
        wrong = rng.choice([c for c in COLOURS if c != target.colour])
        return Attribute(NounPhrase(target.noun), wrong, negated=True)
    return Locative(NounPhrase(scene.obj.noun), RELATIONS[scene.relation],
                    NounPhrase(scene.subj.noun))


def meaning_key(c: Clause) -> Clause:
    """One representative per meaning: a locative and its converse say the same."""
    if isinstance(c, Locative):
        return min(c, Locative(c.obj, RELATIONS[c.relation], c.subj, c.place), key=repr)
    return c


def document(rng: random.Random, coherent_p: float = 0.5, usual: bool = False) -> list[Clause]:
    """One line of monolingual text: a scene and what it says again about it, or one or two
    unrelated clauses; ``usual``: as things usually are (see ``concepts.USUAL_HEIGHT``)."""
    if rng.random() < coherent_p:
        scene = usual_locative(rng) if usual else locative(rng)
        return [scene, *(follow_up(scene, rng) for _ in range(rng.randint(1, 2)))]
    return [clause(rng, usual) for _ in range(rng.randint(1, 2))]


def clause(rng: random.Random, usual: bool = False) -> Clause:
    """Any clause, in the proportions monolingual text of this world has them; ``usual``:
    as things usually are (text), else every object equally likely anywhere (datasets)."""
    kind = rng.random()
    if kind < 0.45:
        return usual_locative(rng) if usual else locative(rng)
    if kind < 0.7:
        if usual:  # mostly the object's usual colour or size
            np = usual_noun_phrase(rng)
            adjective = (rng.choice((np.colour, np.size)) if rng.random() < 0.6
                         else rng.choice(COLOURS + SIZES))
        else:
            np = noun_phrase(rng)
            adjective = rng.choice(COLOURS + SIZES)
        return Attribute(NounPhrase(np.noun, owner=np.owner), adjective,
                         negated=rng.random() < 0.2)
    if kind < 0.85:
        np = noun_phrase(rng, owner_p=0.0)
        return Possession(rng.choice(PERSONS), rng.randint(2, 9), NounPhrase(np.noun, np.colour))
    return Employment(rng.choice(PERSONS), rng.choice(ORGS), rng.choice(PLACES))
