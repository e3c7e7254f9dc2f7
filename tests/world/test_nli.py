"""NLI examples of the world: every label follows from the clause structure of premise and
hypothesis, by checks strict enough that no hypothesis passes another label's."""

import random
from collections import Counter

from xstilts.tasks import NLI_LABELS
from xstilts.world.concepts import COLOURS, NEGATIVE, NOUNS, POSITIVE, RELATIONS, SIZES
from xstilts.world.nli import nli_example
from xstilts.world.syntax import Attribute, Locative


def _same_object(hyp_np, prem_np):
    """A hypothesis NP names a premise object if it has its noun and only true attributes."""
    return (hyp_np.noun == prem_np.noun and hyp_np.colour in (None, prem_np.colour)
            and hyp_np.size in (None, prem_np.size) and hyp_np.owner is None)


def _objects(p):
    return {p.subj.noun: p.subj, p.obj.noun: p.obj}


def check_entailment(p, h):
    if isinstance(h, Attribute):
        target = _objects(p)[h.subj.noun]
        assert not h.negated and h.adjective in (target.colour, target.size)
    elif h.relation == p.relation and h.subj.noun == p.subj.noun:
        assert _same_object(h.subj, p.subj) and _same_object(h.obj, p.obj)
    else:  # the converse relation, objects swapped
        assert h.relation == RELATIONS[p.relation]
        assert _same_object(h.subj, p.obj) and _same_object(h.obj, p.subj)


def check_contradiction(p, h):
    if isinstance(h, Attribute):
        target = _objects(p)[h.subj.noun]
        true = target.colour if h.adjective in COLOURS else target.size
        assert h.adjective in COLOURS + SIZES
        assert (h.adjective == true) == h.negated
    else:
        assert h.relation not in (p.relation, "near") and p.relation != "near"
        assert _same_object(h.subj, p.subj) and _same_object(h.obj, p.obj)


def check_neutral(p, h):
    present = {p.subj.noun, p.obj.noun}
    if h.subj.noun in present:  # a property the premise never states
        assert isinstance(h, Attribute) and h.adjective in POSITIVE + NEGATIVE
    else:
        assert h.subj.noun in NOUNS
        if isinstance(h, Locative):
            assert h.obj.noun in present


CHECKS = {"entailment": check_entailment, "contradiction": check_contradiction,
          "neutral": check_neutral}


def _holds(check, p, h) -> bool:
    try:
        check(p, h)
    except (AssertionError, KeyError):
        return False
    return True


def test_nli_labels_follow_from_clause_structure():
    rng = random.Random(0)
    seen = Counter()
    for _ in range(3000):
        premise, hypothesis, label = nli_example(rng)
        assert isinstance(premise, Locative) and premise.subj.noun != premise.obj.noun
        CHECKS[label](premise, hypothesis)
        seen[label, type(hypothesis).__name__] += 1
    # every label is reached by both an Attribute and a Locative route, roughly balanced
    assert {lab for lab, _ in seen} == set(NLI_LABELS) and len(seen) == 6
    per_label = Counter({lab: 0 for lab in NLI_LABELS})
    for (lab, _), n in seen.items():
        per_label[lab] += n
    assert all(900 < n < 1100 for n in per_label.values())


def test_nli_label_checks_are_mutually_exclusive():
    """The checks above are strict enough that no hypothesis passes another label's check."""
    rng = random.Random(1)
    for _ in range(1000):
        premise, hypothesis, label = nli_example(rng)
        passing = [lab for lab, check in CHECKS.items() if _holds(check, premise, hypothesis)]
        assert passing == [label], (premise, hypothesis)
