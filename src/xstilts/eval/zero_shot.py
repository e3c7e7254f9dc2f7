"""Phase 3: score a model fine-tuned on English in every language of its target task."""

from pathlib import Path

from xstilts.data.features import encode, load_records
from xstilts.eval.predict import predict_labels
from xstilts.eval.metrics import accuracy, retrieval_accuracy
from xstilts.eval.retrieval import embed
from xstilts.tasks import TaskSpec


def evaluate_classification(model, tokenizer, spec: TaskSpec, data_dir: Path,
                            languages: list[str], split: str, batch_size: int,
                            max_length: int) -> dict[str, float]:
    """Accuracy per language with the head trained on English."""
    scores = {}
    for lang in languages:
        examples = encode(spec, load_records(data_dir, spec, split, lang), tokenizer, max_length)
        preds = predict_labels(model, spec.name, examples, batch_size, tokenizer.pad_token_id)
        scores[lang] = accuracy([e["labels"] for e in examples], preds)
    return scores


def evaluate_retrieval(encoder, tokenizer, spec: TaskSpec, data_dir: Path,
                       languages: list[str], layer: int, batch_size: int) -> dict[str, float]:
    """Tatoeba accuracy per non-English language. As in XTREME, each English sentence
    queries the other language's sentences of the set for its translation."""
    scores = {}
    for lang in languages:
        if lang == "en":
            continue
        records = load_records(data_dir, spec, "test", lang)
        src = embed(encoder, tokenizer, [r["source_sentence"] for r in records], layer,
                    batch_size)
        tgt = embed(encoder, tokenizer, [r["target_sentence"] for r in records], layer,
                    batch_size)
        scores[lang] = retrieval_accuracy(tgt, src)
    return scores


def summarise(task: str, metric: str, scores: dict[str, float]) -> dict[str, float]:
    """Flat metric names ``task/metric/lang`` plus XTREME's task score (mean over languages)
    and the cross-lingual gap (English minus the mean of the other languages)."""
    out = {f"{task}/{metric}/{lang}": s for lang, s in scores.items()}
    out[f"{task}/{metric}/avg"] = sum(scores.values()) / len(scores)
    others = [s for lang, s in scores.items() if lang != "en"]
    if "en" in scores and others:
        out[f"{task}/gap"] = scores["en"] - sum(others) / len(others)
    return out
