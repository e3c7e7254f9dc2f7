"""Scenes of the world: monolingual text tells of things as they usually are, dataset meanings
stay uniform."""

import random
from collections import Counter

from world_reference import meanings
from xstilts.world.concepts import NOUNS, USUAL_HEIGHT
from xstilts.world.scenes import document
from xstilts.world.syntax import Locative


def _vertical(clauses):
    """(figure higher by usual height, said "above") of every above/below locative."""
    return [(USUAL_HEIGHT[c.subj.noun] > USUAL_HEIGHT[c.obj.noun], c.relation == "above")
            for c in clauses if isinstance(c, Locative) and c.relation in ("above", "below")
            and USUAL_HEIGHT[c.subj.noun] != USUAL_HEIGHT[c.obj.noun]]


def test_text_reflects_how_things_usually_are_and_datasets_do_not():
    """Monolingual text says what is usually higher is "above" and names small things first:
    the statistics that tell "above" from "below" in a language sharing no word with English.
    Dataset meanings stay uniform, so no label can be read off plausibility."""
    rng = random.Random(5)
    text = [c for _ in range(3000) for c in document(rng, usual=True)]
    usual = _vertical(text)
    assert sum(higher == above for higher, above in usual) / len(usual) > 0.8
    figures = Counter(c.subj.noun for c in text if isinstance(c, Locative))
    assert figures[NOUNS[0]] > 2 * figures[NOUNS[-1]]
    uniform = _vertical(meanings(seed=5, n=6000))
    assert 0.4 < sum(higher == above for higher, above in uniform) / len(uniform) < 0.6
