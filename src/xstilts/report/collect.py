"""Reading the pipeline's metrics files into per-seed, per-language scores (XTREME points).

Files (written by the finetune and retrieval stages):
- ``<finetune>/<inter>-s<seed>.json``: every target fine-tuned after one intermediate;
- ``<retrieval>/<inter>-s<seed>.json``: every retrieval task straight after the intermediate.
Both hold ``{"metrics": {"<task>/<metric>/<lang>": value in [0, 1], ...}, "from_encoder": ...}``
(not "encoder": that name is the param's, which ``dvc exp show`` should show as such).
"""

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from xstilts.data.features import label_id, load_records
from xstilts.data.files import task_file
from xstilts.report.stats import em_f1

SUMMARY_KEYS = ("avg", "gap")  # per-task aggregates in the files; the report recomputes them


@dataclass
class Target:
    """One XTREME task of the study: its spec's facts and every cell's per-seed scores."""

    name: str
    metric: str
    group: str
    chance: float  # points
    languages: list[str]  # in the study's order (English first where scored)
    # intermediate -> one {language: points} per seed, in the order of params' seeds
    per_seed: dict[str, list[dict[str, float]]] = field(default_factory=dict)


def read_metrics(path: Path) -> dict:
    """The ``metrics`` dict of one file; errors name the file and what is wrong."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing (the stage that writes it has not run)")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise ValueError(f"{path}: no 'metrics' object")
    return data


def guessing_score(data_dir: Path, spec, languages: list[str]) -> float | None:
    """Accuracy (points) of guessing on the scored split, the highest over the languages that
    have the file: always answering the most frequent label (a classifier collapsed to one
    class scores this, and XNLI's three labels are not exactly a third each), or, for
    retrieval, picking one of the candidates at random. None for other metrics or no files."""
    if spec.metric != "accuracy" or not (spec.labels or spec.type == "retrieval"):
        return None
    best = None
    for lang in languages:
        path = task_file(data_dir, spec.name, spec.eval_split, lang)
        if not path.is_file():
            continue
        records = list(load_records(data_dir, spec, spec.eval_split, lang))
        if not records:
            continue
        if spec.type == "retrieval":  # each query's answer is one of the file's sentences
            share = 100 / len(records)
        else:
            labels = [label_id(spec, r[spec.label_field], str(path)) for r in records]
            share = 100 * Counter(labels).most_common(1)[0][1] / len(labels)
        best = share if best is None else max(best, share)
    return best


def language_scores(metrics: Mapping[str, float], task: str, metric: str,
                    languages: list[str]) -> dict[str, float]:
    """``{language: points}`` of ``task``'s ``metric``, in ``languages`` order.

    QA's primary metric ``em_f1`` is derived from ``exact_match`` and ``f1`` where a file
    holds only those, so older files score the same way."""
    out = {}
    for lang in languages:
        value = metrics.get(f"{task}/{metric}/{lang}")
        if value is None and metric == "em_f1":
            em, f1 = (metrics.get(f"{task}/{m}/{lang}") for m in ("exact_match", "f1"))
            value = em_f1(em, f1) if em is not None and f1 is not None else None
        if value is not None:
            out[lang] = 100 * float(value)
    return out


def collect(finetune_dir: Path, retrieval_dir: Path, intermediates: list[str],
            finetune_targets: list[str], retrieval_targets: list[str], seeds: list[int],
            languages: list[str], specs: Mapping, encoder: str | None = None
            ) -> tuple[list[Target], list[str]]:
    """Every target's per-seed scores, and notes on what was skipped or looks stale.

    ``specs`` maps task names to specs (``metric``, ``group``, ``chance``); a target it lacks
    is skipped with a note, so the report runs with whatever the registry holds."""
    notes: list[str] = []
    plan = [(t, finetune_dir) for t in finetune_targets]
    plan += [(t, retrieval_dir) for t in retrieval_targets]
    targets = []
    for name, directory in plan:
        spec = specs.get(name)
        if spec is None:
            notes.append(f"`{name}`: not in the task registry; skipped")
            continue
        target = Target(name, spec.metric, spec.group, 100 * spec.chance, [])
        for inter in intermediates:
            rows = []
            for seed in seeds:
                path = directory / f"{inter}-s{seed}.json"
                data = read_metrics(path)
                if encoder and data.get("from_encoder") not in (None, encoder):
                    notes.append(f"`{path.name}`: encoder {data['from_encoder']!r}, params "
                                 f"say {encoder!r} (stale file?)")
                scores = language_scores(data["metrics"], name, spec.metric, languages)
                if not scores:
                    raise ValueError(f"{path}: no {name}/{spec.metric}/<language> entries for "
                                     f"the languages {languages}")
                rows.append(scores)
            target.per_seed[inter] = rows
        # Languages every cell scored: a cell missing one would make averages incomparable.
        common = set.intersection(*(set(r) for rows in target.per_seed.values() for r in rows))
        seen = {lang for rows in target.per_seed.values() for r in rows for lang in r}
        dropped = sorted(seen - common)
        if dropped:
            notes.append(f"`{name}`: languages {dropped} not scored in every cell; left out")
        target.languages = [lang for lang in languages if lang in common]
        for rows in target.per_seed.values():
            for i, row in enumerate(rows):
                rows[i] = {lang: row[lang] for lang in target.languages}
        targets.append(target)
    return targets, notes
