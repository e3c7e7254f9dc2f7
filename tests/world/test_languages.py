"""The generated languages: lexicons independent of the other languages of a world, the
designed share of words shared with English, own words and names in the language's script,
loanwords that leave the world alone, and the designed distance from English."""

import pytest

from world_reference import meanings
from xstilts.world.concepts import RELATIONS, translatable_lemmas
from xstilts.world.languages import DEFAULT_LANGUAGES, LANGUAGES_BY_CODE, Lexicon, World
from xstilts.world.syntax import realise

CODES = [spec.code for spec in DEFAULT_LANGUAGES]
NON_LATIN = [spec.code for spec in DEFAULT_LANGUAGES if spec.script != "latin"]


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


def test_designed_distance_is_zero_for_english_and_within_unit_interval():
    assert LANGUAGES_BY_CODE["en"].distance == 0
    assert all(0 < spec.distance <= 1 for spec in DEFAULT_LANGUAGES[1:])
    assert LANGUAGES_BY_CODE["grk05nv"].distance == max(s.distance for s in DEFAULT_LANGUAGES)
