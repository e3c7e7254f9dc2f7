"""Checks shared by the world-task tests: an independent reader of texts and shortcut rules.

The generators label their records from the scene they drew (knowledge.judge resolves every
description against the true things). This reader sees only what the text states: it works out
which descriptions name the same thing by chaining the sentences (union-find over descriptions
like ("ball", "colour", "red")), then answers from the stated facts alone. Labels that agree
with it are both correct and inferable from the text.

``shape`` and ``rule_accuracy`` measure shortcuts: how well a label is guessed from the form of
a text (each word replaced by its category) or any other key, by the best majority rule.

``take`` lists the first records a generator yields, ``meanings`` draws random clauses,
``default_corpus`` the phase-0 corpus of the default params.
"""

import random
from collections import Counter, defaultdict
from functools import cache
from itertools import islice

from xstilts.config import Params
from xstilts.world import datasets
from xstilts.world.concepts import COLOURS, NOUNS, ORGS, PERSONS, PLACES, RELATIONS, SIZES
from xstilts.world.languages import LANGUAGES_BY_CODE, World
from xstilts.world.scenes import clause
from xstilts.world.syntax import Attribute, Locative, NounPhrase, Possession

SLOTS = ("colour", "size", "owner")


def take(records, n=None):
    return list(islice(records, n))


def meanings(seed: int, n: int = 300):
    rng = random.Random(seed)
    return [clause(rng) for _ in range(n)]


def _slot(adjective: str) -> str:
    return "colour" if adjective in COLOURS else "size" if adjective in SIZES else "other"


class Reader:
    """``twin_nouns`` tells a reader of a few sentences which nouns name two things."""

    def __init__(self, statements, twin_nouns: frozenset = frozenset()):
        self.parent = {}
        mentions = []  # every (noun, slot, value) the text uses, grouped by sentence
        for c in statements:
            if isinstance(c, Possession):
                mentions.append(self._nodes(c.thing) | {(c.thing.noun, "owner", c.person)})
            elif isinstance(c, Attribute):
                mentions.append(self._nodes(c.subj)
                                | {(c.subj.noun, _slot(c.adjective), c.adjective)})
            elif isinstance(c, Locative):
                mentions += [self._nodes(c.subj), self._nodes(c.obj)]
        values = defaultdict(set)
        for group in mentions:
            for node in group:
                values[node[0], node[1]].add(node[2])
        # A noun whose descriptions never clash names one thing; else they are told apart.
        self.twin_nouns = twin_nouns | {noun for (noun, slot), vals in values.items()
                                        if slot and len(vals) > 1}
        for group in mentions:
            group = [n if n[0] in self.twin_nouns else (n[0], None, None) for n in group]
            for node in group[1:]:
                self._union(group[0], node)
        self.facts = defaultdict(set)  # thing -> its (slot, value) pairs
        for node in list(self.parent):
            if node[1]:
                self.facts[self._find(node)].add(node[1:])
        for group in mentions:
            for noun, slot, value in group:
                if slot and noun not in self.twin_nouns:
                    self.facts[self._find((noun, None, None))].add((slot, value))
        self.relations = {}
        for c in statements:
            if isinstance(c, Locative):
                a, b = self.thing(c.subj), self.thing(c.obj)
                if a is not None and b is not None:
                    self.relations[a, b] = c.relation
                    self.relations[b, a] = RELATIONS[c.relation]

    @staticmethod
    def _nodes(np: NounPhrase) -> set:
        nodes = {(np.noun, s, getattr(np, s)) for s in SLOTS if getattr(np, s)}
        return nodes or {(np.noun, None, None)}

    def _find(self, node):
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            node = self.parent[node]
        return node

    def _union(self, a, b):
        self.parent[self._find(a)] = self._find(b)

    def thing(self, np: NounPhrase):
        """The thing an NP names, or None when the text gives no such thing."""
        if np.noun not in self.twin_nouns:
            return self._find((np.noun, None, None))
        roots = {self._find(n) for n in self._nodes(np) if n in self.parent}
        if len(roots) != 1 or any(n not in self.parent for n in self._nodes(np)):
            return None
        return roots.pop()

    def value(self, thing, slot: str):
        found = {v for s, v in self.facts[thing] if s == slot}
        assert len(found) <= 1, (thing, slot, found)
        return found.pop() if found else None

    def nli(self, hypothesis) -> str:
        if isinstance(hypothesis, Attribute):
            thing = self.thing(hypothesis.subj)
            known = thing and self.value(thing, _slot(hypothesis.adjective))
            if known is None:
                return "neutral"
            holds = (known == hypothesis.adjective) != hypothesis.negated
        else:
            stated = self.relations.get((self.thing(hypothesis.subj),
                                         self.thing(hypothesis.obj)))
            if stated is None:
                return "neutral"
            holds = stated == hypothesis.relation
        return "entailment" if holds else "contradiction"


NAMES = {part for name in PERSONS + PLACES + ORGS for part in name}


def word_class(word: str) -> str:
    """A word's category, for rules that see the form of a text and not its content."""
    for words, name in ((NOUNS, "N"), (COLOURS, "C"), (SIZES, "S"), (RELATIONS, "R"),
                        (NAMES, "P")):
        if word in words:
            return name
    return word


def shape(sentence: str) -> tuple:
    return tuple(map(word_class, sentence.split()))


def rule_accuracy(keys, labels) -> float:
    """Accuracy of the best rule that maps each key to one label (majority per key)."""
    by_key = defaultdict(Counter)
    for key, label in zip(keys, labels, strict=True):
        by_key[key][label] += 1
    return sum(c.most_common(1)[0][1] for c in by_key.values()) / len(labels)


@cache
def default_corpus() -> dict[str, list[str]]:
    """The corpus lines the generate stage writes with the default params."""
    params, w = Params(), Params().world
    world = World(tuple(LANGUAGES_BY_CODE[c] for c in params.data.languages), w.seed)
    return {lang: list(datasets.corpus(world, lang, w.corpus_sentences, w.code_switch,
                                       w.parallel, usual=w.corpus_scenes == "usual"))
            for lang in world.codes}
