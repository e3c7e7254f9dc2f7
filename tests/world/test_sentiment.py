"""The SST-2 analogue: the label is the polarity of every evaluative sentence, and no single
word or length decides it."""

import random

from world_reference import rule_accuracy, take
from xstilts.world import sentiment
from xstilts.world.concepts import NEGATIVE, POSITIVE
from xstilts.world.syntax import Attribute


def test_sst2_label_is_the_polarity_of_every_evaluative_sentence():
    rng = random.Random(7)
    for _ in range(500):
        sentences, label = sentiment.sst2_example(rng)
        polar = [(c.adjective in POSITIVE) != c.negated for c, _ in sentences
                 if isinstance(c, Attribute) and c.adjective in POSITIVE + NEGATIVE]
        assert polar and all(p == bool(label) for p in polar)


def test_sst2_no_single_word_or_length_decides_the_label(world):
    records = take(sentiment.sst2(world, "train", "en", 900))
    labels = [r["label"] for r in records]
    vocabulary = {w for r in records for w in r["sentence"].split()}
    for word in vocabulary:
        assert rule_accuracy([word in r["sentence"].split() for r in records], labels) < 0.7
    assert rule_accuracy([len(r["sentence"].split()) for r in records], labels) < 0.65
