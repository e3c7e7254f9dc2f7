"""Questions and phrases cut out of realised clauses, so they translate like any statement.

The syntax module realises statements. A question here is a statement with one part swapped
for a wh-word ("what", "who"), or with none swapped for a yes/no question: the statement is
realised first and its tokens are then edited, so every language keeps its own word order, case
suffixes and script, and the wh-words are ordinary lemmas that every lexicon translates. The
asked part of a question's clause holds the placeholder ``WHAT`` (or ``WHO``), so two
questions with equal clauses ask the same thing.
"""

from xstilts.world.languages import Lexicon
from xstilts.world.syntax import Attribute, Clause, NounPhrase, Token, realise, text

WHAT = NounPhrase("what")  # the asked object of a wh-question
WHO = ("who",)  # the asked person of a wh-question
QUESTION_MARK = Token("?", "?", "PUNCT")


def span(tokens: list[Token], part: str) -> tuple[int, int]:
    """[start, end) of the tokens expressing ``part`` ("subj", "obj", "org", ...).

    An article or "of" carries no reference, so the span runs from the first to the last
    token of the part and takes in the article just before it: the article belongs to its NP.
    """
    where = [i for i, t in enumerate(tokens) if t.ref == part or t.ref.startswith(part + ".")]
    if not where:
        raise ValueError(f"no {part!r} in {text(tokens)!r}")
    start = where[0] - (where[0] > 0 and tokens[where[0] - 1].lemma == "the")
    return start, where[-1] + 1


def ask(clause: Clause, lex: Lexicon, part: str | None = None, front: bool = True,
        keep: bool = False) -> list[Token]:
    """The question asking ``part`` of ``clause`` (a yes/no question when ``part`` is None).

    ``front`` moves the wh-phrase to the start and, in languages with the verb in the middle,
    the copula right after it ("what colour is the ball ?" rather than "the ball is what
    colour ?"); a yes/no question just fronts the copula ("is the ball red ?"). Verb-final
    languages keep the statement's order (wh-in-situ, as in most such languages), which also
    keeps "what is above X" and "what is X above" apart where no case marks them. ``keep``
    keeps the asked words after the wh-word ("what colour"), otherwise the wh-word replaces
    them. Clauses without the copula stay in situ: English would need "do", which this world
    lacks.
    """
    tokens = realise(clause, lex)[:-1]
    copula = next((i for i, t in enumerate(tokens) if t.lemma == "is" and not t.ref), None)
    if part is None:
        if front and copula is not None and not lex.spec.verb_final:
            tokens = [tokens[copula], *tokens[:copula], *tokens[copula + 1:]]
        return [*tokens, QUESTION_MARK]
    start, end = span(tokens, part)
    lemma = "who" if part == "person" else "what"
    form = lex.word(lemma)
    if part in ("subj", "obj"):  # a wh-word standing for an NP takes the NP's case
        form = lex.inflect(form, part)
    wh = [Token(form, lemma, "PRON", "O", part), *(tokens[start:end] if keep else [])]
    rest = tokens[:start] + tokens[end:]
    if front and copula is not None and start > 0 and not lex.spec.verb_final:
        verb = copula - (end - start) * (copula > start)
        return [*wh, rest[verb], *rest[:verb], *rest[verb + 1:], QUESTION_MARK]
    return [*tokens[:start], *wh, *tokens[end:], QUESTION_MARK]


def colour_question(np: NounPhrase, lex: Lexicon, front: bool = True) -> list[Token]:
    """"what colour is NP ?": the Attribute clause with the noun "colour" as its predicate."""
    return ask(Attribute(np, "colour"), lex, "adjective", front, keep=True)


def phrase(np: NounPhrase, lex: Lexicon) -> str:
    """An NP on its own (an answer option), cut from a clause it is the subject of."""
    tokens = realise(Attribute(np, "big"), lex)
    start, end = span(tokens, "subj")
    return text(tokens[start:end])


def part_text(clause: Clause, part: str, lex: Lexicon) -> str:
    """The words of one part of a realised clause, e.g. the adjective or the org's name."""
    tokens = realise(clause, lex)
    start, end = span(tokens, part)
    return text(tokens[start:end])
