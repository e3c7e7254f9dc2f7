"""What a study's data hold, for the dry run (``xstilts.cost``): examples and tokens per example
of each file, counted with the study's tokenizer as the stages encode them (one sequence per
choice, QA contexts in windows), and the bytes of the predictions a fine-tuning keeps. Before
the download, real mode falls back to the hub's sizes and typical XLM-R lengths
(``TYPICAL``), and says so."""

import json
import random
from collections.abc import Iterable
from pathlib import Path

from xstilts.data.features import encode
from xstilts.data.files import read_jsonl, task_file
from xstilts.eval.zero_shot import prediction_line
from xstilts.phases import HeadTraining
from xstilts.tasks import TASKS

# Real mode before the download: (English training examples, XLM-R tokens per example with
# all choices and windows), and scored tokens per language of each target's eval split.
# Estimates: sizes from the hub's dataset cards, lengths from samples of their records.
TYPICAL = {"mnli": (392_702, 50), "anli": (1_105_719, 49), "qqp": (363_846, 35),
           "sst2": (67_349, 15), "squad": (87_599, 190), "squad_v2": (130_319, 190),
           "hellaswag": (39_905, 260), "cosmosqa": (25_262, 450), "csqa": (9_741, 125),
           "xnli": (392_702, 50), "pawsx": (49_401, 60), "udpos": (21_253, 30),
           "panx": (20_000, 20), "tydiqa": (3_696, 250)}
TYPICAL_EVAL = {"mnli": 9_815 * 50, "anli": 3_200 * 110, "qqp": 40_430 * 35,
                "sst2": 872 * 15, "squad": 10_570 * 190, "squad_v2": 11_873 * 190,
                "hellaswag": 10_042 * 260, "cosmosqa": 2_985 * 450, "csqa": 1_221 * 125,
                "xnli": 5_010 * 50, "pawsx": 2_000 * 60, "udpos": 1_000 * 30,
                "panx": 10_000 * 20, "xquad": 1_190 * 200, "mlqa": 5_000 * 200,
                "tydiqa": 700 * 250, "bucc": 3_000 * 2 * 30, "tatoeba": 1_000 * 2 * 15}



class Counter:
    """Examples and tokens per example of one data file: counted from the file with the
    tokenizer, or the ``TYPICAL`` estimates of real mode."""

    def __init__(self, params, data_dir: Path, tokenizer=None, sample: int = 200):
        self.params, self.data, self.tokenizer, self.sample = params, data_dir, tokenizer, sample
        self.lengths = HeadTraining.of(params)  # the input lengths the stages encode with
        self.estimated: set[str] = set()

    def file(self, task: str, split: str, lang: str) -> tuple[int, float]:
        """(records or windows, mean tokens each) of one file."""
        path = task_file(self.data, task, split, lang)
        if self.tokenizer is None or not path.is_file():
            if self.params.data.source != "hf" or task not in TYPICAL:
                raise FileNotFoundError(f"{path}: no data to count; run `dvc repro generate`")
            self.estimated.add(task)
            return TYPICAL[task]
        spec = TASKS[task]
        records = read_jsonl(path, spec.required_fields)
        picked = random.Random(0).sample(records, min(self.sample, len(records)))
        if spec.type == "retrieval":
            tokens = sum(len(self.tokenizer(r[f])["input_ids"]) for r in picked
                         for f in spec.text_fields if r[f])
            return len(records), tokens / max(1, len(picked))
        features = encode(spec, picked, self.tokenizer, self.lengths.length(spec.type),
                          stride=self.params.train.doc_stride)
        tokens = sum(sum(map(len, f["input_ids"])) if spec.type == "multiple_choice"
                     else len(f["input_ids"]) for f in features)
        per_record = len(features) / max(1, len(picked))
        return round(len(records) * per_record), tokens / max(1, len(features))

    def predictions(self, task: str, split: str, languages: Iterable[str]) -> float:
        """Bytes of the predictions kept for ``task`` (lines as long as the gold answers'
        would be; before the download, 8 bytes a scored token)."""
        spec, total = TASKS[task], 0.0
        for lang in languages:
            path = task_file(self.data, task, split, lang)
            if not path.is_file():
                total += 8 * self.scored(task, split, [lang])
                continue
            records = read_jsonl(path, spec.required_fields)
            picked = random.Random(0).sample(list(enumerate(records)),
                                             min(self.sample, len(records)))
            lines = [json.dumps(prediction_line(n, r, _gold(spec, r)), ensure_ascii=False)
                     for n, r in picked]
            total += len(records) * (sum(len(x.encode()) + 1 for x in lines)
                                     / max(1, len(lines)))
        return total

    def scored(self, task: str, split: str, languages: Iterable[str]) -> float:
        total = 0.0
        for lang in languages:
            if self.tokenizer is None and self.params.data.source == "hf":
                self.estimated.add(task)
                total += TYPICAL_EVAL[task]
                continue
            n, per = self.file(task, split, lang)
            total += n * per
        return total


def _gold(spec, record):
    """A record's answer as a prediction line holds it."""
    gold = record["answers"]["text"][:1] if spec.type == "span" else record[spec.label_field]
    if spec.type == "span":
        return gold[0] if gold else ""
    if spec.type == "tagging":
        return [spec.labels[t] if isinstance(t, int) else t for t in gold]
    return spec.labels[gold] if spec.labels and isinstance(gold, int) else gold
