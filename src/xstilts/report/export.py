"""Machine-readable outputs for DVC and MLflow: ``headline.json`` (the study's headline
metrics, the columns ``dvc exp show`` leads with and the metrics of the MLflow report run),
``summary.json`` (every cell: ``dvc metrics diff``) and CSV tables (``dvc plots diff``).

summary.json stays small and flat enough to read in ``dvc exp show``:
``{target: {intermediate: {score, ci, gap}}, "xtreme": {intermediate: {overall, <groups>}},
"checks": {...}}``; ``ci`` (the 95% half-width) only with several seeds, ``gap`` only for
tasks scored in English. Values are XTREME points rounded to 3 decimals.
"""

import csv
from pathlib import Path

from xstilts.report.analysis import Study
from xstilts.report.checks import Check

DIGITS = 3


def _r(x: float) -> float:
    return round(float(x), DIGITS)


def headline(study: Study) -> dict[str, float]:
    """The study's headline, one flat key per number, named as the MLflow report run's
    metrics: per intermediate setting ``xtreme/<inter>`` (XTREME score), ``xtreme_<group>/
    <inter>``, ``<task>/avg/<inter>`` (each target's score) and ``gap/<inter>`` (the mean
    over targets scored in English of English minus the other languages' mean)."""
    out: dict[str, float] = {}
    for inter in study.intermediates:
        out[f"xtreme/{inter}"] = _r(study.est(inter, "overall").mean)
        gaps = [c.gap.mean for t in study.targets
                if (c := study.cells[t.name][inter]).gap is not None]
        if gaps:
            out[f"gap/{inter}"] = _r(sum(gaps) / len(gaps))
    for inter in study.intermediates:
        for group in study.keys[1:]:
            out[f"xtreme_{group}/{inter}"] = _r(study.est(inter, group).mean)
        for t in study.targets:
            out[f"{t.name}/avg/{inter}"] = _r(study.cells[t.name][inter].score.mean)
    return out


def summary(study: Study, checks: list[Check]) -> dict:
    out: dict = {}
    for t in study.targets:
        out[t.name] = {}
        for inter, cell in study.cells[t.name].items():
            entry = {"score": _r(cell.score.mean)}
            if cell.score.half_width is not None:
                entry["ci"] = _r(cell.score.half_width)
            if cell.gap is not None:
                entry["gap"] = _r(cell.gap.mean)
            out[t.name][inter] = entry
    out["xtreme"] = {i: {k: _r(study.est(i, k).mean) for k in study.keys}
                     for i in study.intermediates}
    out["checks"] = {k: v for c in checks for k, v in c.numbers.items()}
    return out


def matrix_rows(study: Study) -> list[dict]:
    """One row per (intermediate, target or XTREME score): the long table DVC plots read."""
    rows = []
    keys = [(t.name, t.name) for t in study.targets]
    keys += [(k, "xtreme" if k == "overall" else f"xtreme_{k}") for k in study.keys]
    for key, label in keys:
        for inter in study.intermediates:
            e = study.est(inter, key)
            rows.append({"cell": f"{label}/{inter}", "target": label, "intermediate": inter,
                         "score": _r(e.mean),
                         "ci": "" if e.half_width is None else _r(e.half_width)})
    return rows


def xtreme_rows(study: Study) -> list[dict]:
    """One row per intermediate task with its XTREME and group scores."""
    return [{"intermediate": i, **{k: _r(study.est(i, k).mean) for k in study.keys}}
            for i in study.intermediates]


def gap_rows(study: Study) -> list[dict]:
    """The drop from English of every language of every cell scored in English, against the
    language's designed distance: the long table of the gap-vs-distance plot."""
    rows = []
    for t in study.targets:
        if "en" not in t.languages:
            continue
        for inter, cell in study.cells[t.name].items():
            en = cell.languages["en"].mean
            rows += [{"cell": f"{t.name}/{inter}", "target": t.name, "intermediate": inter,
                      "language": lang, "distance": _r(study.distance[lang]),
                      "drop": _r(en - cell.languages[lang].mean)}
                     for lang in t.languages if lang != "en"]
    return rows


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
