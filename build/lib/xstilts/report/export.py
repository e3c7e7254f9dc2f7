"""Machine-readable outputs for DVC: ``summary.json`` (metrics: ``dvc metrics diff`` and
``dvc exp show`` compare experiments on it) and CSV tables (plots: ``dvc plots diff``).

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


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
