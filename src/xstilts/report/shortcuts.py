"""What answers each task without its skill: rules that read no meaning, fitted and scored.

A score means little if a rule that never reads for meaning gets close to it. Each baseline is
fitted on the task's English training set (a target's, or the set it is fine-tuned on) and
scored on its scored split in every language, as the models are:

- ``majority``: the most frequent training label (tagging: tag; multiple choice: option index;
  QA: no answer where that is allowed);
- ``overlap`` (sentence pairs, multiple choice): a logistic regression on how the two texts
  overlap (the same words or not, shared share, words of one the other lacks, both lengths),
  or the option sharing most words with the context;
- ``second only`` (sentence pairs): a bag-of-words logistic regression on the second text alone
  (the hypothesis-only baseline of Gururangan et al. 2018);
- ``length``: a logistic regression on text lengths (multiple choice: the longest or the
  shortest option, whichever is better on training);
- ``position`` (QA): always the span at the training answers' most frequent token position.

``audit`` adds to each task the share of its scored items a training set holds
(report/leakage.py).
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from xstilts.data.features import label_id, load_records
from xstilts.data.files import task_file
from xstilts.report.leakage import leaked, retrieval_leaked, training_items
from xstilts.tasks import TASKS, TaskSpec

FIT_LIMIT = 20_000  # training records a baseline is fitted on (hub sets reach 393k)


@dataclass
class TaskShortcuts:
    task: str
    split: str
    chance: float  # uniform guessing, points
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> lang -> pts
    found: dict[str, tuple[int, int]] = field(default_factory=dict)  # lang -> (in training, of)

    @property
    def leaked(self) -> dict[str, float]:
        """lang -> % of the scored items found in training."""
        return {lang: 100 * hits / max(total, 1) for lang, (hits, total) in self.found.items()}

    def best(self, lang: str) -> tuple[str, float]:
        scores = {name: by_lang[lang] for name, by_lang in self.baselines.items()
                  if lang in by_lang}
        name = max(scores, key=scores.get)
        return name, scores[name]


# --- baselines --------------------------------------------------------------------------------

def accuracy(gold: list[int], pred: list[int]) -> float:
    return float(np.mean(np.asarray(gold) == np.asarray(pred))) if gold else 0.0


def _pair_features(a: str, b: str) -> list[float]:
    wa, wb = a.split(), b.split()
    sa, sb = set(wa), set(wb)
    missing = sum(w not in sa for w in wb)
    return [Counter(wa) == Counter(wb), len(sa & sb) / max(len(sa | sb), 1), missing,
            missing == 0, len(wa), len(wb)]


def _fit(x, y):
    if len(set(y)) < 2:
        return None
    return LogisticRegression(max_iter=2000).fit(x, y)


def _classification(spec, train, evals) -> dict[str, dict[str, float]]:
    y = [label_id(spec, r[spec.label_field]) for r in train]
    gold = {lang: [label_id(spec, r[spec.label_field]) for r in rs] for lang, rs in evals.items()}
    majority = Counter(y).most_common(1)[0][0]
    out = {"majority": {lang: 100 * accuracy(g, [majority] * len(g)) for lang, g in gold.items()}}
    fields = spec.text_fields

    def score(name, features, model):
        if model is not None:
            out[name] = {lang: 100 * accuracy(gold[lang], model.predict(features(rs)).tolist())
                         for lang, rs in evals.items()}

    def lengths(rs):
        return [[len(r[f].split()) for f in fields] for r in rs]

    score("length", lengths, _fit(lengths(train), y))
    if len(fields) == 2:
        def overlap(rs):
            return [_pair_features(r[fields[0]], r[fields[1]]) for r in rs]

        score("overlap", overlap, _fit(overlap(train), y))
        bag = CountVectorizer(token_pattern=r"\S+").fit([r[fields[1]] for r in train])
        score("second only", lambda rs: bag.transform([r[fields[1]] for r in rs]),
              _fit(bag.transform([r[fields[1]] for r in train]), y))
    return out


def _tagging(spec, train, evals) -> dict[str, dict[str, float]]:
    # Here, not at the top: eval.metrics loads torch, which the report stage needs nowhere else.
    from xstilts.eval.metrics import tagging_f1

    tags = Counter(t for r in train for t in r[spec.label_field])
    common = spec.labels[tags.most_common(1)[0][0]]
    out = {}
    for lang, rs in evals.items():
        gold = [[spec.labels[t] for t in r[spec.label_field]] for r in rs]
        out[lang] = 100 * tagging_f1(gold, [[common] * len(g) for g in gold])
    return {"majority": out}


def _choice(spec, train, evals) -> dict[str, dict[str, float]]:
    y = [label_id(spec, r[spec.label_field]) for r in train]
    majority = Counter(y).most_common(1)[0][0]

    def options(r):
        return spec.choices(r)

    def by_rule(rs, rule):
        return [rule(*options(r)) for r in rs]

    def longest(_, opts):
        return max(range(len(opts)), key=lambda i: len(opts[i].split()))

    def shortest(_, opts):
        return min(range(len(opts)), key=lambda i: len(opts[i].split()))

    def most_shared(context, opts):
        words = set(context.split())
        return max(range(len(opts)), key=lambda i: len(words & set(opts[i].split())))

    length = max((longest, shortest), key=lambda rule: accuracy(y, by_rule(train, rule)))
    out = {}
    for name, rule in (("majority", lambda *_: majority), ("length", length),
                       ("overlap", most_shared)):
        out[name] = {lang: 100 * accuracy([label_id(spec, r[spec.label_field]) for r in rs],
                                          by_rule(rs, rule)) for lang, rs in evals.items()}
    return out


def _span_at(context: str, start: int, length: int) -> str:
    words = context.split()
    return " ".join(words[min(start, max(len(words) - length, 0)):][:length])


def _span(spec, train, evals) -> dict[str, dict[str, float]]:
    from xstilts.eval.metrics import squad_scores  # see _tagging

    positions = Counter()
    for r in train:
        texts, starts = r["answers"]["text"], r["answers"]["answer_start"]
        if texts:
            positions[len(r["context"][:starts[0]].split()), len(texts[0].split())] += 1
    (start, length), _ = positions.most_common(1)[0]
    out: dict[str, dict[str, float]] = {"position": {}}
    if spec.unanswerable:
        out["majority"] = {}
    for lang, rs in evals.items():
        refs = {str(i): r["answers"]["text"] for i, r in enumerate(rs)}
        guess = squad_scores({str(i): _span_at(r["context"], start, length)
                              for i, r in enumerate(rs)}, refs, lang)
        out["position"][lang] = 50 * (guess["exact_match"] + guess["f1"])
        if spec.unanswerable:
            blank = squad_scores({str(i): "" for i in range(len(rs))}, refs, lang)
            out["majority"][lang] = 50 * (blank["exact_match"] + blank["f1"])
    return out


BASELINES = {"classification": _classification, "tagging": _tagging,
             "multiple_choice": _choice, "span": _span}


def _chance(spec: TaskSpec) -> float:
    if spec.type in ("classification", "multiple_choice"):
        return 100 / spec.num_labels
    return 0.0


def task_shortcuts(data_dir: Path, spec: TaskSpec, languages: list[str],
                   trained: dict[str, tuple[set, set]]) -> TaskShortcuts | None:
    """Baselines and leakage of one task; None when its files are not there."""
    # Intermediate tasks are scored on their English dev set (their test sets are unlabelled).
    split = next((s for s in (spec.eval_split, "validation")
                  if task_file(data_dir, spec.name, s, "en").is_file()), spec.eval_split)
    train_spec = TASKS[spec.train_from] if spec.train_from else spec
    if not task_file(data_dir, train_spec.name, "train", "en").is_file():
        return None
    evals = {lang: load_records(data_dir, spec, split, lang) for lang in languages
             if task_file(data_dir, spec.name, split, lang).is_file()}
    train = load_records(data_dir, train_spec, "train", "en")[:FIT_LIMIT]
    found = TaskShortcuts(spec.name, split, _chance(spec))
    found.baselines = BASELINES[spec.type](spec, train, evals)
    found.found = {lang: leaked(spec, rs, trained[lang]) for lang, rs in evals.items()}
    return found


def word_precision(records: list[dict], field_name: str, label_field: str,
                   min_share: float = 0.05) -> tuple[str, str, float, float]:
    """The word whose presence best predicts one label, among words in at least ``min_share``
    of the items: (word, label, precision %, share of items %)."""
    by_word: dict[str, Counter] = {}
    for r in records:
        for word in set(r[field_name].split()):
            by_word.setdefault(word, Counter())[str(r[label_field])] += 1
    best = ("", "", 0.0, 0.0)
    for word, labels in by_word.items():
        n = sum(labels.values())
        if n < min_share * len(records):
            continue
        label, hits = labels.most_common(1)[0]
        if 100 * hits / n > best[2]:
            best = (word, label, 100 * hits / n, 100 * n / len(records))
    return best


def audit(data_dir: Path, tasks: list[str], languages: list[str]) -> Iterator[TaskShortcuts]:
    """Every named task's baselines and leakage, in ``tasks`` order."""
    trained = {lang: training_items(data_dir, lang) for lang in languages}
    for name in tasks:
        spec = TASKS[name]
        if spec.type == "retrieval":
            found = TaskShortcuts(name, spec.eval_split, 0.0)  # chance: see the report
            found.found = retrieval_leaked(data_dir, spec, languages, trained)
            if found.found:
                yield found
        elif (found := task_shortcuts(data_dir, spec, languages, trained)) is not None:
            yield found
