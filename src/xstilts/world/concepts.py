"""The inventory of the synthetic world: what exists in a scene, named by English lemmas.

Every generated language realises these same lemmas with its own word forms, so a lemma is
the world's language-independent meaning. Parts of speech follow Universal Dependencies and
entity kinds follow PAN-X (WikiANN), so tagging tasks read their labels straight off a lemma.
"""

NOUNS = (
    "ball", "box", "cup", "book", "chair", "lamp", "hat", "shoe",
    "bottle", "basket", "kite", "drum", "clock", "plate", "bag", "key",
)
COLOURS = ("red", "blue", "green", "yellow", "black", "white", "purple", "orange")
SIZES = ("big", "small")
# A relation and its converse: "X is above Y" entails "Y is below X".
RELATIONS = {"above": "below", "below": "above", "behind": "before", "before": "behind",
             "near": "near"}
# Polarity words carry the sentiment-like signal of review sentences.
POSITIVE = ("nice", "lovely", "clean", "new")
NEGATIVE = ("ugly", "broken", "dirty", "old")

# How things usually are. Monolingual text reflects it; task datasets, built balanced, do not
# (no label can be read off plausibility). Real text's co-occurrence statistics are what let
# an encoder line up the words of languages that share no spelling: in a world where every
# object is equally likely anywhere, "above" and "below" occur in identical contexts and no
# amount of text tells a language's word for one from its word for the other.
USUAL_HEIGHT = {"kite": 4, "lamp": 4, "clock": 3, "hat": 3, "book": 2, "cup": 2, "bottle": 2,
                "plate": 2, "key": 1, "bag": 1, "chair": 1, "box": 1, "basket": 0, "drum": 0,
                "ball": 0, "shoe": 0}
USUAL_DEPTH = {"chair": 4, "drum": 4, "basket": 3, "box": 3, "lamp": 3, "clock": 2,
               "bottle": 2, "bag": 2, "kite": 1, "book": 1, "plate": 1, "ball": 1, "hat": 0,
               "cup": 0, "key": 0, "shoe": 0}
USUAL_COLOUR = {noun: COLOURS[i % len(COLOURS)] for i, noun in enumerate(NOUNS)}
USUAL_SIZE = {noun: "big" if USUAL_HEIGHT[noun] + USUAL_DEPTH[noun] >= 4 else "small"
              for noun in NOUNS}

# Named entities: multi-word names give PAN-X its I- tags. Names are transliterated into a
# language's script but never translated, as in real text.
PERSONS = (
    ("anna",), ("boris",), ("chen", "li"), ("dara",), ("emil",), ("fatima",), ("goran",),
    ("hana", "sato"), ("ivan",), ("jonas",), ("kemal",), ("lena", "berg"),
)
PLACES = (
    ("valmora",), ("teskar",), ("port", "elin"), ("orvia",), ("san", "duro"), ("kelbeck",),
    ("nova", "rista"), ("ambor",),
)
ORGS = (
    ("velta", "corp"), ("nordin", "bank"), ("ostra",), ("kamu", "labs"), ("brell",),
    ("sunda", "group"),
)

FUNCTION_WORDS = {
    "the": "DET", "a": "DET", "of": "ADP", "in": "ADP", "at": "ADP", "with": "ADP",
    "is": "AUX", "are": "AUX", "has": "VERB", "likes": "VERB", "sees": "VERB",
    "bought": "VERB", "works": "VERB", "and": "CCONJ", "not": "PART", "what": "PRON",
    "where": "ADV", "who": "PRON", "colour": "NOUN", "this": "DET", "very": "ADV",
    # Question words of the QA tasks: "what size", "in which place", "how many", and the
    # do-support of "where does X work ?" / "how many Y does X have ?".
    "size": "NOUN", "which": "DET", "place": "NOUN", "how": "ADV", "many": "ADJ",
    "does": "AUX", "work": "VERB", "have": "VERB",
}

# Universal POS tag of every content lemma.
CONTENT_POS = {
    **{w: "NOUN" for w in NOUNS},
    **{w: "ADJ" for w in COLOURS + SIZES + POSITIVE + NEGATIVE},
    **{w: "ADP" for w in RELATIONS},
}

PUNCTUATION = (".", ",", "?")


def translatable_lemmas() -> list[str]:
    """Every lemma a language gives its own word form (names and digits excluded)."""
    return sorted(set(CONTENT_POS) | set(FUNCTION_WORDS))


def pos_of(lemma: str) -> str:
    """The UD part of speech of a common lemma, punctuation or digit string."""
    if lemma in PUNCTUATION:
        return "PUNCT"
    if lemma.isdigit():
        return "NUM"
    return CONTENT_POS.get(lemma) or FUNCTION_WORDS[lemma]
