"""Multiple-choice tasks (English intermediate): HellaSwag, CosmosQA and CommonsenseQA.

- HellaSwag (``Rowan/hellaswag``) picks the ending of a story that fits it; its wrong endings
  were filtered adversarially to read like right ones. Here the story is a twin scene
  (knowledge.py), ``ctx_b`` opens a last sentence about one of its things, and the four
  endings are predicates of the same forms, one entailed by the scene and three contradicted
  by it, so no ending is wrong on its own: only the context decides.
- CosmosQA (``allenai/cosmos_qa``) is reading comprehension that needs inference beyond the
  text's words. Here the question names a twin in a way the sentence holding the answer does
  not ("what is above the box ?" with "the red ball is above the box" in the text and the
  answer "the ball of anna"), so the reader must chain sentences; the other twin, named the
  same way, is always among the wrong answers.
- CommonsenseQA (``tau/commonsense_qa``) asks for knowledge the question does not contain.
  Here it is the world's common sense (knowledge.py), fixed by the seed and shared by all
  splits: what colour a kind of thing usually is, where a person works, who works at an
  organisation, and (two hops) in which place a person works. Each question opens with a
  sentence that sets its scene, so questions are many while the knowledge is small.
"""

import hashlib
import random
from collections.abc import Iterator
from functools import partial

from xstilts.world.concepts import COLOURS, NOUNS, ORGS, PERSONS, PLACES, RELATIONS, SIZES
from xstilts.world.datasets import _rng
from xstilts.world.heldout import draw
from xstilts.world.knowledge import (
    DIRECTIONS,
    SLOTS,
    Scene,
    common_sense,
    judge,
    twin_scene,
)
from xstilts.world.languages import Lexicon, World
from xstilts.world.questions import WHAT, Query, phrase, span
from xstilts.world.syntax import (
    Attribute,
    Clause,
    Locative,
    NounPhrase,
    Possession,
    Question,
    realise,
    text,
)


def _key(world: World, task: str, split: str, idx: int) -> str:
    return hashlib.sha1(f"{world.seed}:{task}:{split}:{idx}".encode()).hexdigest()


def _story(scene: Scene, lex: Lexicon) -> str:
    return " ".join(text(realise(c, lex)) for c in scene.statements)


def _ending(scene: Scene, subject: NounPhrase, want: str, rng: random.Random) -> Clause | None:
    """A predicate of ``subject`` that the scene entails / contradicts (``want``), or None."""
    thing = scene.refer(subject)
    attribute = rng.random() < 0.5  # drawn before the verdict, so forms do not leak it
    negated = attribute and rng.random() < 0.3
    for _ in range(30):
        if attribute:
            slot = rng.choice([s for s in ("colour", "size") if getattr(subject, s) is None])
            adj = rng.choice((getattr(thing, slot), rng.choice(
                [getattr(t, slot) for t in scene.things])))
            ending = Attribute(subject, adj, negated)
        else:
            partner = rng.choice([t for t in scene.things if t.noun != thing.noun])
            name = (partner.called(rng.choice(SLOTS)) if partner in scene.twins
                    else NounPhrase(partner.noun))
            ending = Locative(subject, rng.choice(DIRECTIONS), name)
        if judge(scene, ending) == want:
            return ending
    return None


def hellaswag_example(rng: random.Random) -> tuple[Scene, NounPhrase, list[Clause], int]:
    """(scene, subject of the last sentence, four endings, index of the right one)."""
    scene = twin_scene(rng)
    while True:
        thing = rng.choice([t for t in scene.things if (t, "colour") in scene.known
                            or any(a == t for a, _ in scene.relations)])
        subject = (thing.called(rng.choice(SLOTS)) if thing in scene.twins
                   else NounPhrase(thing.noun))
        endings = [_ending(scene, subject, "entailment", rng)]
        while len(endings) < 4 and None not in endings:
            ending = _ending(scene, subject, "contradiction", rng)
            endings += [ending] if ending not in endings else []
        if None not in endings:
            label = rng.randrange(4)
            endings[0], endings[label] = endings[label], endings[0]
            return scene, subject, endings, label


def hellaswag_items(world: World, split: str) -> Iterator[tuple]:
    """The meanings of a split's records, in order: ``hellaswag_example``s on the split's
    side of the held-out partition (heldout.py)."""
    rng = _rng(world, "hellaswag", split)
    while True:
        yield draw(world.seed, split, rng, hellaswag_example, lambda x: [x[0].statements],
                   lambda x: x[2])


def hellaswag(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """HellaSwag records; ``label`` is a string "0".."3", as on the hub."""
    lex = world.lexicons[lang]
    for ind, (scene, subject, endings, label) in zip(range(n), hellaswag_items(world, split)):
        cuts = [realise(e, lex) for e in endings]
        cuts = [tokens[span(tokens, "subj")[1]:] for tokens in cuts]
        ctx_a, ctx_b = _story(scene, lex), phrase(subject, lex)
        yield {"ind": ind, "activity_label": lex.word(scene.twins[0].noun),
               "ctx_a": ctx_a, "ctx_b": ctx_b, "ctx": f"{ctx_a} {ctx_b}",
               "endings": [text(tokens) for tokens in cuts],
               "source_id": f"world~{_key(world, 'hellaswag', split, ind)[:12]}",
               "split": split, "split_type": "indomain", "label": str(label)}


def cosmos_example(rng: random.Random) -> tuple[Scene, Query | Question, list, int]:
    """(scene, question, four answers (NPs, lemmas or names), index of the right one)."""
    scene = twin_scene(rng)
    twin, other = rng.sample(scene.twins, 2)
    other_slot = rng.choice([s for s in SLOTS if s not in scene.placed_by(twin)])
    kind = rng.randrange(3)
    if kind == 0:  # a twin's colour (or owner), two sentences away from how it is named
        asked = "colour" if scene.far_name(twin, "colour") else "owner"
        name = scene.far_name(twin, asked)
        query = (Query(Attribute(name, "colour"), "adjective", rng.random() < 0.5)
                 if asked == "colour" else Question("owner", name))
        right, pool = getattr(twin, asked), COLOURS if asked == "colour" else PERSONS
        wrong = [getattr(other, asked), *rng.sample(pool, 4)]
    else:
        mark = next(m for (a, m) in scene.relations if a == twin)
        relation = scene.relations[twin, mark]
        if kind == 1:  # what stands so to the landmark: the twin, named another way
            query = rng.choice((Query(Locative(WHAT, relation, NounPhrase(mark.noun)), "subj"),
                                Query(Locative(NounPhrase(mark.noun), RELATIONS[relation],
                                               WHAT), "obj", rng.random() < 0.5)))
            right = twin.called(other_slot)
        else:  # what the twin, named another way, stands so to: the landmark
            query = rng.choice((Query(Locative(twin.called(other_slot), relation, WHAT),
                                      "obj", rng.random() < 0.5),
                                Query(Locative(WHAT, RELATIONS[relation],
                                               twin.called(other_slot)), "subj")))
            right = NounPhrase(mark.noun)
        fake = NounPhrase(twin.noun, rng.choice([c for c in COLOURS
                                                 if c not in (twin.colour, other.colour)]))
        wrong = [other.called(other_slot), *rng.sample(
            [other.called(s) for s in SLOTS if s != other_slot]
            + [NounPhrase(m.noun) for m in scene.landmarks if m != mark] + [fake], 3)]
    wrong = list(dict.fromkeys(w for w in wrong if w != right))[:3]
    label = rng.randrange(4)
    return scene, query, [*wrong[:label], right, *wrong[label:]], label


def _say(x, lex: Lexicon) -> str:
    """An answer's words: an NP, a name (a tuple of parts) or a common word (a lemma)."""
    if isinstance(x, NounPhrase):
        return phrase(x, lex)
    return " ".join(lex.name(p) for p in x) if isinstance(x, tuple) else lex.word(x)


def cosmos_items(world: World, split: str) -> Iterator[tuple]:
    """The meanings of a split's records, in order (as ``hellaswag_items``)."""
    rng = _rng(world, "cosmos_qa", split)
    while True:
        yield draw(world.seed, split, rng, cosmos_example, lambda x: [x[0].statements],
                   lambda x: [getattr(x[1], "clause", x[1])])


def cosmos_qa(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    lex = world.lexicons[lang]
    for idx, (scene, query, answers, label) in zip(range(n), cosmos_items(world, split)):
        tokens = query.tokens(lex) if isinstance(query, Query) else realise(query, lex)
        yield {"id": _key(world, "cosmos_qa", split, idx)[:30], "context": _story(scene, lex),
               "question": text(tokens),
               **{f"answer{i}": _say(a, lex) for i, a in enumerate(answers)}, "label": label}


def _framing(rng: random.Random, kind: int, concept) -> Clause:
    """The sentence that sets a question's scene: it mentions the asked concept, never the
    answer ("anna has 3 cups . what colour is the cup ?"), as CommonsenseQA's questions are
    little scenes written around one ConceptNet concept."""
    if kind == 0:  # a kind of thing, without its colour
        other = rng.choice([n for n in NOUNS if n != concept])
        return rng.choice((Possession(rng.choice(PERSONS), rng.randint(2, 9), NounPhrase(concept)),
                           Locative(NounPhrase(concept, size=rng.choice(SIZES)),
                                    rng.choice(sorted(RELATIONS)),
                                    NounPhrase(other, rng.choice(COLOURS)))))
    noun = rng.choice(NOUNS)
    person = concept if kind > 1 else rng.choice(PERSONS)
    return rng.choice((Possession(person, rng.randint(2, 9), NounPhrase(noun, rng.choice(COLOURS))),
                       Attribute(NounPhrase(noun, owner=person), rng.choice(COLOURS + SIZES))))


def commonsense_example(seed: int, rng: random.Random,
                        ) -> tuple[Clause, Question, object, list, int]:
    """(framing sentence, question, its concept, five answers (lemmas or name tuples), index
    of the right one). The knowledge is the world's (shared by every split, as ConceptNet is);
    the framing sentence makes each question new, and dev/test frame theirs with held-out
    meanings (heldout.py), so no dev or test question is a training question."""
    kb = common_sense(seed)
    kind = rng.randrange(4)
    if kind == 0:
        concept = rng.choice(NOUNS)
        question, right, pool = (Question("colour", NounPhrase(concept)),
                                 kb.colour_of[concept], COLOURS)
    elif kind == 1:
        concept = rng.choice(ORGS)
        right = rng.choice([p for p, org in kb.employer.items() if org == concept])
        pool = [p for p in PERSONS if kb.employer[p] != concept]
        question = Question("person", org=concept)
    else:
        concept = rng.choice(PERSONS)
        question = Question("org" if kind == 2 else "place", person=concept)
        right = kb.employer[concept] if kind == 2 else kb.place_of[kb.employer[concept]]
        pool = ORGS if kind == 2 else PLACES
    answers = rng.sample([a for a in pool if a != right], 4)
    label = rng.randrange(5)
    return (_framing(rng, kind, concept), question, concept,
            [*answers[:label], right, *answers[label:]], label)


def commonsense_items(world: World, split: str) -> Iterator[tuple]:
    """The meanings of a split's records, in order (as ``hellaswag_items``); no question
    twice, as CommonsenseQA asks each once."""
    rng, seen = _rng(world, "commonsense_qa", split), set()
    while True:
        item = draw(world.seed, split, rng, partial(commonsense_example, world.seed),
                    lambda x: [[x[0]]])
        if item[:2] not in seen:
            seen.add(item[:2])
            yield item


def commonsense_qa(world: World, split: str, lang: str, n: int) -> Iterator[dict]:
    """CommonsenseQA records; ``answerKey`` is a letter "A".."E", ``choices`` a dict."""
    lex = world.lexicons[lang]
    items = commonsense_items(world, split)
    for idx, (framing, question, concept, answers, label) in zip(range(n), items):
        yield {"id": _key(world, "commonsense_qa", split, idx)[:32],
               "question": f"{text(realise(framing, lex))} {text(realise(question, lex))}",
               "question_concept": _say(concept, lex),
               "choices": {"label": list("ABCDE"), "text": [_say(a, lex) for a in answers]},
               "answerKey": "ABCDE"[label]}
