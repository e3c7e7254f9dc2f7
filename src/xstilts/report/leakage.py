"""Whether a study's dev/test items were trained on.

Leakage: the share of dev/test items that are an item of any training set of the same language
(every task's, the phase-0 corpus's sentences included), compared after normalisation: case,
punctuation and whitespace; both orders for pairs; (context, question) for QA. Dev/test sets
are parallel across languages, so an English item that was trained on would be one in every
language; the world draws them from held-out meanings (world/heldout.py) so that the count is 0.
"""

import re
import string
from pathlib import Path

from xstilts.data.files import read_jsonl, task_file
from xstilts.tasks import TASKS, TaskSpec

_PUNCT = re.compile(f"[{re.escape(string.punctuation)}]")


def normalise(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def item_key(spec: TaskSpec, record: dict) -> tuple:
    """A record's normalised form; records of tasks of one family compare with each other."""
    if spec.type == "tagging":
        return ("text", normalise(" ".join(record["tokens"])))
    if spec.type == "span":
        return ("qa", normalise(record["context"]), normalise(record["question"]))
    if spec.type == "multiple_choice":
        return ("choice", *(normalise(record[f]) for f in spec.text_fields))
    texts = [normalise(record[f]) for f in spec.text_fields if record.get(f)]
    return ("pair", frozenset(texts)) if len(texts) == 2 else ("text", *texts)


def sentences(text: str) -> list[str]:
    """The sentences of a text, normalised: generated and hub texts end them with . or ?"""
    return [normalise(s) for s in re.split(r"(?<=[.?!])\s+", text.strip()) if normalise(s)]


def training_items(data_dir: Path, lang: str) -> tuple[set, set]:
    """(every training item of ``lang``, every sentence of its phase-0 corpus)."""
    items = set()
    for spec in TASKS.values():
        path = task_file(data_dir, spec.name, "train", lang)
        if path.is_file():
            items |= {item_key(spec, r) for r in read_jsonl(path)}
    corpus = data_dir / "corpus" / f"{lang}.txt"
    lines = corpus.read_text(encoding="utf-8").splitlines() if corpus.is_file() else []
    return items, {s for line in lines for s in sentences(line)}


def _texts(spec: TaskSpec, record: dict) -> list[str]:
    """The texts a corpus must not hold whole: both sentences of a pair, a premise and its
    hypothesis, a sentence, a passage, a story (questions and options are fragments)."""
    if spec.type == "tagging":
        return [" ".join(record["tokens"])]
    if spec.type == "span":
        return [record["context"]]
    if spec.type == "multiple_choice":
        return [record[spec.text_fields[0]]]
    return [record[f] for f in spec.text_fields if record.get(f)]


def leaked(spec: TaskSpec, records: list[dict], trained: tuple[set, set]) -> tuple[int, int]:
    """(items found in training or whole in the corpus, items)."""
    items, corpus = trained
    hits = 0
    for r in records:
        in_corpus = any(all(s in corpus for s in whole) for whole in
                        (sentences(t) for t in _texts(spec, r)) if whole)
        hits += item_key(spec, r) in items or in_corpus
    return hits, len(records)


def retrieval_leaked(data_dir: Path, spec: TaskSpec, languages: list[str],
                     trained: dict[str, tuple[set, set]]) -> dict[str, tuple[int, int]]:
    """Per language: the share of a retrieval set's sentences (both sides) that are training
    items or corpus sentences of their language."""
    out = {}
    for lang in languages:
        path = task_file(data_dir, spec.name, spec.eval_split, lang)
        if lang == "en" or not path.is_file():
            continue
        hits = total = 0
        for r in read_jsonl(path):
            for field_name, side in (("source_sentence", lang), ("target_sentence", "en")):
                if r.get(field_name):
                    items, corpus = trained[side]
                    total += 1
                    hits += (("text", normalise(r[field_name])) in items
                             or normalise(r[field_name]) in corpus)
        out[lang] = hits, total
    return out


def distinct_questions(data_dir: Path) -> tuple[int, float] | None:
    """CommonsenseQA: (distinct training questions, % of validation questions in training)."""
    train_path = task_file(data_dir, "csqa", "train", "en")
    if not train_path.is_file():
        return None
    train = {normalise(r["question"]) for r in read_jsonl(train_path)}
    held = [normalise(r["question"])
            for r in read_jsonl(task_file(data_dir, "csqa", "validation", "en"))]
    return len(train), 100 * sum(q in train for q in held) / max(len(held), 1)
