"""The report's Markdown: the XTREME matrix, gains over the baseline, cross-lingual gaps,
per-language tables per target, the paper's numbers, the checks and the plots."""

from collections.abc import Callable

from xstilts.report import paper
from xstilts.report.analysis import Study
from xstilts.report.checks import Check, cell_rho
from xstilts.report.stats import Estimate

GROUP_TITLES = {"overall": "XTREME", "classification": "classif.", "structured": "struct.",
                "qa": "QA", "retrieval": "retrieval"}


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return (["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
            + ["| " + " | ".join(row) + " |" for row in rows] + [""])


def _fmt(e: Estimate | None, signed: bool = False) -> str:
    return "" if e is None else e.fmt(signed=signed)


TITLES = {"synthetic": "# X-STILTs offline study: results",
          "hf": "# X-STILTs on real data (Hugging Face hub): results"}


def header(study: Study, encoder: str, seeds: list[int], source: str) -> list[str]:
    n = len(study.targets)
    spread = ("mean ± half-width of the 95% confidence interval over seeds (Student's t)"
              if len(seeds) > 1 else "one seed: the mean only, no interval")
    return [TITLES[source], "",
            f"Encoder `{encoder}`; seeds {seeds}; {spread}. Scores are XTREME points (x100): "
            "a task's score is the mean over its languages (QA: (EM + F1) / 2 per language), "
            f"XTREME the unweighted mean of the {n} task(s) present (of XTREME's nine), a "
            "group the mean of its tasks. Gap = English minus the mean of the other "
            "languages; rho = Spearman correlation of the drop from English (without "
            "English: of the fall of the score) with designed language distance.", ""]


def matrix(study: Study, value: Callable[[str, str], Estimate | None], title: str,
           inters: list[str], signed: bool = False) -> list[str]:
    """Intermediate x (targets, XTREME, groups) with ``value(inter, key)`` in each cell."""
    keys = [t.name for t in study.targets] + study.keys
    head = ["intermediate", *[GROUP_TITLES.get(k, k) for k in keys]]
    rows = [[f"`{i}`", *[_fmt(value(i, k), signed) for k in keys]] for i in inters]
    return [f"## {title}", "", *_table(head, rows)]


def gaps(study: Study) -> list[str]:
    with_en = [t for t in study.targets if "en" in t.languages]
    if not with_en:
        return []
    head = ["intermediate", *[t.name for t in with_en]]
    rows = [[f"`{i}`", *[_fmt(study.cells[t.name][i].gap) for t in with_en]]
            for i in study.intermediates]
    return ["## Cross-lingual gap (English minus the others' mean; lower is better)", "",
            *_table(head, rows)]


def per_language(study: Study) -> list[str]:
    lines = ["## Per language", ""]
    for t in study.targets:
        head = ["intermediate", *t.languages, "avg", "gap", "rho"]
        rows = [["*distance*", *[f"*{study.distance[lang]:.3f}*" for lang in t.languages],
                 "", "", ""]]
        for inter, cell in study.cells[t.name].items():
            rho = cell_rho(study, t.name, inter)
            rows.append([f"`{inter}`", *[cell.languages[lang].fmt() for lang in t.languages],
                         cell.score.fmt(), _fmt(cell.gap), "" if rho is None else f"{rho:.2f}"])
        lines += [f"### {t.name} ({t.metric}, {t.group}; chance {t.chance:.1f})", "",
                  *_table(head, rows)]
    return lines


def shortcuts_section(study: Study, audited: list) -> list[str]:
    """Each target's best rule that reads no meaning (report/shortcuts.py) beside the fine-tuned
    models' English scores, and how many scored items a training set holds."""
    if not audited:
        return []
    hits = sum(h for found in audited for h, _ in found.found.values())
    items = sum(n for found in audited for _, n in found.found.values())
    rows = []
    for found in audited:
        target = next((t for t in study.targets if t.name == found.task), None)
        if target is None or not found.baselines or "en" not in found.found:
            continue  # retrieval has no rule to fit; a target without English has no margin
        rule, best = found.best("en")
        english = {i: cell.languages["en"] for i, cell in study.cells[found.task].items()
                   if "en" in cell.languages}
        top = max(english, key=lambda i: english[i].mean)
        low = min(english[i].mean for i in english)
        rows.append([found.task, f"{found.chance:.1f}", f"{best:.1f} ({rule})",
                     f"{low:.1f}-{english[top].mean:.1f}", f"{low - best:+.1f}"])
    return ["## What the tasks measure without the skill", "",
            "The best rule that reads no meaning (majority class, word overlap, the second "
            "sentence alone, lengths, answer position; fitted on English training data), beside "
            "the fine-tuned models' English scores (lowest to highest over the intermediate "
            "tasks); margin = lowest model minus the rule.", "",
            *_table(["target", "chance", "best rule, English", "models, English", "margin"],
                    rows),
            f"Scored items (every task and language) found in a training set of their "
            f"language or whole in its phase-0 corpus: **{hits} of {items}**.", ""]


def checks_section(checks: list[Check]) -> list[str]:
    return ["## Checks (computed from the numbers above)", "",
            *[c.line() for c in checks], ""]


def plots_section(pngs: list[str]) -> list[str]:
    return ["## Plots", "", *[f"![{p}](plots/{p})" for p in pngs], ""] if pngs else []


def render(study: Study, checks: list[Check], encoder: str, seeds: list[int],
           notes: list[str], pngs: list[str], source: str = "synthetic",
           audited: list | None = None) -> str:
    """The whole results.md of a study on ``source`` data (``data.source``), with the shortcut
    audit of its data (``report.shortcuts.audit``) where given."""
    lines = header(study, encoder, seeds, source)
    lines += matrix(study, study.est, "Scores: intermediate task x target",
                    study.intermediates)
    lines += paper.section([t.name for t in study.targets], source)
    if study.baseline:
        lines += matrix(study, study.gain, "Gain over no intermediate task (`none`)",
                        [i for i in study.intermediates if i != study.baseline], signed=True)
    lines += gaps(study) + per_language(study) + shortcuts_section(study, audited or [])
    lines += checks_section(checks)
    if notes:
        lines += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    lines += plots_section(pngs)
    return "\n".join(lines)
