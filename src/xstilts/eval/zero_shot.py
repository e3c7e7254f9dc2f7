"""Phase 3: score a model fine-tuned on English in every language of its target task, with
the head trained on English and XTREME's metric for the task's type."""

from pathlib import Path

from xstilts.data.features import encode, load_records
from xstilts.data.files import write_jsonl
from xstilts.eval import metrics
from xstilts.eval.predict import predict_labels, predict_spans, predict_tags
from xstilts.eval.retrieval import embed
from xstilts.tasks import TaskSpec
from xstilts.train.batching import EvalBatch


def score_records(model, tokenizer, spec: TaskSpec, records: list[dict], lang: str,
                  batch_size: int | EvalBatch, max_length: int, stride: int = 128,
                  head: str | None = None, predictions: list | None = None
                  ) -> dict[str, float]:
    """Metric name -> value for one language's records, predicted by the model's head
    ``head`` (default: the one named after the task). ``predictions``, when given, receives
    one line per record (:func:`prediction_line`), in the records' order."""
    features = encode(spec, records, tokenizer, max_length, stride=stride)
    pad = tokenizer.pad_token_id
    head = head or spec.name
    keep = predictions.extend if predictions is not None else (lambda lines: None)
    if spec.type in ("classification", "multiple_choice"):
        preds = predict_labels(model, head, features, batch_size, pad)
        keep(prediction_line(n, r, spec.labels[p] if spec.labels else p)
             for n, (r, p) in enumerate(zip(records, preds)))
        return {"accuracy": metrics.accuracy([f["labels"] for f in features], preds)}
    if spec.type == "tagging":
        preds: list[list[int]] = [[] for _ in records]
        # A long sentence's segments come in order; together they tag every word.
        for f, tags in zip(features, predict_tags(model, head, features, batch_size, pad)):
            preds[f["example"]] += tags
        gold = [[spec.labels[t] for t in r[spec.label_field]] for r in records]
        if lost := [n for n, (g, p) in enumerate(zip(gold, preds)) if len(g) != len(p)]:
            # Segments are cut by each word's subwords alone; a tokenizer that splits words
            # otherwise in context would truncate them and shift the tags.
            raise ValueError(f"{spec.name} ({lang}): {len(lost)} sentences lost words to "
                             f"truncation (first: record {lost[0]}): the tokenizer splits some "
                             "words otherwise in a sentence than alone")
        keep(prediction_line(n, r, [spec.labels[t] for t in p])
             for n, (r, p) in enumerate(zip(records, preds)))
        return {"f1": metrics.tagging_f1(gold, [[spec.labels[t] for t in p] for p in preds])}
    if spec.type == "span":
        answers = predict_spans(model, head, features, [r["context"] for r in records],
                                batch_size, pad, allow_null=spec.unanswerable)
        keep(prediction_line(n, r, a) for n, (r, a) in enumerate(zip(records, answers)))
        scores = metrics.squad_scores(
            {r["id"]: a for r, a in zip(records, answers)},
            {r["id"]: r["answers"]["text"] for r in records},
            lang=lang if spec.answers_by_language else None)
        return {**scores, "em_f1": (scores["exact_match"] + scores["f1"]) / 2}
    raise ValueError(f"{spec.name}: cannot score task type {spec.type!r}")


def prediction_line(line: int, record: dict, prediction) -> dict:
    """What a record's prediction is kept as: the record's id (its line in the file where it
    has none) and the label name, tag names or answer text predicted."""
    return {"id": record.get("id", line), "prediction": prediction}


def write_predictions(directory: Path, predictions: dict[tuple[str, str], dict[str, list]]
                      ) -> None:
    """``predictions`` ((task, split) -> language -> lines) as
    ``<directory>/<task>/<split>/<lang>.jsonl``."""
    for (task, split), by_lang in predictions.items():
        for lang, lines in by_lang.items():
            write_jsonl(directory / task / split / f"{lang}.jsonl", lines)


def evaluate_target(model, tokenizer, spec: TaskSpec, data_dir: Path, languages: list[str],
                    split: str, batch_size: int | EvalBatch, max_length: int, stride: int = 128,
                    head: str | None = None, predictions: dict | None = None
                    ) -> dict[str, dict[str, float]]:
    """Metric name -> {language: value}, for every language of ``split``; ``predictions``,
    when given, receives each language's prediction lines."""
    out: dict[str, dict[str, float]] = {}
    for lang in languages:
        kept = predictions.setdefault(lang, []) if predictions is not None else None
        for name, value in score_records(model, tokenizer, spec,
                                         load_records(data_dir, spec, split, lang), lang,
                                         batch_size, max_length, stride, head,
                                         kept).items():
            out.setdefault(name, {})[lang] = value
    return out


def evaluate_retrieval(encoder, tokenizer, spec: TaskSpec, data_dir: Path,
                       languages: list[str], layer: int, batch_size: int | EvalBatch,
                       max_length: int = 128) -> dict[str, float]:
    """Tatoeba accuracy per non-English language. As in XTREME, each English sentence
    queries the other language's sentences of the set for its translation."""
    scores = {}
    for lang in languages:
        if lang == "en":
            continue
        records = load_records(data_dir, spec, "test", lang)
        src = embed(encoder, tokenizer, [r["source_sentence"] for r in records], layer,
                    batch_size, max_length)
        tgt = embed(encoder, tokenizer, [r["target_sentence"] for r in records], layer,
                    batch_size, max_length)
        scores[lang] = metrics.retrieval_accuracy(tgt, src)
    return scores


def _bucc_pools(records: list[dict]):
    """Source and target pools of one BUCC file (a side "" marks a sentence with no
    translation) and the gold pairs as (source row, target row)."""
    src, tgt, gold = [], [], set()
    for r in records:
        if r["source_sentence"]:
            src.append(r["source_sentence"])
        if r["target_sentence"]:
            tgt.append(r["target_sentence"])
        if r["source_sentence"] and r["target_sentence"]:
            gold.add((len(src) - 1, len(tgt) - 1))
    return src, tgt, gold


def evaluate_bucc(encoder, tokenizer, spec: TaskSpec, data_dir: Path, languages: list[str],
                  layer: int, batch_size: int | EvalBatch, max_length: int = 128
                  ) -> dict[str, float]:
    """BUCC F1 per non-English language: pairs mined by ratio margin (k=4) from the two
    pools, with the score threshold that maximises F1 on the validation pools applied to
    the test pools, as XTREME does."""
    scores = {}
    for lang in languages:
        if lang == "en":
            continue
        mined = {}
        for split in ("validation", "test"):
            src, tgt, gold = _bucc_pools(load_records(data_dir, spec, split, lang))
            pairs = metrics.mine_pairs(
                embed(encoder, tokenizer, src, layer, batch_size, max_length),
                embed(encoder, tokenizer, tgt, layer, batch_size, max_length))
            mined[split] = (pairs, gold)
        threshold, _ = metrics.best_threshold(*mined["validation"])
        scores[lang] = metrics.bucc_f1(*mined["test"], threshold)["f1"]
    return scores


RETRIEVAL_EVALUATORS = {"tatoeba": evaluate_retrieval, "bucc": evaluate_bucc}


def summarise(task: str, scores: dict[str, dict[str, float]]) -> dict[str, float]:
    """Flat metric names ``task/metric/lang`` plus, per metric, XTREME's task score (the mean
    over languages) and the cross-lingual gap (English minus the mean of the others)."""
    out = {}
    for metric, by_lang in scores.items():
        out.update({f"{task}/{metric}/{lang}": s for lang, s in by_lang.items()})
        out[f"{task}/{metric}/avg"] = sum(by_lang.values()) / len(by_lang)
        others = [s for lang, s in by_lang.items() if lang != "en"]
        if "en" in by_lang and others:
            out[f"{task}/{metric}/gap"] = by_lang["en"] - sum(others) / len(others)
    return out
