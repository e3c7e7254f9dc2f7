"""NLI examples of the world: in both designs every label follows from what the premise states
(an independent reader agrees); in the balanced one neither the hypothesis's form, its words
nor the words it shares with the premise tell the label."""

import random
from collections import Counter

from world_reference import Reader
from xstilts.report.shortcuts import word_precision
from xstilts.tasks import NLI_LABELS
from xstilts.world.languages import ENGLISH, World
from xstilts.world.nli import balanced_example, lemmas, plain_example
from xstilts.world.syntax import Attribute, Locative, realise, text


def _form(hypothesis) -> str:
    if isinstance(hypothesis, Locative):
        return "relation"
    return "denial" if hypothesis.negated else "attribute"


def _draw(n: int, seed: int, example=balanced_example):
    rng = random.Random(seed)
    return [example(rng) for _ in range(n)]


def test_nli_labels_agree_with_an_independent_reader_of_the_premise():
    for example in (plain_example, balanced_example):
        for premise, hypothesis, label in _draw(3000, 0, example):
            assert isinstance(premise[0], Locative)
            assert premise[0].subj.noun != premise[0].obj.noun
            assert all(isinstance(c, Attribute) for c in premise[1:])
            assert Reader(premise).nli(hypothesis) == label, (premise, hypothesis)


def test_every_form_reaches_every_label_equally():
    seen = Counter((label, _form(h)) for _, h, label in _draw(3000, 1))
    per_label = Counter()
    for (label, _), n in seen.items():
        per_label[label] += n
    assert all(900 < n < 1100 for n in per_label.values())
    for label in NLI_LABELS:
        shares = [seen[label, form] / per_label[label]
                  for form in ("attribute", "denial", "relation")]
        assert all(0.28 < s < 0.39 for s in shares), (label, shares)


def test_words_the_premise_lacks_do_not_tell_the_label():
    new = Counter()
    for premise, hypothesis, label in _draw(3000, 2):
        have = set().union(*map(lemmas, premise))
        new[label, len(lemmas(hypothesis) - have)] += 1
    for label in NLI_LABELS:
        total = sum(v for (lab, _), v in new.items() if lab == label)
        assert new[label, 0] + new[label, 1] == total  # never two new words
        assert 0.40 < new[label, 0] / total < 0.60


def test_no_hypothesis_word_predicts_a_label():
    """No word in 5 % of hypotheses or more predicts one label with 60 % precision."""
    en = World((ENGLISH,), 0).lexicons["en"]
    records = [{"hypothesis": text(realise(h, en)), "label": label}
               for _, h, label in _draw(4000, 3)]
    word, label, precision, share = word_precision(records, "hypothesis", "label")
    assert precision < 60, (word, label, precision, share)
