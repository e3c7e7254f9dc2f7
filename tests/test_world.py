"""The synthetic world: deterministic, meaning-preserving across languages, honest NLI labels,
and records shaped like the hub datasets they stand for."""

import random
from collections import Counter
from itertools import islice

import pytest

from xstilts.tasks import NLI_LABELS
from xstilts.world import datasets
from xstilts.world.concepts import (
    COLOURS,
    NEGATIVE,
    NOUNS,
    POSITIVE,
    RELATIONS,
    SIZES,
    USUAL_HEIGHT,
    translatable_lemmas,
)
from xstilts.world.languages import DEFAULT_LANGUAGES, LANGUAGES_BY_CODE, Lexicon, World
from xstilts.world.nli import nli_example
from xstilts.world.scenes import clause, document
from xstilts.world.syntax import Attribute, Employment, Locative, NounPhrase, Possession, realise

CODES = [spec.code for spec in DEFAULT_LANGUAGES]
NON_LATIN = [spec.code for spec in DEFAULT_LANGUAGES if spec.script != "latin"]


@pytest.fixture(scope="module")
def world():
    return World(DEFAULT_LANGUAGES, seed=0)


def meanings(seed: int, n: int = 300):
    rng = random.Random(seed)
    return [clause(rng) for _ in range(n)]


def take(records, n=None):
    return list(islice(records, n))


# --- determinism ---------------------------------------------------------------------------

def test_same_seed_gives_identical_files():
    a, b = World(DEFAULT_LANGUAGES, 7), World(DEFAULT_LANGUAGES, 7)
    for lang in CODES:
        assert take(datasets.corpus(a, lang, 30)) == take(datasets.corpus(b, lang, 30))
        assert take(datasets.xnli(a, "test", lang, 30)) == take(datasets.xnli(b, "test", lang, 30))
        assert a.lexicons[lang].forms == b.lexicons[lang].forms
    assert (take(datasets.mnli(a, "train", "en", 30))
            == take(datasets.mnli(b, "train", "en", 30)))
    assert (take(datasets.tatoeba(a, "test", "cyr25", 30))
            == take(datasets.tatoeba(b, "test", "cyr25", 30)))


def test_different_world_seed_gives_different_files():
    a, b = World(DEFAULT_LANGUAGES, 0), World(DEFAULT_LANGUAGES, 1)
    assert take(datasets.corpus(a, "en", 30)) != take(datasets.corpus(b, "en", 30))
    assert (take(datasets.mnli(a, "train", "en", 30))
            != take(datasets.mnli(b, "train", "en", 30)))
    assert a.lexicons["lat50n"].forms != b.lexicons["lat50n"].forms


def test_splits_and_languages_draw_from_separate_streams(world):
    assert (take(datasets.mnli(world, "train", "en", 20))
            != take(datasets.mnli(world, "validation", "en", 20)))
    # monolingual corpora are not translations of each other
    en = take(datasets.corpus(world, "en", 20))
    lat75 = take(datasets.corpus(world, "lat75", 20))
    assert [len(s.split()) for s in en] != [len(s.split()) for s in lat75]


def test_parallel_corpus_lines_carry_their_english_translation(world):
    """TLM lines: the language's sentences and, before or after them, the same in English."""
    def sentences(line):
        return [s.strip() for s in line.split(" . ") if s.strip()]

    orders = Counter()
    for line in take(datasets.corpus(world, "grk05nv", 60, parallel=1.0)):
        parts = sentences(line)
        half = len(parts) // 2
        assert len(parts) == 2 * half
        first, second = parts[:half], parts[half:]
        english = [p for p in (first, second) if " ".join(p).isascii()]
        assert len(english) == 1, line  # Greek-script words mark the other half
        orders[english[0] is first] += 1
    assert orders[True] and orders[False]
    # English lines have no translation to carry, and parallel=0 leaves every line alone.
    assert (take(datasets.corpus(world, "en", 30, parallel=1.0))
            == take(datasets.corpus(world, "en", 30)))
    plain = take(datasets.corpus(world, "grk05nv", 200, code_switch=0.0))
    assert not any(" ".join(sentences(line)[-1:]).isascii() for line in plain)


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


def test_lexicon_does_not_depend_on_the_other_languages_of_the_world():
    small = World((LANGUAGES_BY_CODE["en"], LANGUAGES_BY_CODE["grk05nv"]), seed=3)
    full = World(DEFAULT_LANGUAGES, seed=3)
    assert small.lexicons["grk05nv"].forms == full.lexicons["grk05nv"].forms


def test_borrowing_gives_one_language_english_words_and_leaves_the_world_alone(world):
    lex = world.lexicons["lat10vm"]
    loaned = world.borrowing("lat10vm", list(RELATIONS))
    assert all(loaned.lexicons["lat10vm"].word(r) == r for r in RELATIONS)
    assert {r: lex.word(r) for r in RELATIONS} != {r: r for r in RELATIONS}  # unchanged
    assert loaned.lexicons["lat10vm"].word("ball") == lex.word("ball")
    assert loaned.lexicons["grk05nv"] is world.lexicons["grk05nv"]


def test_world_must_start_with_english():
    with pytest.raises(ValueError, match="'en'"):
        World((LANGUAGES_BY_CODE["lat75"], LANGUAGES_BY_CODE["en"]), seed=0)


# --- languages -----------------------------------------------------------------------------

@pytest.mark.parametrize("code", CODES)
def test_same_meaning_same_lemmas_and_pos_tags_as_english(world, code):
    """Reordering keeps every token's lemma, POS, entity tag and meaning reference; case
    languages replace articles and 'of' with suffixes, so only those tokens go missing."""
    en_lex, lex = world.lexicons["en"], world.lexicons[code]
    dropped = {"the", "of"} if lex.spec.case_suffixes else set()
    for meaning in meanings(seed=11):
        en = [(t.lemma, t.pos, t.ner, t.ref) for t in realise(meaning, en_lex)
              if t.lemma not in dropped]
        other = [(t.lemma, t.pos, t.ner, t.ref) for t in realise(meaning, lex)]
        assert Counter(other) == Counter(en), meaning
        if not lex.spec.case_suffixes:
            assert Counter(t[1] for t in other) == Counter(
                t.pos for t in realise(meaning, en_lex))


def test_word_order_dials_reorder_tokens(world):
    meaning = Locative(NounPhrase("ball", "red"), "above", NounPhrase("box", "blue"))
    lemmas = {code: [t.lemma for t in realise(meaning, world.lexicons[code])] for code in CODES}
    assert lemmas["en"] == "the red ball is above the blue box .".split()
    assert lemmas["lat50n"] == "the ball red is above the box blue .".split()
    # verb-final with postpositions and case suffixes: no articles
    assert lemmas["lat10vm"] == "red ball blue box above is .".split()


@pytest.mark.parametrize("spec", DEFAULT_LANGUAGES, ids=CODES)
def test_shared_word_share_matches_spec(spec):
    lex = Lexicon(spec, seed=0)
    lemmas = translatable_lemmas()
    shared = sum(lex.forms[lemma] == lemma for lemma in lemmas) / len(lemmas)
    assert shared == pytest.approx(spec.shared, abs=1 / len(lemmas))
    # forms are unambiguous: no two lemmas share a word form
    assert len(set(lex.forms.values())) == len(lemmas)


@pytest.mark.parametrize("code", NON_LATIN)
def test_own_words_and_names_are_written_in_the_script(world, code):
    lex = world.lexicons[code]
    own = [form for lemma, form in lex.forms.items() if form != lemma]
    assert own and not any(c.isascii() for form in own for c in form)
    for meaning in meanings(seed=5):
        for tok in realise(meaning, lex):
            if tok.pos == "PROPN":
                assert tok.form != tok.lemma and not any(c.isascii() for c in tok.form)


def test_names_kept_in_latin_languages_and_digits_kept_everywhere(world):
    person = ("chen", "li")
    meaning = Possession(person, 7, NounPhrase("cup", "red"))
    for code in CODES:
        tokens = realise(meaning, world.lexicons[code])
        count = [t for t in tokens if t.pos == "NUM"]
        assert [(t.form, t.ref) for t in count] == [("7", "count")]
        names = [t for t in tokens if t.pos == "PROPN"]
        assert [t.ner for t in names] == ["B-PER", "I-PER"]
        if world.lexicons[code].spec.script == "latin":
            assert [t.form for t in names] == list(person)
    employment = Employment(("anna",), ("velta", "corp"), ("port", "elin"))
    tags = [t.ner for t in realise(employment, world.lexicons["grk05nv"]) if t.ner != "O"]
    assert Counter(tags) == Counter(["B-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"])


def test_designed_distance_is_zero_for_english_and_within_unit_interval():
    assert LANGUAGES_BY_CODE["en"].distance == 0
    assert all(0 < spec.distance <= 1 for spec in DEFAULT_LANGUAGES[1:])
    assert LANGUAGES_BY_CODE["grk05nv"].distance == max(s.distance for s in DEFAULT_LANGUAGES)


# --- NLI labels follow from meaning ----------------------------------------------------------

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


# --- records have the hub field names --------------------------------------------------------

def test_xnli_records(world):
    for split in ("train", "validation", "test"):
        for rec in datasets.xnli(world, split, "lat50n", 50):
            assert set(rec) == {"sentence1", "sentence2", "language", "gold_label"}
            assert rec["language"] == "lat50n" and rec["gold_label"] in NLI_LABELS
            assert rec["sentence1"] and rec["sentence2"]


def test_mnli_records(world):
    records = take(datasets.mnli(world, "train", "en", 60))
    assert all(set(r) == {"premise", "hypothesis", "label", "idx"} for r in records)
    assert [r["idx"] for r in records] == list(range(60))
    assert {r["label"] for r in records} == {0, 1, 2}
    assert all(type(r["label"]) is int for r in records)


def test_tatoeba_records_are_parallel_to_english(world):
    src = take(datasets.tatoeba(world, "test", "cyr25", 40))
    other = take(datasets.tatoeba(world, "test", "lat75", 40))
    for rec in src:
        assert set(rec) == {"source_sentence", "target_sentence", "source_lang", "target_lang"}
        assert (rec["source_lang"], rec["target_lang"]) == ("cyr25", "en")
        assert rec["source_sentence"] != rec["target_sentence"]
    # every language shares the same English side
    assert [r["target_sentence"] for r in src] == [r["target_sentence"] for r in other]


@pytest.mark.parametrize("split", ["validation", "test"])
def test_xnli_eval_splits_are_parallel_across_languages(world, split):
    by_lang = {lang: take(datasets.xnli(world, split, lang, 80)) for lang in CODES}
    labels = {lang: [r["gold_label"] for r in recs] for lang, recs in by_lang.items()}
    assert all(lab == labels["en"] for lab in labels.values())
    assert [r["sentence1"] for r in by_lang["grk05nv"]] != [r["sentence1"] for r in by_lang["en"]]


def test_lexicon_table_describes_the_language(world):
    table = datasets.lexicon_table(world.lexicons["lat25nm"])
    assert table["code"] == "lat25nm" and table["case_suffixes"] is True
    assert set(table["suffixes"]) == {"subj", "obj", "gen", "obl"}
    assert datasets.lexicon_table(world.lexicons["lat75"])["suffixes"] == {}


def test_tatoeba_repeats_no_meaning(world):
    # Scored by position: a second copy of a pair could never be retrieved as itself.
    records = take(datasets.tatoeba(world, "test", "lat75", 500))
    assert len({r["target_sentence"] for r in records}) == 500
