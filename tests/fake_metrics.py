"""Metrics files as the pipeline writes them, a fake study of nine targets with any names,
and the checks of the report's PNG files: what the tests of the report and its stage read."""

import json
from pathlib import Path

import matplotlib.image

from xstilts.data.files import task_file, write_jsonl

T975_DF1 = 12.706204736174698  # Student's t, 97.5% quantile, 1 degree of freedom (tables)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def write_metrics(path: Path, task: str, metric: str, by_lang: dict[str, float], **extra):
    """Add one task's scores to a metrics file as the pipeline writes it (one file holds
    every task of a stage), with their avg and gap entries."""
    metrics = json.loads(path.read_text())["metrics"] if path.exists() else {}
    metrics.update({f"{task}/{metric}/{lang}": v for lang, v in by_lang.items()})
    metrics[f"{task}/{metric}/avg"] = sum(by_lang.values()) / len(by_lang)
    metrics[f"{task}/{metric}/gap"] = -1.0  # never read: the report recomputes it
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"from_encoder": "xlmr", "seed": 0, **extra,
                                "metrics": metrics}))


def assert_png(path: Path):
    assert path.read_bytes()[:8] == PNG_MAGIC, path
    assert matplotlib.image.imread(path).ndim == 3  # decodes as an image


def write_xnli_test(data: Path, labels_by_lang: dict[str, list[str]]) -> None:
    for lang, labels in labels_by_lang.items():
        write_jsonl(task_file(data, "xnli", "test", lang),
                    [{"sentence1": "a", "sentence2": "b", "gold_label": y} for y in labels])


# --- the study with any task names ---------------------------------------------------------

LANGS = ["en", "l1", "l2", "l3"]
DIST = {"en": 0.0, "l1": 0.2, "l2": 0.5, "l3": 0.8}
SPECS = {  # nine targets as in XTREME, by group
    "cls_a": ("accuracy", "classification"), "cls_b": ("accuracy", "classification"),
    "tag_a": ("f1", "structured"), "tag_b": ("f1", "structured"),
    "qa_a": ("em_f1", "qa"), "qa_b": ("em_f1", "qa"), "qa_c": ("em_f1", "qa"),
    "ret_a": ("accuracy", "retrieval"), "ret_b": ("f1", "retrieval")}
BONUS = {"none": 0.0, "aa": 0.02, "squad": 0.05, "multi": 0.06}  # retrieval gains x4


def fake_value(inter, target, seed, lang):
    group = SPECS[target][1]
    bonus = BONUS[inter] * (4 if group == "retrieval" else 1)
    return 0.8 - 0.3 * DIST[lang] + bonus + 0.01 * seed
