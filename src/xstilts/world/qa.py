"""Extractive question answering in the world: SQuAD v1.1/v2.0, XQuAD, MLQA and TyDiQA-GoldP.

The skill is reading a short passage and pointing at the character span that answers a
wh-question: what colour / size is X, who has X, what is above X, in which place, where does P
work, how many X does P have, who works at O. Passages are scenes of 2-5 clauses whose nouns,
people, organisations, places and counts are all distinct, so every question has exactly one
answer. The span is found through ``Token.ref``, so it is exact in every language however the
words are reordered, suffixed or transliterated (multi-word names are one span).

Records have the hub fields: id, title, context, question, answers = {"text": [str],
"answer_start": [char offset]} (XQuAD has no title on the hub, so neither does ours). As in
X-STILTs, English SQuAD is both an intermediate task and the training set for XQuAD and MLQA;
TyDiQA-GoldP trains on its own English part.
"""

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

from xstilts.world.concepts import COLOURS, NOUNS, ORGS, PERSONS, PLACES, RELATIONS, SIZES
from xstilts.world.datasets import _rng
from xstilts.world.heldout import draw
from xstilts.world.languages import World
from xstilts.world.scenes import locative, noun_phrase
from xstilts.world.syntax import (
    Attribute,
    Clause,
    Employment,
    Locative,
    NounPhrase,
    Possession,
    Question,
    Token,
    realise,
    text,
)


@dataclass(frozen=True)
class _Ask:
    question: Question
    clause: int = -1  # the context clause holding the answer
    refs: tuple[str, ...] = ()  # Token.refs of the answer span; () = unanswerable


@dataclass(frozen=True)
class _Style:
    clauses: tuple[int, int]  # passage length in clauses
    scene: tuple[float, ...]  # weights of locative, attribute, possession, employment
    mix: dict  # weight of each asked slot
    bare: bool = False  # questions name things by their noun only
    converse: bool = False  # "what is below X" asked of "X is above Y"
    unanswerable: float = 0.0


# SQuAD's crowd workers wrote questions while reading the passage, about its descriptive
# details, copying its wording (paraphrased descriptions, stated relations).
_SQUAD = _Style((2, 4), (0.45, 0.25, 0.15, 0.15),
                {"colour": 3, "size": 2, "owner": 1.5, "what": 1, "place": 1, "count": 1,
                 "org": 1, "person": 1})
# MLQA's passages are whole paragraphs around an aligned sentence: longer, same question mix.
_MLQA = replace(_SQUAD, clauses=(3, 5))
# TyDi's questions were written before the passage was seen: information-seeking questions
# about people, places, organisations and numbers, naming things barely and often by the
# converse relation, so they share fewer words with the passage. Gold passages are longer.
_TYDI = _Style((3, 5), (0.3, 0.1, 0.3, 0.3),
               {"colour": 0.5, "size": 0.5, "owner": 1, "what": 2, "place": 2, "count": 2,
                "org": 2, "person": 2.5}, bare=True, converse=True)


def _draw(rng: random.Random, weights: tuple[float, ...]) -> Clause:
    kind = rng.choices(range(4), weights)[0]
    if kind == 0:
        return locative(rng, place_p=0.4)
    np = noun_phrase(rng)
    if kind == 1:
        return Attribute(NounPhrase(np.noun, owner=np.owner), rng.choice(COLOURS + SIZES),
                         negated=rng.random() < 0.2)
    if kind == 2:
        return Possession(rng.choice(PERSONS), rng.randint(2, 9), NounPhrase(np.noun, np.colour))
    return Employment(rng.choice(PERSONS), rng.choice(ORGS), rng.choice(PLACES))


def _entities(c: Clause) -> set:
    """Everything a question could name or answer with."""
    nps = {Locative: ("subj", "obj"), Attribute: ("subj",), Possession: ("thing",)}
    found = {getattr(c, f, None) for f in ("person", "org", "place")} - {None}
    for np in (getattr(c, f) for f in nps.get(type(c), ())):
        found |= {np.noun} | ({np.owner} if np.owner else set())
    return found | ({("count", c.count)} if isinstance(c, Possession) else set())


def _scene(rng: random.Random, style: _Style) -> list[Clause]:
    """Clauses drawn until the passage is long enough, redrawing any that reuse an entity."""
    scene, used = [], set()
    for _ in range(rng.randint(*style.clauses)):
        c = _draw(rng, style.scene)
        while _entities(c) & used:
            c = _draw(rng, style.scene)
        scene.append(c)
        used |= _entities(c)
    return scene


def _describe(np: NounPhrase, asked: str, rng: random.Random, bare: bool) -> NounPhrase:
    """The object as a question names it: its noun, and maybe attributes other than the asked."""
    keep = {f: v for f in ("colour", "size", "owner")
            if f != asked and (v := getattr(np, f)) and not bare and rng.random() < 0.5}
    return NounPhrase(np.noun, **keep)


def _asks(scene: list[Clause], rng: random.Random, style: _Style) -> tuple[list, list]:
    """(answerable, unanswerable) questions about a scene."""
    yes, no = [], []

    def put(question: Question, i: int = -1, refs: tuple[str, ...] = ()):
        (yes if refs else no).append(_Ask(question, i, refs))

    def named(np: NounPhrase, asked: str = "") -> NounPhrase:
        return _describe(np, asked, rng, style.bare)

    employed = {c.person for c in scene if isinstance(c, Employment)}
    for i, c in enumerate(scene):
        if isinstance(c, Locative):
            for role, np in (("subj", c.subj), ("obj", c.obj)):
                for slot in ("colour", "size", "owner"):
                    put(Question(slot, named(np, slot)), i,
                        (f"{role}.{slot}",) if getattr(np, slot) else ())
                put(Question("place", named(np)), i, ("place",) if c.place else ())
            whole = ("size", "colour", "noun")  # "what" is answered by the described object
            put(Question("what", named(c.obj), relation=c.relation), i,
                tuple(f"subj.{s}" for s in whole))
            if style.converse:
                put(Question("what", named(c.subj), relation=RELATIONS[c.relation]), i,
                    tuple(f"obj.{s}" for s in whole))
        elif isinstance(c, Attribute):
            slot = "colour" if c.adjective in COLOURS else "size"
            # The stated attribute answers unless denied; the other one is never stated.
            put(Question(slot, named(c.subj)), i, () if c.negated else ("adjective",))
            put(Question(({"colour", "size"} - {slot}).pop(), named(c.subj)))
            put(Question("owner", named(c.subj, "owner")), i,
                ("subj.owner",) if c.subj.owner else ())
            put(Question("place", named(c.subj)))
        elif isinstance(c, Possession):
            thing = NounPhrase(c.thing.noun) if style.bare else c.thing
            put(Question("count", thing, person=c.person), i, ("count",))
            put(Question("person", thing, count=c.count), i, ("person",))
            owned = NounPhrase(c.thing.noun, owner=c.person)
            put(Question("colour", owned), i, ("obj.colour",))
            put(Question("size", owned))
            if c.person not in employed:
                put(Question(rng.choice(("org", "place")), person=c.person))
        elif isinstance(c, Employment):
            put(Question("org", person=c.person), i, ("org",))
            put(Question("place", person=c.person), i, ("place",))
            put(Question("person", org=c.org), i, ("person",))
    # SQuAD 2.0's unanswerables are plausible: they ask about what the passage could have said.
    used = set().union(*map(_entities, scene))
    absent = NounPhrase(rng.choice([n for n in NOUNS if n not in used]))
    stranger = rng.choice([p for p in PERSONS if p not in used])
    for question in (Question("colour", absent), Question("size", absent),
                     Question("owner", absent), Question("org", person=stranger),
                     Question("place", person=stranger),
                     Question("count", absent, person=stranger)):
        put(question)
    return yes, no


def _answer(clauses: list[list[Token]], ask: _Ask) -> dict:
    """The answer span's text and character offset in the space-joined context."""
    if not ask.refs:
        return {"text": [], "answer_start": []}
    tokens = clauses[ask.clause]
    hits = [j for j, t in enumerate(tokens) if t.ref in ask.refs]
    assert hits == list(range(hits[0], hits[-1] + 1)), ask  # one contiguous span
    before = [*clauses[:ask.clause], tokens[:hits[0]]]
    start = sum(len(t.form) + 1 for c in before for t in c)
    return {"text": [text(tokens[hits[0]:hits[-1] + 1])], "answer_start": [start]}


def _title(c: Clause, lex) -> str:
    """What the passage is about, in its language, as a Wikipedia article title would be."""
    if isinstance(c, Possession | Employment):
        return " ".join(lex.name(p) for p in c.person)
    return lex.word(c.subj.noun)


def _records(world: World, stream: str, split: str, lang: str, n: int,
             style: _Style) -> Iterator[dict]:
    """n question records; meanings come from (stream, split) alone, so they are parallel."""
    rng, lex = _rng(world, stream, split), world.lexicons[lang]
    made = 0
    while made < n:
        scene = draw(world.seed, split, rng, lambda r: _scene(r, style), lambda s: [s])
        yes, no = _asks(scene, rng, style)
        clauses = [realise(c, lex) for c in scene]
        context = " ".join(text(c) for c in clauses)
        for _ in range(rng.randint(1, 3)):  # SQuAD asks several questions per paragraph
            pool = no if no and rng.random() < style.unanswerable else yes
            if made == n or not pool:
                break
            ask = rng.choices(pool, [style.mix[a.question.asks] for a in pool])[0]
            pool.remove(ask)
            key = hashlib.sha1(f"{world.seed}:{stream}:{split}:{made}".encode()).hexdigest()
            yield {"id": key[:24], "title": _title(scene[0], lex), "context": context,
                   "question": text(realise(ask.question, lex)),
                   "answers": _answer(clauses, ask)}
            made += 1


def _check(task: str, split: str, lang: str, splits: tuple[str, ...], english: bool = False):
    if split not in splits:
        raise ValueError(f"{task} has splits {splits}, not {split!r}")
    if english and lang != "en":
        raise ValueError(f"{task} is English-only; no {lang!r}")


def squad(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """SQuAD v1.1 (``rajpurkar/squad``): every question answerable. English in the study;
    other languages give the translate-train variant (``intermediate.translated``)."""
    _check("squad", split, lang, ("train", "validation"))
    return _records(world, "squad", split, lang, n, _SQUAD)


def squad_v2(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """SQuAD v2.0 (``rajpurkar/squad_v2``): a third of the questions have no answer in the
    passage (an absent object or person, or an attribute the passage never states or denies);
    their answers are {"text": [], "answer_start": []}."""
    _check("squad_v2", split, lang, ("train", "validation"))
    return _records(world, "squad_v2", split, lang, n, replace(_SQUAD, unanswerable=1 / 3))


def xquad(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """XQuAD (``google/xtreme`` ``XQuAD.<lang>``): SQuAD v1.1 dev translated, as on the hub,
    so its meanings and ids are SQuAD validation's and English is SQuAD validation itself.
    No title field (the hub's XQuAD has none)."""
    _check("xquad", split, lang, ("validation",))
    return ({k: v for k, v in rec.items() if k != "title"}
            for rec in _records(world, "squad", split, lang, n, _SQUAD))


def mlqa(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """MLQA (``google/xtreme`` ``MLQA.<lang>.<lang>``): SQuAD-style questions over longer
    passages, context and question in the same language; parallel across languages."""
    _check("mlqa", split, lang, ("validation", "test"))
    return _records(world, "mlqa", split, lang, n, _MLQA)


def tydiqa(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """TyDiQA-GoldP (``google/xtreme`` ``tydiqa``): information-seeking questions with their
    gold passage, all answerable. The hub's train mixes languages and XTREME keeps its English
    part by id prefix ("english-"), so train here is English only; validation is in every
    language with ids "<language>-..." ("english-" for en, else the code)."""
    _check("tydiqa", split, lang, ("train", "validation"), english=split == "train")
    prefix = "english" if lang == "en" else lang
    return ({**rec, "id": f"{prefix}-{int(rec['id'][:15], 16)}"}
            for rec in _records(world, "tydiqa", split, lang, n, _TYDI))
