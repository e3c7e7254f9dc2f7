"""HellaSwag, CosmosQA and CommonsenseQA analogues: hub schemas, determinism, balanced answer
positions, right answers re-derived by an independent reader (or from the knowledge base), and
no answer that can be picked without the context."""

from collections import Counter, defaultdict

import pytest

from world_reference import Reader, rule_accuracy, shape, take
from xstilts.world import choice
from xstilts.world.knowledge import common_sense
from xstilts.world.languages import DEFAULT_LANGUAGES, World
from xstilts.world.questions import WHAT
from xstilts.world.syntax import Attribute, Question, realise, text

SCHEMAS = {
    choice.hellaswag: {"ind": int, "activity_label": str, "ctx_a": str, "ctx_b": str, "ctx": str,
                       "endings": list, "source_id": str, "split": str, "split_type": str,
                       "label": str},
    choice.cosmos_qa: {"id": str, "context": str, "question": str, "answer0": str,
                       "answer1": str, "answer2": str, "answer3": str, "label": int},
    choice.commonsense_qa: {"id": str, "question": str, "question_concept": str,
                            "choices": dict, "answerKey": str},
}


def options(record: dict) -> tuple[list[str], int]:
    """(answer texts, index of the right one) of any of the three tasks."""
    if "endings" in record:
        return record["endings"], int(record["label"])
    if "choices" in record:
        return record["choices"]["text"], "ABCDE".index(record["answerKey"])
    return [record[f"answer{i}"] for i in range(4)], record["label"]


@pytest.mark.parametrize("task", list(SCHEMAS))
def test_records_have_exactly_the_hub_fields(world, task):
    for record in take(task(world, "validation", "en", 40)):
        assert {k: type(v) for k, v in record.items()} == SCHEMAS[task]
        answers, right = options(record)
        assert len(answers) == (5 if task is choice.commonsense_qa else 4)
        assert len(set(answers)) == len(answers) and all(isinstance(a, str) for a in answers)
    record = next(task(world, "validation", "en", 1))
    if task is choice.hellaswag:
        assert record["label"] in "0123" and record["ctx"] == f"{record['ctx_a']} {record['ctx_b']}"
    if task is choice.commonsense_qa:
        assert record["choices"]["label"] == list("ABCDE") and record["answerKey"] in "ABCDE"


@pytest.mark.parametrize("task", list(SCHEMAS))
def test_same_seed_same_records_splits_and_languages_share_meanings(task):
    a, b = World(DEFAULT_LANGUAGES, 3), World(DEFAULT_LANGUAGES, 3)
    assert take(task(a, "train", "en", 30)) == take(task(b, "train", "en", 30))
    assert take(task(a, "train", "en", 30)) != take(task(a, "validation", "en", 30))
    # Translatable: another language gets the same answer positions in its own words.
    en, other = take(task(a, "train", "en", 30)), take(task(a, "train", "lat10vm", 30))
    assert [options(r)[1] for r in en] == [options(r)[1] for r in other]
    assert [options(r)[0] for r in en] != [options(r)[0] for r in other]


@pytest.mark.parametrize("task", list(SCHEMAS))
def test_right_answer_positions_are_balanced(world, task):
    positions = Counter(options(r)[1] for r in task(world, "train", "en", 800))
    n_options = 5 if task is choice.commonsense_qa else 4
    assert len(positions) == n_options and min(positions.values()) > 0.75 * 800 / n_options


# --- right answers follow from the context --------------------------------------------------

def test_hellaswag_right_ending_is_entailed_and_the_others_contradicted(world):
    en, items = world.lexicons["en"], choice.hellaswag_items(world, "train")
    for record in take(choice.hellaswag(world, "train", "en", 200)):
        scene, subject, endings, label = next(items)
        reader = Reader(scene.statements)
        verdicts = [reader.nli(e) for e in endings]
        assert verdicts[label] == "entailment" and record["label"] == str(label)
        assert verdicts.count("contradiction") == 3
        for ending, cut in zip(endings, record["endings"], strict=True):
            assert f"{record['ctx_b']} {cut}" == text(realise(ending, en))


def _cosmos_answer(reader: Reader, question):
    """The thing (or value) a question asks for, read off the text's facts."""
    if isinstance(question, Question):  # "who has NP ?"
        return reader.value(reader.thing(question.thing), "owner")
    c = question.clause
    if isinstance(c, Attribute):  # "what colour is NP ?"
        return reader.value(reader.thing(c.subj), "colour")
    if c.subj == WHAT:
        found = [a for (a, b), r in reader.relations.items()
                 if b == reader.thing(c.obj) and r == c.relation]
    else:
        found = [b for (a, b), r in reader.relations.items()
                 if a == reader.thing(c.subj) and r == c.relation]
    return found[0] if len(found) == 1 else None  # None: no one answer


def _resolve(reader: Reader, answer):
    """An answer NP's thing; colours and names stand for themselves."""
    return answer if isinstance(answer, str | tuple) else reader.thing(answer)


def test_cosmos_qa_right_answer_follows_from_the_context_and_no_wrong_one_does(world):
    items = choice.cosmos_items(world, "train")
    for record in take(choice.cosmos_qa(world, "train", "en", 300)):
        scene, question, answers, label = next(items)
        reader = Reader(scene.statements)
        want = _cosmos_answer(reader, question)
        got = [_resolve(reader, a) for a in answers]
        assert want is not None and got.count(want) == 1 and got[label] == want
        assert record["label"] == label


def test_cosmos_qa_needs_sentences_chained(world):
    """No single sentence of the context answers the question with the right option."""
    items = choice.cosmos_items(world, "validation")
    for _ in range(200):
        scene, question, answers, label = next(items)
        twins = Reader(scene.statements).twin_nouns
        for c in scene.statements:
            reader = Reader([c], twins)
            want = _cosmos_answer(reader, question)
            assert want is None or want != _resolve(reader, answers[label])


def test_commonsense_qa_answers_follow_from_the_world_knowledge():
    kb = common_sense(0)
    assert Counter(Counter(kb.employer.values()).values()) == {2: 6}  # two people per org
    assert max(Counter(kb.colour_of.values()).values()) == 2  # no colour is a safe guess
    world = World(DEFAULT_LANGUAGES, 0)
    items = choice.commonsense_items(world, "train")
    for _ in range(300):
        _, question, concept, answers, label = next(items)
        if question.asks == "colour":
            right = [a == kb.colour_of[concept] for a in answers]
        elif question.asks == "person":
            right = [kb.employer[a] == concept for a in answers]
        elif question.asks == "org":
            right = [a == kb.employer[concept] for a in answers]
        else:  # two hops: the person's employer, then where it is
            right = [a == kb.place_of[kb.employer[concept]] for a in answers]
        assert right.count(True) == 1 and right[label]


# --- no answer without the context ---------------------------------------------------------

def test_hellaswag_endings_alone_do_not_give_the_answer(world):
    records = take(choice.hellaswag(world, "train", "en", 800))
    right = defaultdict(Counter)  # how often each ending form is the right one
    for r in records:
        for i, ending in enumerate(r["endings"]):
            right[shape(ending)][i == int(r["label"])] += 1

    def best(r, score):
        return max(range(4), key=lambda i: score(r, r["endings"][i])) == int(r["label"])

    def rate(_, e):
        return right[shape(e)][True] / sum(right[shape(e)].values())

    def overlap(r, e):
        return len(set(e.split()) & set(r["ctx"].split())) / len(e.split())

    for score in (rate, overlap, lambda r, e: len(e)):
        assert sum(best(r, score) for r in records) / len(records) < 0.4


def test_cosmos_qa_answers_alone_do_not_give_the_answer(world):
    records = take(choice.cosmos_qa(world, "train", "en", 800))
    keys, labels = [], []
    for r in records:
        answers, right = options(r)
        for i, answer in enumerate(answers):
            keys.append((shape(answer), answer in r["context"]))
            labels.append(i == right)
    rate = defaultdict(Counter)
    for key, label in zip(keys, labels, strict=True):
        rate[key][label] += 1
    hits = 0
    for j, r in enumerate(records):
        scores = [rate[k][True] / sum(rate[k].values()) for k in keys[4 * j: 4 * j + 4]]
        hits += scores.index(max(scores)) == options(r)[1]
    assert hits / len(records) < 0.55  # chance is 0.25; the reader's share is 1.0
    assert rule_accuracy([r["question"].split()[0] for r in records],
                         [r["label"] for r in records]) < 0.35


def test_commonsense_qa_no_answer_is_a_safe_guess(world):
    records = take(choice.commonsense_qa(world, "train", "en", 800))
    often = Counter(options(r)[0][options(r)[1]] for r in records)
    picks = [max(range(5), key=lambda i, r=r: often[options(r)[0][i]]) for r in records]
    assert sum(p == options(r)[1] for p, r in zip(picks, records, strict=True)) < 0.35 * 800
