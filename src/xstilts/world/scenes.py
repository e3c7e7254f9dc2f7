"""Random meanings: noun phrases, clauses and the mixed sentences of monolingual text."""

import random

from xstilts.world.concepts import COLOURS, NOUNS, ORGS, PERSONS, PLACES, RELATIONS, SIZES
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


def document(rng: random.Random, coherent_p: float = 0.5) -> list[Clause]:
    """One line of monolingual text: a scene and what it says again about it, or one or two
    unrelated clauses."""
    if rng.random() < coherent_p:
        scene = locative(rng)
        return [scene, *(follow_up(scene, rng) for _ in range(rng.randint(1, 2)))]
    return [clause(rng) for _ in range(rng.randint(1, 2))]


def clause(rng: random.Random) -> Clause:
    """Any clause, in the proportions monolingual text of this world has them."""
    kind = rng.random()
    if kind < 0.45:
        return locative(rng)
    if kind < 0.7:
        np = noun_phrase(rng)
        return Attribute(NounPhrase(np.noun, owner=np.owner),
                         rng.choice(COLOURS + SIZES), negated=rng.random() < 0.2)
    if kind < 0.85:
        np = noun_phrase(rng, owner_p=0.0)
        return Possession(rng.choice(PERSONS), rng.randint(2, 9), NounPhrase(np.noun, np.colour))
    return Employment(rng.choice(PERSONS), rng.choice(ORGS), rng.choice(PLACES))
