"""Clauses realised in every language: the same lemmas, parts of speech, entity tags and
meaning references as English in another word order; names kept in Latin-script languages
and digits kept everywhere."""

from collections import Counter

import pytest

from world_reference import meanings
from xstilts.world.languages import DEFAULT_LANGUAGES
from xstilts.world.syntax import Employment, Locative, NounPhrase, Possession, realise

CODES = [spec.code for spec in DEFAULT_LANGUAGES]


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
