"""Which words stop zero-shot transfer in the offline world: a target fine-tuned on English,
scored in every language as generated and again with groups of words given their English form.

Fine-tunes ``--target`` from a checkpoint with the study's settings (params.yaml: the target's
steps or epochs and learning rate), then scores freshly generated validation records of each
language, and of variants of it that borrow a group of English words (``+relations``: the five
spatial relations; ``+copula``: those and "is"; ``+nouns``; ``+all``: every content word and
the function words of a locative clause). Word order and case suffixes stay the language's own.
A score that rises when a group is borrowed says the encoder did not line that group's words up
with English; one that stays low with everything borrowed says the word order is in the way.
English itself is also scored with each of the world's structural dials turned (all words still
English's): verb-final order, adjectives after the noun, case suffixes. Before fine-tuning it
prints, per language, how many of its own single-piece words have their English translation as
nearest English word by input embedding (cosine), where its relation words land, and how
alike its five relation words are (mean pairwise cosine; English's are the yardstick). With
``--mlm`` (phase 0's checkpoint, which keeps the MLM head) it also asks the masked LM for the
relation of "Y [MASK] X" after "X <relation> Y": the converse, which the corpus's documents
state when they turn a relation round. It prints how often the right one of the five ranks
first, within a language and from the language's sentence to an English one (chance 20 %).

    python bench/anchor_probe.py --model models/intermediate/none-s0 --target pawsx
    python bench/anchor_probe.py --model ... --target xnli --languages lat10vm grk05nv --seed 1
    python bench/anchor_probe.py --model models/intermediate/none-s0 --mlm models/pretrained

Run it in a repository where `dvc repro` has produced the checkpoint and ``data/synthetic``.
"""

import argparse
import random
from collections import Counter
from pathlib import Path

import torch
from transformers import AutoModelForMaskedLM

from xstilts import tracking
from xstilts.config import load_params
from xstilts.data.features import encode
from xstilts.eval import metrics
from xstilts.eval.predict import predict_labels
from xstilts.models.task_model import load_task_model
from xstilts.stages.common import device, eval_precision, max_length, seed_everything
from xstilts.stages.intermediate import train_heads
from xstilts.tasks import FINETUNE_TARGETS, TASKS
from xstilts.world.concepts import COLOURS, NOUNS, RELATIONS, SIZES, translatable_lemmas
from xstilts.world.languages import LANGUAGES_BY_CODE, LanguageSpec, World
from xstilts.world.registry import GENERATORS
from xstilts.world.scenes import locative
from xstilts.world.syntax import Locative, NounPhrase, realise

GROUPS = {
    "+relations": list(RELATIONS),
    "+copula": [*RELATIONS, "is"],
    "+nouns": list(NOUNS),
    "+all": [*RELATIONS, *NOUNS, *COLOURS, *SIZES, "is", "the", "of", "not", "in"],
}

# English words in another word order: languages that share every word with English.
ENGLISH_WITH = {
    "verb-final": LanguageSpec("en_v", shared=1.0, verb_final=True),
    "adjective after noun": LanguageSpec("en_n", shared=1.0, adj_after_noun=True),
    "case suffixes": LanguageSpec("en_m", shared=1.0, case_suffixes=True),
}


def _piece(tokenizer, word: str) -> int | None:
    """The id of ``word`` if the tokenizer keeps it as one piece."""
    ids = tokenizer(" " + word, add_special_tokens=False)["input_ids"]
    return ids[0] if len(ids) == 1 else None


def relation_spread(embeddings: torch.Tensor, tokenizer, world: World, lang: str) -> str:
    """Mean cosine between the input embeddings of ``lang``'s five relation words: PAWS-X
    turns on telling them apart within a sentence pair, whichever English words they match."""
    ids = [_piece(tokenizer, world.lexicons[lang].word(r)) for r in sorted(RELATIONS)]
    if None in ids:
        return f"{lang}: relation words of several pieces"
    unit = torch.nn.functional.normalize(embeddings[ids], dim=-1)
    cos = unit @ unit.T
    mean = cos[~torch.eye(len(ids), dtype=bool)].mean()
    return f"{lang}: relation words' mean cosine {mean:.2f}"


def nearest_english(embeddings: torch.Tensor, tokenizer, world: World, lang: str) -> str:
    """How many of ``lang``'s own words (one subword piece, as their English translations)
    have that translation as nearest English word, and the nearest of each relation."""
    english = {lemma: i for lemma in translatable_lemmas()
               if (i := _piece(tokenizer, lemma)) is not None}
    lemmas = list(english)
    unit = torch.nn.functional.normalize(embeddings, dim=-1)
    vectors = unit[list(english.values())]
    hits, total, relations = 0, 0, []
    for lemma in lemmas:
        form = world.lexicons[lang].word(lemma)
        if form == lemma or (i := _piece(tokenizer, form)) is None:
            continue  # shared words are their own neighbours; multi-piece words have none
        nearest = lemmas[int((vectors @ unit[i]).argmax())]
        hits, total = hits + (nearest == lemma), total + 1
        if lemma in RELATIONS:
            relations.append(f"{lemma}->{nearest}")
    return f"{lang}: {hits} of {total} words nearest their translation; {' '.join(relations)}"


@torch.no_grad()
def converse_prediction(mlm, tokenizer, world: World, lang: str, to: str, n: int = 200) -> float:
    """Share of "X rel Y . Y [MASK] X" (first sentence in ``lang``, second in ``to``) whose
    mask the MLM fills with the converse of rel, among ``to``'s five relation words."""
    relations = sorted(RELATIONS)
    ids = [_piece(tokenizer, world.lexicons[to].word(r)) for r in relations]
    if None in ids:
        return float("nan")
    rng, hits = random.Random(f"converse:{lang}:{to}"), 0
    for _ in range(n):
        scene = locative(rng, place_p=0.0)
        turned = Locative(NounPhrase(scene.obj.noun), RELATIONS[scene.relation],
                          NounPhrase(scene.subj.noun))
        words = [t.form for t in realise(scene, world.lexicons[lang])] + [
            tokenizer.mask_token if t.ref == "relation" else t.form
            for t in realise(turned, world.lexicons[to])]
        batch = tokenizer(" ".join(words), return_tensors="pt")
        logits = mlm(**batch).logits[0]
        at = int((batch["input_ids"][0] == tokenizer.mask_token_id).nonzero()[0, 0])
        hits += relations[int(logits[at, ids].argmax())] == turned.relation
    return hits / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="checkpoint to fine-tune")
    parser.add_argument("--target", default="pawsx", choices=["pawsx", "xnli"])
    parser.add_argument("--languages", nargs="+", help="default: data.languages")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, help="records per language (world.eval_size)")
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--mlm", type=Path,
                        help="phase 0's checkpoint (with its MLM head): converse prediction")
    args = parser.parse_args()
    params = load_params(args.params)
    if params.data.source != "synthetic":
        raise SystemExit("error: data.source must be synthetic (the probe generates records)")
    languages = list(dict.fromkeys(args.languages or params.data.languages))
    if unknown := [c for c in languages if c not in LANGUAGES_BY_CODE]:
        raise SystemExit(f"error: --languages: not a language of the offline world: {unknown}")
    codes = ["en", *(c for c in languages if c != "en")]
    world = World((*(LANGUAGES_BY_CODE[c] for c in codes), *ENGLISH_WITH.values()),
                  params.world.seed)
    # A probe leaves nothing behind: no resume checkpoints in checkpoints/.
    params = params.model_copy(update={"train": params.train.model_copy(
        update={"checkpoint_every": 0})})
    spec, ft = FINETUNE_TARGETS[args.target], params.finetune
    seed_everything(args.seed)
    model, tokenizer = load_task_model(args.model)
    embeddings = model.encoder.get_input_embeddings().weight.detach().float().cpu()
    for lang in languages:
        if lang != "en":
            print(nearest_english(embeddings, tokenizer, world, lang))
        print(relation_spread(embeddings, tokenizer, world, lang))
    if args.mlm:
        mlm = AutoModelForMaskedLM.from_pretrained(args.mlm).eval()
        for lang in languages:
            within = converse_prediction(mlm, tokenizer, world, lang, lang)
            to_english = converse_prediction(mlm, tokenizer, world, lang, "en")
            print(f"{lang}: MLM fills in the converse relation {100 * within:.0f} % within "
                  f"the language, {100 * to_english:.0f} % in English after it (chance 20 %)")
        del mlm
    model.to(device())
    with tracking.untracked():
        train_heads(model, tokenizer, {spec.name: TASKS[spec.name]}, Path("data/synthetic"),
                    params, ft.steps, args.seed, {"anchor_probe": True},
                    epochs=ft.epochs.get(spec.name), lr=ft.lr.get(spec.name))
    model.eval()
    n = args.size or params.world.eval_size
    print(f"{args.target} from {args.model}, seed {args.seed}, {n} validation records each")
    print(f"{'language':<32} {'accuracy':>8}  predicted labels")
    for lang in languages:
        variants = {(lang, ""): world}
        if lang == "en":
            variants.update({(english.code, f" ({label})"): world
                             for label, english in ENGLISH_WITH.items()})
        else:
            variants.update({(lang, g): world.borrowing(lang, lemmas)
                             for g, lemmas in GROUPS.items()})
        for (code, group), w in variants.items():
            records = list(GENERATORS[spec.name](w, "validation", code, n))
            features = encode(spec, records, tokenizer, max_length(params, spec.type))
            with eval_precision(params.train):
                preds = predict_labels(model, spec.name, features, params.eval.batch_size,
                                       tokenizer.pad_token_id)
            accuracy = 100 * metrics.accuracy([f["labels"] for f in features], preds)
            counts = Counter(spec.labels[p] for p in preds)
            print(f"{lang + group:<32} {accuracy:8.1f}  {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
