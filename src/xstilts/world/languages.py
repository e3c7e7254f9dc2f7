"""Generated languages of graded distance to English.

A language is English's meaning inventory with four dials turned: the share of word forms
borrowed unchanged from English (anchors, like shared subwords, numbers and loanwords in real
text), adjective position, verb-final clause order with postpositions, case suffixes on nouns
instead of articles, and the script its own words are written in. Language codes are honest
about how each was built, e.g. ``lat50n`` = Latin script, 50 % shared words, noun-adjective
order. Letters: n = adjectives after the noun, v = verb-final, m = case-suffix morphology.
"""

import copy
import random
from dataclasses import dataclass
from functools import cached_property

from xstilts.world.concepts import translatable_lemmas

_LATIN = "abcdefghijklmnopqrstuvwxyz"
_SCRIPTS = {
    "latin": _LATIN,
    "cyrillic": "абцдефгхийклмнопярстувшжыз",
    "greek": "αβψδεφγηιξκλμνοπθρστυϝωχϋζ",
}
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


@dataclass(frozen=True)
class LanguageSpec:
    """How one generated language differs from English."""

    code: str
    shared: float  # share of lemmas whose word form is the English one
    adj_after_noun: bool = False
    verb_final: bool = False
    case_suffixes: bool = False
    script: str = "latin"

    @property
    def distance(self) -> float:
        """Designed distance from English in [0, 1]: vocabulary first, then structure."""
        structure = (0.3 * self.adj_after_noun + 0.4 * self.verb_final
                     + 0.3 * self.case_suffixes)
        return round(0.7 * (1.0 - self.shared) + 0.2 * structure
                     + 0.1 * (self.script != "latin"), 3)


ENGLISH = LanguageSpec("en", shared=1.0)

# The default world: English plus six languages at graded distances (see ``distance``).
DEFAULT_LANGUAGES = (
    ENGLISH,
    LanguageSpec("lat75", shared=0.75),
    LanguageSpec("lat50n", shared=0.50, adj_after_noun=True),
    LanguageSpec("lat25nm", shared=0.25, adj_after_noun=True, case_suffixes=True),
    LanguageSpec("cyr25", shared=0.25, script="cyrillic"),
    LanguageSpec("lat10vm", shared=0.10, verb_final=True, case_suffixes=True),
    LanguageSpec("grk05nv", shared=0.05, adj_after_noun=True, verb_final=True, script="greek"),
)
LANGUAGES_BY_CODE = {spec.code: spec for spec in DEFAULT_LANGUAGES}


class Lexicon:
    """The word forms of one language, drawn deterministically from the world seed."""

    def __init__(self, spec: LanguageSpec, seed: int):
        self.spec = spec
        rng = random.Random(f"lexicon:{seed}:{spec.code}")
        lemmas = translatable_lemmas()
        taken = set(lemmas)
        self.forms: dict[str, str] = {}
        borrowed = set(rng.sample(lemmas, round(spec.shared * len(lemmas))))
        for lemma in lemmas:
            if lemma in borrowed:
                # Loanwords keep their English spelling, whatever the script: they are the
                # shared anchors that let a multilingual encoder line languages up.
                self.forms[lemma] = lemma
            else:
                self.forms[lemma] = self._script(_fresh_word(rng, taken, len(lemma)))
        self.suffixes = {role: self._script(_fresh_word(rng, taken, 2, syllables=1))
                         for role in ("subj", "obj", "gen", "obl")}

    def _script(self, word: str) -> str:
        return word.translate(str.maketrans(_LATIN, _SCRIPTS[self.spec.script]))

    def word(self, lemma: str) -> str:
        """The form of a common lemma; digits and punctuation are shared by every language."""
        return self.forms.get(lemma, lemma)

    def name(self, part: str) -> str:
        """Proper names are transliterated into the script, never translated."""
        return self._script(part)

    def inflect(self, form: str, role: str) -> str:
        """Glue a case suffix to a noun in languages that mark case."""
        return form + self.suffixes[role] if self.spec.case_suffixes else form


def _fresh_word(rng: random.Random, taken: set[str], length: int, syllables: int = 0) -> str:
    n_syll = syllables or max(1, min(3, round(length / 2.5)))
    while True:
        word = "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(n_syll))
        if rng.random() < 0.4:
            word += rng.choice(_CONSONANTS)
        if word not in taken:
            taken.add(word)
            return word


class World:
    """All languages of one seed, with their lexicons built once."""

    def __init__(self, specs: tuple[LanguageSpec, ...], seed: int, nli: str = "plain"):
        if specs[0].code != "en":
            raise ValueError("the first language of a world must be English ('en')")
        self.specs = specs
        self.seed = seed
        self.nli = nli  # the design of the NLI tasks (world/nli.py): plain | balanced

    @cached_property
    def lexicons(self) -> dict[str, Lexicon]:
        return {spec.code: Lexicon(spec, self.seed) for spec in self.specs}

    @property
    def codes(self) -> list[str]:
        return [spec.code for spec in self.specs]

    def borrowing(self, lang: str, lemmas) -> "World":
        """A copy in which ``lang`` writes ``lemmas`` as English does, everything else as
        before: probes which words an encoder failed to line up with English."""
        lex = copy.copy(self.lexicons[lang])
        lex.forms = {**lex.forms, **{lemma: lemma for lemma in lemmas}}
        out = copy.copy(self)
        out.lexicons = {**self.lexicons, lang: lex}
        return out
