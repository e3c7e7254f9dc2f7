"""Statistics of the report, as pure functions of plain dicts (any task or language names).

Scores are XTREME points (0-100). A task's score is the mean over its languages; the XTREME
score is the unweighted mean of the task scores and each group score the mean of its tasks'.
Uncertainty is over seeds: the 95% confidence interval of a mean from Student's t.
"""

import math
from dataclasses import dataclass
from statistics import mean, stdev

from scipy.stats import spearmanr
from scipy.stats import t as student_t

GROUPS = ("classification", "structured", "qa", "retrieval")  # XTREME's four task groups
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A mean over seeds and the half-width of its confidence interval (None: one seed)."""

    mean: float
    half_width: float | None
    n: int

    def fmt(self, digits: int = 1, signed: bool = False) -> str:
        sign = "+" if signed else ""
        text = f"{self.mean:{sign}.{digits}f}"
        return text if self.half_width is None else f"{text} ± {self.half_width:.{digits}f}"


def estimate(values: list[float], confidence: float = CONFIDENCE) -> Estimate:
    """Mean and t-interval half-width ``t(1-(1-c)/2, n-1) * s / sqrt(n)`` of seed values."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("estimate of no values")
    n = len(values)
    if n == 1:
        return Estimate(values[0], None, 1)
    q = student_t.ppf(1 - (1 - confidence) / 2, n - 1)
    return Estimate(mean(values), float(q * stdev(values) / math.sqrt(n)), n)


def task_score(by_lang: dict[str, float]) -> float:
    """XTREME's task score: the unweighted mean over the task's languages."""
    return mean(by_lang.values())


def gap(by_lang: dict[str, float], english: str = "en") -> float | None:
    """Cross-lingual gap: English minus the mean of the other languages (None without
    English, as in the retrieval tasks, or without another language)."""
    others = [s for lang, s in by_lang.items() if lang != english]
    if english not in by_lang or not others:
        return None
    return by_lang[english] - mean(others)


def em_f1(exact_match: float, f1: float) -> float:
    """XTREME's QA score of one language: the mean of exact match and F1."""
    return (exact_match + f1) / 2


def xtreme_scores(task_scores: dict[str, float], groups: dict[str, str]) -> dict[str, float]:
    """``overall`` (unweighted mean of the tasks) and the mean of each group present.

    ``groups`` maps each task to its XTREME group; tasks without one count only overall."""
    out = {"overall": mean(task_scores.values())}
    for group in GROUPS:
        members = [s for task, s in task_scores.items() if groups.get(task) == group]
        if members:
            out[group] = mean(members)
    return out


def rank_correlation(x: list[float], y: list[float]) -> float | None:
    """Spearman's rho, or None where it is undefined (fewer than 3 points, a constant)."""
    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    rho = spearmanr(x, y).statistic
    return None if math.isnan(rho) else float(rho)
