"""Records of each offline task, in the field names and label sets of its hub dataset.

Every split draws from its own seeded stream, so the files are a pure function of the world
seed, and dev/test meanings are shared across languages (XTREME's dev and test sets are
translations of one English set) while monolingual corpora are not parallel.
"""

import random
from collections.abc import Iterator
from functools import lru_cache, partial

from xstilts.tasks import NLI_LABELS
from xstilts.world.heldout import draw
from xstilts.world.languages import Lexicon, World
from xstilts.world.nli import nli_example
from xstilts.world.scenes import clause, document, meaning_key
from xstilts.world.syntax import Token, realise, text


def _rng(world: World, *parts) -> random.Random:
    return random.Random(":".join(map(str, (world.seed, *parts))))


def corpus(world: World, lang: str, n: int, code_switch: float = 0.0,
           parallel: float = 0.0, usual: bool = False) -> Iterator[str]:
    """Lines of one to three sentences; each language's lines have their own meanings.

    A share ``parallel`` of a language's lines carry their English translation beside them,
    before or after, as bilingual web pages do: masked LM on such a line is XLM's translation
    language modelling (TLM), which ties whole sentences of a language to English ones where
    shared words cannot. A share ``code_switch`` of the other lines mixes in English words,
    as web text in most languages does; it ties a language's words to English ones when they
    share no spelling. With ``usual`` the scenes are as things usually are (``scenes.document``).
    Text is training data: no line holds a held-out meaning (heldout.py).
    """
    rng, lex, en = _rng(world, "corpus", lang), world.lexicons[lang], world.lexicons["en"]
    for _ in range(n):
        meanings = draw(world.seed, "train", rng, lambda r: document(r, usual=usual),
                        lambda d: [d])
        sentences = [realise(c, lex) for c in meanings]
        if lang != "en":
            # No draw when off: a corpus without TLM lines does not depend on the option.
            if parallel and rng.random() < parallel:
                pair = [sentences, [realise(c, en) for c in meanings]]
                rng.shuffle(pair)
                sentences = [*pair[0], *pair[1]]
            elif rng.random() < code_switch:
                sentences = [switch_words(tokens, rng) for tokens in sentences]
        yield " ".join(text(tokens) for tokens in sentences)


def switch_words(tokens: list[Token], rng: random.Random, rate: float = 0.3) -> list[Token]:
    """Replace some words, function words included, by their English form (names, digits
    and punctuation are the same in every language already)."""
    return [t._replace(form=t.lemma) if t.pos not in ("PROPN", "NUM", "PUNCT")
            and rng.random() < rate else t for t in tokens]


def mnli(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """NLI from several "genres": half the premises open with an unrelated sentence. English
    in the study; other languages give the translate-train variant."""
    rng, lex = _rng(world, "mnli", split), world.lexicons[lang]

    def make(r: random.Random, label: str):
        premise, hypothesis, label = nli_example(r, label, world.nli == "balanced")
        return (clause(r) if r.random() < 0.5 else None), premise, hypothesis, label

    for idx in range(n):
        wanted = rng.choice(NLI_LABELS)  # drawn first: the partition must not tilt labels
        opening, premise, hypothesis, label = draw(
            world.seed, split, rng, partial(make, label=wanted),
            lambda x: [[*x[1], *([x[0]] if x[0] else [])], [x[2]]])
        sentences = ([opening] if opening else []) + list(premise)
        yield {"premise": " ".join(text(realise(c, lex)) for c in sentences),
               "hypothesis": text(realise(hypothesis, lex)),
               "label": NLI_LABELS.index(label), "idx": idx}


@lru_cache(maxsize=4)
def xnli_items(world: World, split: str, n: int) -> tuple:
    """The meanings of a split's first ``n`` records, the same in every language (drawn once:
    held-out premises and hypotheses both take many draws)."""
    rng, items = _rng(world, "xnli", split), []
    for _ in range(n):
        wanted = rng.choice(NLI_LABELS)  # drawn first: the partition must not tilt labels
        items.append(draw(world.seed, split, rng,
                          partial(nli_example, label=wanted, balanced=world.nli == "balanced"),
                          lambda x: [x[0], [x[1]]]))
    return tuple(items)


def xnli(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    lex = world.lexicons[lang]
    for premise, hypothesis, label in xnli_items(world, split, n):
        yield {"sentence1": " ".join(text(realise(c, lex)) for c in premise),
               "sentence2": text(realise(hypothesis, lex)),
               "language": lang, "gold_label": label}


def tatoeba(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """Parallel sentence pairs language -> English; every language shares the meanings. No
    meaning repeats: scored by position, a second copy of a pair could never be found."""
    rng = _rng(world, "tatoeba", split)
    src, en = world.lexicons[lang], world.lexicons["en"]
    seen = set()
    for _ in range(n):
        while (key := meaning_key(meaning := draw(world.seed, split, rng, clause,
                                                  lambda c: [[c]]))) in seen:
            pass
        seen.add(key)
        yield {"source_sentence": text(realise(meaning, src)),
               "target_sentence": text(realise(meaning, en)),
               "source_lang": lang, "target_lang": "en"}


def lexicon_table(lex: Lexicon) -> dict:
    """A language's description for data/: its dials and word forms."""
    spec = lex.spec
    return {"code": spec.code, "shared": spec.shared, "adj_after_noun": spec.adj_after_noun,
            "verb_final": spec.verb_final, "case_suffixes": spec.case_suffixes,
            "script": spec.script, "distance": spec.distance, "forms": lex.forms,
            "suffixes": lex.suffixes if spec.case_suffixes else {}}

