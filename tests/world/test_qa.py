"""QA analogues (SQuAD v1.1/v2.0, XQuAD, MLQA, TyDiQA-GoldP): hub schema, answers that are exact
spans at answer_start in every language, correct answers, determinism, parallel eval sets,
the v2 unanswerable share and TyDiQA's English-only train."""

import re
from collections import Counter

import pytest

from world_reference import take
from xstilts.world import qa
from xstilts.world.concepts import COLOURS, NOUNS, ORGS, PERSONS, PLACES, SIZES
from xstilts.world.languages import DEFAULT_LANGUAGES, World

CODES = [spec.code for spec in DEFAULT_LANGUAGES]
SQUAD_FIELDS = ["id", "title", "context", "question", "answers"]
# (generator, its splits, English-only splits, fields)
TASKS = {
    "squad": (qa.squad, ("train", "validation"), ("train", "validation"), SQUAD_FIELDS),
    "squad_v2": (qa.squad_v2, ("train", "validation"), ("train", "validation"), SQUAD_FIELDS),
    "xquad": (qa.xquad, ("validation",), (), ["id", "context", "question", "answers"]),
    "mlqa": (qa.mlqa, ("validation", "test"), (), SQUAD_FIELDS),
    "tydiqa": (qa.tydiqa, ("train", "validation"), ("train",), SQUAD_FIELDS),
}
CASES = [(t, s, c) for t, (_, splits, en_only, _) in TASKS.items() for s in splits
         for c in (["en"] if s in en_only else CODES)]


@pytest.mark.parametrize(("task", "split", "code"), CASES)
def test_schema_and_answers_are_exact_spans(world, task, split, code):
    gen, _, _, fields = TASKS[task]
    for rec in gen(world, split, code, 60):
        assert list(rec) == fields
        assert all(type(rec[f]) is str and rec[f] for f in fields if f != "answers")
        assert rec["question"].endswith(" ?")
        answers = rec["answers"]
        assert list(answers) == ["text", "answer_start"]
        assert len(answers["text"]) == len(answers["answer_start"]) <= 1
        for text, start in zip(answers["text"], answers["answer_start"], strict=True):
            assert type(start) is int and type(text) is str and text
            assert rec["context"][start:start + len(text)] == text
            # whole words: the span starts and ends at token boundaries
            assert start == 0 or rec["context"][start - 1] == " "
            assert rec["context"][start + len(text):][:1] in ("", " ")


def test_english_answers_answer_the_question(world):
    """Each English question kind gets an answer of the right kind, e.g. a colour for 'what
    colour', a digit for 'how many', an organisation for 'where does'."""
    names = {kind: {" ".join(n) for n in pool}
             for kind, pool in (("per", PERSONS), ("org", ORGS), ("loc", PLACES))}
    kinds = [("what colour", set(COLOURS)), ("what size", set(SIZES)), ("who", names["per"]),
             ("where does", names["org"]), ("in which place", names["loc"])]
    records = [r for task in ("squad", "tydiqa", "squad_v2")
               for r in TASKS[task][0](world, "train", "en", 300) if r["answers"]["text"]]
    seen = Counter()
    for rec in records:
        q, (answer,), (start,) = rec["question"], *rec["answers"].values()
        assert not rec["context"][:start].endswith(" not ")  # a denied attribute answers nothing
        if q.startswith("how many"):
            assert answer.isdigit() and f" has {answer} " in rec["context"]
        elif q.startswith("what is"):  # "what is above the box": an object, adjectives + noun
            size, colour, noun = answer.split()
            assert size in SIZES and colour in COLOURS and noun in NOUNS
        else:
            allowed = next(pool for prefix, pool in kinds if q.startswith(prefix))
            assert answer in allowed, (q, answer)
        seen[" ".join(q.split()[:2])] += 1
    assert len(seen) >= 8


def test_v2_has_a_third_unanswerable_and_they_really_are(world):
    records = take(qa.squad_v2(world, "train", "en", 900))
    empty = [r for r in records if not r["answers"]["text"]]
    assert 0.25 < len(empty) / len(records) < 0.42
    assert all(r["answers"] == {"text": [], "answer_start": []} for r in empty)
    for rec in empty:
        q, sentences = rec["question"], rec["context"].split(" . ")
        if m := re.match(r"what (colour|size) is the (\w+)", q):
            pool = COLOURS if m[1] == "colour" else SIZES
            said = [s for s in sentences if m[2] in s.split()]
            assert not said or "not" in said[0].split() or not set(pool) & set(said[0].split())
        elif m := re.match(r"where does (.+) work", q):
            assert f"{m[1]} works" not in rec["context"]
    for task in ("squad", "xquad", "mlqa"):
        assert all(r["answers"]["text"] for r in TASKS[task][0](world, "validation", "en", 200))


def test_tydiqa_trains_on_english_only_with_the_id_prefix(world):
    train = take(qa.tydiqa(world, "train", "en", 50))
    assert all(r["id"].startswith("english-") for r in train)
    assert len({r["id"] for r in train}) == len(train)
    with pytest.raises(ValueError, match="English-only"):
        take(qa.tydiqa(world, "train", "lat75", 5))
    for code in CODES:
        prefix = "english" if code == "en" else code
        ids = [r["id"] for r in qa.tydiqa(world, "validation", code, 20)]
        assert all(i.startswith(prefix + "-") for i in ids)
    assert all(r["answers"]["text"] for r in qa.tydiqa(world, "validation", "grk05nv", 100))


def test_tydiqa_asks_differently_from_squad(world):
    """Information-seeking: fewer questions about colour and size, more about people, places
    and numbers, and fewer words copied from the passage."""
    def profile(records):
        qs = [r["question"] for r in records]
        descriptive = sum(q.startswith(("what colour", "what size")) for q in qs) / len(qs)
        overlap = sum(len(set(r["question"].split()[:-1]) & set(r["context"].split())) /
                      (len(r["question"].split()) - 1) for r in records) / len(records)
        return descriptive, overlap

    squad_d, squad_o = profile(take(qa.squad(world, "train", "en", 400)))
    tydi_d, tydi_o = profile(take(qa.tydiqa(world, "train", "en", 400)))
    assert tydi_d < squad_d / 2 and tydi_o < squad_o


@pytest.mark.parametrize("task", TASKS)
def test_deterministic_and_seeded(task):
    gen, splits, _, _ = TASKS[task]
    a, b, c = (World(DEFAULT_LANGUAGES, s) for s in (3, 3, 4))
    assert take(gen(a, splits[-1], "en", 20)) == take(gen(b, splits[-1], "en", 20))
    assert take(gen(a, splits[-1], "en", 20)) != take(gen(c, splits[-1], "en", 20))
    assert take(gen(a, splits[-1], "en", 25))[:20] == take(gen(a, splits[-1], "en", 20))
    if len(splits) > 1:
        assert take(gen(a, splits[0], "en", 20)) != take(gen(a, splits[1], "en", 20))


@pytest.mark.parametrize(("task", "split"), [("xquad", "validation"), ("mlqa", "test"),
                                              ("tydiqa", "validation")])
def test_eval_sets_are_parallel_across_languages(world, task, split):
    gen = TASKS[task][0]
    by_lang = {code: take(gen(world, split, code, 40)) for code in CODES}
    def shape(rec):
        # the same answer slot: as many words (names are transliterated, never translated,
        # suffixes glue on), and digits are shared by every language
        words = [a.split() for a in rec["answers"]["text"]]
        digits = [a for a in rec["answers"]["text"] if a.isdigit()]
        return (rec["id"].split("-")[-1], rec["context"].count(" . "),
                [len(w) for w in words], digits)

    for code in CODES:
        assert [shape(r) for r in by_lang[code]] == [shape(r) for r in by_lang["en"]]
    assert [r["question"] for r in by_lang["grk05nv"]] != [r["question"] for r in by_lang["en"]]


def test_xquad_is_squad_dev_translated(world):
    squad_dev = take(qa.squad(world, "validation", "en", 30))
    assert take(qa.xquad(world, "validation", "en", 30)) == [
        {k: v for k, v in r.items() if k != "title"} for r in squad_dev]
    assert ([r["id"] for r in qa.xquad(world, "validation", "cyr25", 30)]
            == [r["id"] for r in squad_dev])


def test_splits_and_languages_are_checked(world):
    # SQuAD in another language is the translate-train variant: same ids, other words.
    english, translated = take(qa.squad(world, "train", "en", 3)), take(
        qa.squad(world, "train", "lat75", 3))
    assert [r["id"] for r in english] == [r["id"] for r in translated]
    with pytest.raises(ValueError, match="splits"):
        take(qa.xquad(world, "test", "en", 1))
    with pytest.raises(ValueError, match="splits"):
        take(qa.mlqa(world, "train", "en", 1))
