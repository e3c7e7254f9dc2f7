"""PNG plots of the report: per-language bars per target, heatmaps of the matrix (scores and
gains over the baseline) and the drop from English against designed language distance.

Figures are built with ``matplotlib.figure.Figure`` and saved through the Agg canvas, so no
display and no pyplot global state are involved (the stage runs headless under DVC)."""

import math
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from xstilts.report.analysis import Study
from xstilts.report.tables import GROUP_TITLES

DPI = 110


def _colors(n: int) -> list:
    cmap = colormaps["tab20" if n > 10 else "tab10"]
    return [cmap(i % cmap.N) for i in range(n)]


def _save(fig: Figure, path: Path) -> str:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=DPI)
    return path.name


def language_bars(study: Study, out: Path) -> list[str]:
    """One grouped bar chart per target: languages (by distance) x intermediate tasks."""
    names = []
    for t in study.targets:
        inters = list(study.cells[t.name])
        fig = Figure(figsize=(max(6.0, 1.1 * len(t.languages) + 2), 4), layout="constrained")
        ax = fig.add_subplot()
        width = 0.8 / len(inters)
        x = np.arange(len(t.languages))
        for k, (inter, color) in enumerate(zip(inters, _colors(len(inters)), strict=True)):
            cell = study.cells[t.name][inter]
            means = [cell.languages[lang].mean for lang in t.languages]
            errs = [cell.languages[lang].half_width or 0.0 for lang in t.languages]
            ax.bar(x + (k - (len(inters) - 1) / 2) * width, means, width, label=inter,
                   color=color, yerr=errs if any(errs) else None, capsize=2)
        if t.chance:
            ax.axhline(t.chance, color="grey", linestyle="--", linewidth=1, label="chance")
        ax.set_xticks(x, [f"{lang}\n{study.distance[lang]:.2f}" for lang in t.languages])
        ax.set_xlabel("language (designed distance from English)")
        ax.set_ylabel(f"{t.metric} (points)")
        ax.set_title(f"{t.name}: zero-shot score per language")
        ax.legend(fontsize="small", ncols=2, loc="upper right")
        names.append(_save(fig, out / f"languages_{t.name}.png"))
    return names


def _heatmap(values: np.ndarray, rows: list[str], cols: list[str], title: str, path: Path,
             diverging: bool) -> str:
    fig = Figure(figsize=(1.0 * len(cols) + 2.5, 0.45 * len(rows) + 1.8),
                 layout="constrained")
    ax = fig.add_subplot()
    if diverging:  # gains: white at zero, red below, blue above
        bound = float(np.nanmax(np.abs(values))) or 1.0
        image = ax.imshow(values, cmap="RdBu", vmin=-bound, vmax=bound, aspect="auto")
    else:
        image = ax.imshow(values, cmap="viridis", aspect="auto")
    for (r, c), v in np.ndenumerate(values):
        if not math.isnan(v):
            # Readable on both ends of the colour map: white on strong colours.
            strong = abs(v) > 0.6 * bound if diverging else True
            ax.text(c, r, f"{v:+.1f}" if diverging else f"{v:.1f}", ha="center",
                    va="center", fontsize=8, color="white" if strong else "black")
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="points")
    return _save(fig, path)


def heatmaps(study: Study, out: Path) -> list[str]:
    """The matrix of scores and, with a baseline row, of gains over it."""
    keys = [t.name for t in study.targets] + study.keys
    cols = [GROUP_TITLES.get(k, k) for k in keys]
    scores = np.array([[study.est(i, k).mean for k in keys] for i in study.intermediates])
    names = [_heatmap(scores, study.intermediates, cols, "Scores (mean over seeds)",
                      out / "matrix.png", diverging=False)]
    others = [i for i in study.intermediates if i != study.baseline]
    if study.baseline and others:
        gains = np.array([[study.gain(i, k).mean for k in keys] for i in others])
        names.append(_heatmap(gains, others, cols, "Gain over `none` (points)",
                              out / "matrix_gain.png", diverging=True))
    return names


def drop_vs_distance(study: Study, out: Path) -> list[str]:
    """Per target, the drop from English (or, without English, the score) against designed
    distance, one line per intermediate task."""
    targets = [t for t in study.targets if any(lang != "en" for lang in t.languages)]
    if not targets:
        return []
    ncols = min(3, len(targets))
    nrows = math.ceil(len(targets) / ncols)
    fig = Figure(figsize=(4.6 * ncols, 3.6 * nrows), layout="constrained")
    for n, t in enumerate(targets):
        ax = fig.add_subplot(nrows, ncols, n + 1)
        langs = sorted((lang for lang in t.languages if lang != "en"),
                       key=study.distance.get)
        x = [study.distance[lang] for lang in langs]
        inters = list(study.cells[t.name])
        for inter, color in zip(inters, _colors(len(inters)), strict=True):
            cell = study.cells[t.name][inter]
            en = cell.languages["en"].mean if "en" in cell.languages else None
            y = [(en - cell.languages[lang].mean) if en is not None
                 else cell.languages[lang].mean for lang in langs]
            ax.plot(x, y, marker="o", color=color, label=inter)
        ax.set_title(t.name)
        ax.set_xlabel("designed distance from English")
        ax.set_ylabel("drop from English (points)" if "en" in t.languages
                      else f"{t.metric} (points)")
    fig.axes[0].legend(fontsize="small", ncols=2)
    fig.suptitle("Gap to English vs language distance")
    return [_save(fig, out / "drop_vs_distance.png")]


def draw_all(study: Study, out: Path) -> list[str]:
    """Write every plot into ``out``; the file names written."""
    out.mkdir(parents=True, exist_ok=True)
    return language_bars(study, out) + heatmaps(study, out) + drop_vs_distance(study, out)
