"""ANLI, QQP and PAWS-X analogues: hub schemas, determinism and balanced labels (checked here
for SST-2 and BUCC too), labels that follow from the meaning (re-derived by an independent
reader), no one-cue shortcuts, and translation-parallel evaluation sets."""

import random
from collections import Counter

import pytest

from world_reference import Reader, rule_accuracy, shape, take
from xstilts.tasks import NLI_LABELS
from xstilts.world import mining, pairs, sentiment
from xstilts.world.concepts import RELATIONS, SIZES
from xstilts.world.languages import DEFAULT_LANGUAGES, ENGLISH, LanguageSpec, World
from xstilts.world.nli import nli_example
from xstilts.world.questions import WHAT
from xstilts.world.syntax import Locative, realise, text

CODES = [spec.code for spec in DEFAULT_LANGUAGES]
SCHEMAS = {
    pairs.anli: {"uid": str, "premise": str, "hypothesis": str, "label": int, "reason": str},
    pairs.qqp: {"question1": str, "question2": str, "label": int, "idx": int},
    sentiment.sst2: {"sentence": str, "label": int, "idx": int},
    pairs.paws_x: {"sentence1": str, "sentence2": str, "label": str},
    mining.bucc: {"source_sentence": str, "target_sentence": str, "source_lang": str,
                  "target_lang": str},
}


@pytest.mark.parametrize("task", list(SCHEMAS))
def test_records_have_exactly_the_hub_fields(world, task):
    lang = "cyr25" if task is mining.bucc else "en"
    split = "test" if task is mining.bucc else "validation"
    for record in take(task(world, split, lang, 40)):
        assert {k: type(v) for k, v in record.items()} == SCHEMAS[task]


@pytest.mark.parametrize("task", list(SCHEMAS))
def test_same_seed_same_records_and_splits_differ(task):
    lang = "lat50n" if task is mining.bucc else "en"
    a, b = World(DEFAULT_LANGUAGES, 3), World(DEFAULT_LANGUAGES, 3)
    assert take(task(a, "test", lang, 30)) == take(task(b, "test", lang, 30))
    assert take(task(a, "test", lang, 30)) != take(task(a, "validation", lang, 30))
    assert take(task(a, "test", lang, 30)) != take(task(World(DEFAULT_LANGUAGES, 4), "test",
                                                          lang, 30))


@pytest.mark.parametrize("task, labels", [(pairs.anli, {0, 1, 2}), (pairs.qqp, {0, 1}),
                                          (sentiment.sst2, {0, 1}), (pairs.paws_x, {"0", "1"})])
def test_labels_are_balanced(world, task, labels):
    counts = Counter(r["label"] for r in task(world, "train", "en", 900))
    assert set(counts) == labels
    assert min(counts.values()) > 0.8 * 900 / len(labels)


# --- labels follow from the meaning --------------------------------------------------------

def test_anli_labels_agree_with_an_independent_reader_of_the_premise(world):
    en, items = world.lexicons["en"], pairs.anli_items(world, "train")
    records = take(pairs.anli(world, "train", "en", 300))
    for record in records:
        scene, hypothesis, label = next(items)
        assert Reader(scene.statements).nli(hypothesis) == label
        assert NLI_LABELS[record["label"]] == label
        assert record["hypothesis"] == text(realise(hypothesis, en))
        assert len(record["premise"].split(" . ")) >= 4  # a whole paragraph, not a sentence


def test_anli_needs_sentences_combined_where_mnli_needs_one():
    """Harder than MNLI: most settled hypotheses follow from no single premise sentence."""
    rng, single, settled = random.Random(8), 0, 0
    for _ in range(400):
        scene, hypothesis, label = pairs.anli_example(rng)
        if label != "neutral":
            twins = Reader(scene.statements).twin_nouns
            settled += 1
            single += any(Reader([c], twins).nli(hypothesis) == label
                          for c in scene.statements)
    assert single < 0.3 * settled
    rng = random.Random(8)
    for _ in range(100):
        premise, hypothesis, label = nli_example(rng)
        assert Reader(premise).nli(hypothesis) == label


def _question_meaning(q: pairs.Query):
    c = q.clause
    if isinstance(c, Locative):
        return frozenset({(c.subj, c.relation, c.obj), (c.obj, RELATIONS[c.relation], c.subj)})
    if c.adjective in SIZES and c.negated:  # two sizes: "not small" means "big"
        return c.subj, ({"big", "small"} - {c.adjective}).pop(), False
    return c.subj, c.adjective, c.negated


def test_qqp_duplicates_ask_the_same_thing_in_other_words():
    rng, en = random.Random(5), World((ENGLISH,), 0).lexicons["en"]
    for _ in range(500):
        q1, q2, label = pairs.qqp_example(rng)
        assert label == (_question_meaning(q1) == _question_meaning(q2))
        assert text(q1.tokens(en)) != text(q2.tokens(en))
        assert (WHAT in vars(q1.clause).values()) == (q1.part in ("subj", "obj"))


def _paws_meaning(c):
    if isinstance(c, Locative):
        return frozenset({(c.subj, c.relation, c.obj, c.place),
                          (c.obj, RELATIONS[c.relation], c.subj, c.place)})
    return _question_meaning(pairs.Query(c, None))


def test_paws_x_labels_follow_from_meaning():
    rng = random.Random(6)
    for _ in range(500):
        s1, s2, label = pairs.paws_example(rng)
        assert label == (_paws_meaning(s1) == _paws_meaning(s2))
        assert s1 != s2


# --- no one-cue shortcuts ------------------------------------------------------------------

def test_anli_hypothesis_alone_does_not_give_the_label(world):
    records = take(pairs.anli(world, "train", "en", 900))
    labels = [r["label"] for r in records]
    assert rule_accuracy([shape(r["hypothesis"]) for r in records], labels) < 0.6
    overlap = [set(r["hypothesis"].split()) <= set(r["premise"].split()) for r in records]
    assert rule_accuracy(overlap, labels) < 0.55


def test_qqp_and_paws_x_are_not_decided_by_word_overlap(world):
    for task, a, b in ((pairs.qqp, "question1", "question2"),
                       (pairs.paws_x, "sentence1", "sentence2")):
        records = take(task(world, "train", "en", 900))
        same_words = [sorted(r[a].split()) == sorted(r[b].split()) for r in records]
        assert rule_accuracy(same_words, [r["label"] for r in records]) < 0.8
        assert rule_accuracy([len(r[a].split()) - len(r[b].split()) for r in records],
                             [r["label"] for r in records]) < 0.8


# --- parallel evaluation sets --------------------------------------------------------------

def test_paws_x_splits_are_translations_of_one_english_set(world):
    copy = World((ENGLISH, LanguageSpec("copy", shared=1.0)), seed=0)
    assert take(pairs.paws_x(copy, "test", "copy", 50)) == take(pairs.paws_x(copy, "test",
                                                                             "en", 50))
    english = take(pairs.paws_x(world, "test", "en", 50))
    for lang in CODES[1:]:
        other = take(pairs.paws_x(world, "test", lang, 50))
        assert [r["label"] for r in other] == [r["label"] for r in english]
        assert other != english
