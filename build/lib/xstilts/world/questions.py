"""Questions and phrases cut out of realised clauses, so they translate like any statement.

``syntax.Question`` realises the fronted wh-questions of the QA tasks. Paraphrase tasks also
need yes/no questions, wh-words left in place ("the ball is what colour ?") and questions about
a relation's object ("what is the ball above ?"). Here such a question is a statement with one
part swapped for a wh-word: the statement is realised first and its tokens are then edited, so
every language keeps its own word order, case suffixes and script, and the wh-words are
ordinary lemmas that every lexicon translates. The asked part of a query's clause holds the
placeholder ``WHAT``, so two equal queries ask the same thing.
"""

from typing import NamedTuple

from xstilts.world.languages import Lexicon
from xstilts.world.syntax import Attribute, Clause, NounPhrase, Token, realise, text

WHAT = NounPhrase("what")  # the asked object of a wh-question
QUESTION_MARK = Token("?", "?", "PUNCT")


class Query(NamedTuple):
    """A question as meaning plus form: what ``ask`` is given."""

    clause: Clause  # a copula clause; the asked part holds WHAT
    part: str | None  # None (yes/no), "subj", "obj" or "adjective" (what colour / size)
    front: bool = True

    def tokens(self, lex: Lexicon) -> list[Token]:
        return ask(self.clause, lex, self.part, self.front)


def span(tokens: list[Token], part: str) -> tuple[int, int]:
    """[start, end) of the tokens expressing ``part`` ("subj", "obj", "adjective", ...).

    "the" and "of" carry no reference, so the span runs from the part's first to its last
    token and takes in an article just before it: the article belongs to its NP.
    """
    where = [i for i, t in enumerate(tokens) if t.ref == part or t.ref.startswith(part + ".")]
    if not where:
        raise ValueError(f"no {part!r} in {text(tokens)!r}")
    start = where[0] - (where[0] > 0 and tokens[where[0] - 1].lemma == "the")
    return start, where[-1] + 1


def ask(clause: Clause, lex: Lexicon, part: str | None = None, front: bool = True,
        ) -> list[Token]:
    """The question asking ``part`` of a copula clause (yes/no when ``part`` is None).

    ``part`` is "subj" or "obj" (the NP is replaced by "what", with the NP's case suffix),
    or "adjective" of ``Attribute(np, "colour")`` / ``Attribute(np, "size")``, which keeps
    that noun: "what colour". ``front`` puts the wh-phrase first and, where the verb is in the
    middle, the copula right after it ("what colour is the ball ?" rather than "the ball is
    what colour ?"); a yes/no question fronts the copula ("is the ball red ?"). Verb-final
    languages keep the statement's order (wh-in-situ, as most such languages do), which also
    keeps "what is above X" and "what is X above" apart where no case marks them.
    """
    tokens = realise(clause, lex)[:-1]
    copula = next(i for i, t in enumerate(tokens) if t.lemma == "is" and not t.ref)
    if part is None:
        if front and not lex.spec.verb_final:
            tokens = [tokens[copula], *tokens[:copula], *tokens[copula + 1:]]
        return [*tokens, QUESTION_MARK]
    start, end = span(tokens, part)
    form = lex.word("what")
    if part in ("subj", "obj"):
        form = lex.inflect(form, part)
    wh = [Token(form, "what", "PRON", "O", part), *(tokens[start:end] * (part == "adjective"))]
    if not front or start == 0 or lex.spec.verb_final:
        return [*tokens[:start], *wh, *tokens[end:], QUESTION_MARK]
    rest = tokens[:start] + tokens[end:]
    verb = copula - (end - start) * (copula > start)
    return [*wh, rest[verb], *rest[:verb], *rest[verb + 1:], QUESTION_MARK]


def phrase(np: NounPhrase, lex: Lexicon) -> str:
    """An NP on its own (an answer option), cut from a clause it is the subject of."""
    tokens = realise(Attribute(np, "big"), lex)
    start, end = span(tokens, "subj")
    return text(tokens[start:end])


def part_text(clause: Clause, part: str, lex: Lexicon) -> str:
    """The words of one part of a realised clause, e.g. its adjective or an org's name."""
    tokens = realise(clause, lex)
    start, end = span(tokens, part)
    return text(tokens[start:end])
