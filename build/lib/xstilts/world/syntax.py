"""Clauses of the world and their word-by-word realisation in any generated language.

A clause is language-independent meaning; ``realise`` turns it into tokens that keep their
lemma, UD part of speech, PAN-X entity tag and a reference to the meaning they express. Tags
and references survive reordering, so tagging labels and QA answer spans come for free in
every language. A ``Question`` asks for one slot of such a clause and is realised the same way.
"""

from dataclasses import dataclass
from typing import NamedTuple

from xstilts.world.concepts import pos_of
from xstilts.world.languages import Lexicon


class Token(NamedTuple):
    form: str
    lemma: str
    pos: str
    ner: str = "O"  # PAN-X entity tag, IOB2
    ref: str = ""  # which part of the meaning the token expresses, e.g. "subj.colour"


@dataclass(frozen=True)
class NounPhrase:
    noun: str
    colour: str | None = None
    size: str | None = None
    owner: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Locative:
    """SUBJ is REL OBJ, optionally situated in a place."""

    subj: NounPhrase
    relation: str
    obj: NounPhrase
    place: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Attribute:
    """SUBJ is (not) ADJ."""

    subj: NounPhrase
    adjective: str
    negated: bool = False


@dataclass(frozen=True)
class Possession:
    """PERSON has COUNT things."""

    person: tuple[str, ...]
    count: int
    thing: NounPhrase


@dataclass(frozen=True)
class Employment:
    """PERSON works at ORG in PLACE."""

    person: tuple[str, ...]
    org: tuple[str, ...]
    place: tuple[str, ...]


Clause = Locative | Attribute | Possession | Employment


@dataclass(frozen=True)
class Question:
    """A wh-question asking for one slot; the other fields are what the question mentions.

    ``asks`` names the slot: "colour" / "size" / "owner" of ``thing``; "what" stands in
    ``relation`` to ``thing``; "place" of ``thing`` or of where ``person`` works; "count" of
    ``thing`` that ``person`` has; "org" ``person`` works at; "person" who works at ``org`` or
    has ``count`` ``thing``.
    """

    asks: str
    thing: NounPhrase | None = None
    person: tuple[str, ...] | None = None
    org: tuple[str, ...] | None = None
    relation: str | None = None
    count: int | None = None


def realise(clause: Clause | Question, lex: Lexicon) -> list[Token]:
    """The tokens of a clause in the lexicon's language, ending with a full stop (or a
    question mark for a question)."""
    end = "?" if isinstance(clause, Question) else "."
    return _Realiser(lex).clause(clause) + [Token(end, end, "PUNCT")]


class _Realiser:
    def __init__(self, lex: Lexicon):
        self.lex = lex
        self.spec = lex.spec

    def word(self, lemma: str, ref: str = "") -> Token:
        return Token(self.lex.word(lemma), lemma, pos_of(lemma), "O", ref)

    def name(self, parts: tuple[str, ...], kind: str, ref: str, role: str = "") -> list[Token]:
        tokens = []
        for i, part in enumerate(parts):
            form = self.lex.name(part)
            if role and i == len(parts) - 1:
                form = self.lex.inflect(form, role)
            tokens.append(Token(form, part, "PROPN", ("B-" if i == 0 else "I-") + kind, ref))
        return tokens

    def noun_phrase(self, np: NounPhrase, role: str) -> list[Token]:
        adjectives = [self.word(a, f"{role}.{slot}")
                      for slot, a in (("size", np.size), ("colour", np.colour)) if a]
        noun = self.word(np.noun, f"{role}.noun")
        noun = noun._replace(form=self.lex.inflect(noun.form, role))
        core = [noun, *adjectives] if self.spec.adj_after_noun else [*adjectives, noun]
        if not self.spec.case_suffixes:
            core = [self.word("the"), *core]
        if np.owner:
            if self.spec.case_suffixes:
                core += self.name(np.owner, "PER", f"{role}.owner", role="gen")
            else:
                core += [self.word("of"), *self.name(np.owner, "PER", f"{role}.owner")]
        return core

    def adposition(self, lemma: str, phrase: list[Token], ref: str = "") -> list[Token]:
        # Verb-final languages use postpositions, as most verb-final languages do.
        adp = self.word(lemma, ref)
        return [*phrase, adp] if self.spec.verb_final else [adp, *phrase]

    def predicate(self, subject: list[Token], verb: list[Token], rest: list[Token]):
        return [*subject, *rest, *verb] if self.spec.verb_final else [*subject, *verb, *rest]

    def fronted(self, wh: list[Token], aux: list[Token], subject: list[Token],
                verb: list[Token] | tuple[()] = ()) -> list[Token]:
        # English-like orders front the wh-phrase and invert the auxiliary ("where does X
        # work"); verb-final languages leave it in situ before the verb, as Japanese, Turkish
        # and Hindi do ("X where work does").
        if self.spec.verb_final:
            return [*subject, *wh, *verb, *aux]
        return [*wh, *aux, *subject, *verb]

    def question(self, q: Question) -> list[Token]:
        w = self.word
        who, what = [w("who", "wh")], [w("what", "wh")]
        if q.asks in ("colour", "size"):
            return self.fronted([*what, w(q.asks, "wh")], [w("is")],
                                self.noun_phrase(q.thing, "subj"))
        if q.asks == "owner":
            return self.predicate(who, [w("has")], self.noun_phrase(q.thing, "obj"))
        if q.asks == "what":
            return self.predicate(what, [w("is")], self.adposition(
                q.relation, self.noun_phrase(q.thing, "obj"), "relation"))
        # Counted things are bare, as in Possession: no article before a number.
        bare = (self.noun_phrase(q.thing, "obj")[int(not self.spec.case_suffixes):]
                if q.thing else [])
        if q.asks == "person" and q.org:
            return self.predicate(who, [w("works")],
                                  self.adposition("at", self.name(q.org, "ORG", "org")))
        if q.asks == "person":
            count = Token(str(q.count), str(q.count), "NUM", "O", "count")
            return self.predicate(who, [w("has")], [count, *bare])
        if q.asks == "place" and not q.person:
            return self.fronted(self.adposition("in", [w("which", "wh"), w("place", "wh")]),
                                [w("is")], self.noun_phrase(q.thing, "subj"))
        person = self.name(q.person, "PER", "person")
        if q.asks == "place":
            wh = self.adposition("in", [w("which", "wh"), w("place", "wh")])
            return self.fronted(wh, [w("does")], person, [w("work")])
        if q.asks == "org":
            return self.fronted([w("where", "wh")], [w("does")], person, [w("work")])
        if q.asks == "count":
            return self.fronted([w("how", "wh"), w("many", "wh"), *bare], [w("does")], person,
                                [w("have")])
        raise ValueError(f"unknown question slot: {q.asks!r}")

    def clause(self, c: Clause | Question) -> list[Token]:
        if isinstance(c, Question):
            return self.question(c)
        if isinstance(c, Locative):
            out = []
            if c.place:
                out = self.adposition("in", self.name(c.place, "LOC", "place")) + [
                    Token(",", ",", "PUNCT")]
            obj = self.adposition(c.relation, self.noun_phrase(c.obj, "obj"), "relation")
            return out + self.predicate(self.noun_phrase(c.subj, "subj"), [self.word("is")], obj)
        if isinstance(c, Attribute):
            rest = [self.word(c.adjective, "adjective")]
            if c.negated:
                rest.insert(0, self.word("not", "negation"))
            return self.predicate(self.noun_phrase(c.subj, "subj"), [self.word("is")], rest)
        if isinstance(c, Possession):
            thing = [Token(str(c.count), str(c.count), "NUM", "O", "count"),
                     *self.noun_phrase(c.thing, "obj")[int(not self.spec.case_suffixes):]]
            return self.predicate(self.name(c.person, "PER", "person"),
                                  [self.word("has")], thing)
        if isinstance(c, Employment):
            rest = (self.adposition("at", self.name(c.org, "ORG", "org"))
                    + self.adposition("in", self.name(c.place, "LOC", "place")))
            return self.predicate(self.name(c.person, "PER", "person"),
                                  [self.word("works")], rest)
        raise TypeError(f"not a clause: {c!r}")


def text(tokens: list[Token]) -> str:
    """Space-joined surface form; the tokenisation every task's text uses."""
    return " ".join(t.form for t in tokens)
