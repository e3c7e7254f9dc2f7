"""The study's estimates: per cell (target x intermediate) and per intermediate (XTREME).

Everything is computed per seed first and summarised over seeds last, so that XTREME and
group scores, and differences between intermediates (paired by seed: the same seed shares
the pretrained encoder), carry their own confidence intervals.
"""

from dataclasses import dataclass, field

from xstilts.report.collect import Target
from xstilts.report.stats import GROUPS, Estimate, estimate, gap, task_score, xtreme_scores

BASELINE = "none"  # the no-intermediate row every gain is measured against
MULTI = "multi"  # all intermediate tasks at once


@dataclass
class Cell:
    """One target after one intermediate task."""

    score: Estimate  # task score (mean over languages)
    gap: Estimate | None  # English minus the other languages' mean
    languages: dict[str, Estimate]


@dataclass
class Study:
    targets: list[Target]
    intermediates: list[str]
    distance: dict[str, float]
    cells: dict[str, dict[str, Cell]] = field(default_factory=dict)  # target -> inter -> Cell
    # inter -> key -> one value per seed; keys: target names, "overall", the groups present
    values: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    @property
    def n_seeds(self) -> int:
        return len(next(iter(self.targets[0].per_seed.values())))

    @property
    def keys(self) -> list[str]:
        """XTREME keys present: overall first, then the groups that have a task."""
        present = {t.group for t in self.targets}
        return ["overall", *[g for g in GROUPS if g in present]]

    @property
    def baseline(self) -> str | None:
        return BASELINE if BASELINE in self.intermediates else None

    @property
    def singles(self) -> list[str]:
        """Intermediate tasks trained alone (neither the baseline nor multi-task)."""
        return [i for i in self.intermediates if i not in (BASELINE, MULTI)]

    def est(self, inter: str, key: str) -> Estimate:
        return estimate(self.values[inter][key])

    def diff(self, a: str, b: str, key: str) -> Estimate:
        """``a`` minus ``b`` on ``key``, paired by seed."""
        return estimate([x - y for x, y in zip(self.values[a][key], self.values[b][key],
                                                       strict=True)])

    def gain(self, inter: str, key: str) -> Estimate | None:
        """Gain over the no-intermediate baseline (None without a baseline row)."""
        return self.diff(inter, self.baseline, key) if self.baseline else None


def analyse(targets: list[Target], intermediates: list[str],
            distance: dict[str, float]) -> Study:
    study = Study(targets, intermediates, distance)
    groups = {t.name: t.group for t in targets}
    for inter in intermediates:
        seeds = range(len(targets[0].per_seed[inter]))
        per_seed = [{t.name: task_score(t.per_seed[inter][s]) for t in targets} for s in seeds]
        rows = [{**scores, **xtreme_scores(scores, groups)} for scores in per_seed]
        study.values[inter] = {key: [row[key] for row in rows] for key in rows[0]}
    for t in targets:
        study.cells[t.name] = {}
        for inter, rows in t.per_seed.items():
            gaps = [gap(r) for r in rows]
            study.cells[t.name][inter] = Cell(
                score=estimate([task_score(r) for r in rows]),
                gap=None if None in gaps else estimate(gaps),
                languages={lang: estimate([r[lang] for r in rows]) for lang in t.languages})
    return study
