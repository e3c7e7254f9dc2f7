"""Stage `report`: the study's tables from every cell's metrics file.

Writes ``<out>/results.md`` (per-language tables per target, baseline vs each intermediate
task, with the cross-lingual gap) and ``<out>/summary.json`` (``dvc metrics`` compares
experiments with it). The checks it prints are computed from the numbers, never typed in.
"""

import json
from pathlib import Path
from statistics import mean

from scipy.stats import spearmanr

from xstilts.data.files import write_json
from xstilts.stages.common import parse
from xstilts.tasks import FINETUNE_TARGETS, RETRIEVAL_TARGETS


def load_cells(directory: Path, names: list[str]) -> dict[str, dict]:
    cells = {}
    for name in names:
        path = directory / f"{name}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing (the stage that writes it has not run)")
        cells[name] = json.loads(path.read_text())["metrics"]
    return cells


def per_language(metrics: dict, task: str, metric: str, langs: list[str]) -> dict[str, float]:
    return {lang: metrics[f"{task}/{metric}/{lang}"] for lang in langs
            if f"{task}/{metric}/{lang}" in metrics}


def seed_mean(cells: list[dict], task, metric, langs) -> dict[str, float]:
    rows = [per_language(c, task, metric, langs) for c in cells]
    return {lang: mean(r[lang] for r in rows) for lang in rows[0]}


def table(title: str, rows: dict[str, dict[str, float]], langs: list[str],
          distance: dict[str, float], chance: float) -> list[str]:
    head = [f"### {title}", "", "| intermediate | " + " | ".join(langs) + " | avg | gap |",
            "|---" * (len(langs) + 3) + "|",
            "| *distance* | " + " | ".join(f"*{distance[lang]:.2f}*" for lang in langs) + " | | |"]
    for name, scores in rows.items():
        others = [scores[lang] for lang in langs if lang != "en" and lang in scores]
        gap = f"{scores['en'] - mean(others):.3f}" if "en" in scores and others else ""
        cells = [f"{scores[lang]:.3f}" if lang in scores else "" for lang in langs]
        head.append(f"| {name} | " + " | ".join(cells)
                    + f" | {mean(scores.values()):.3f} | {gap} |")
    head += ["", f"Chance: {chance:.3f}.", ""]
    return head


def checks(rows: dict[str, dict[str, float]], distance: dict[str, float], chance: float
           ) -> tuple[list[str], dict]:
    """Facts the study should show, each with its value: above chance everywhere, and a drop
    from English that grows with designed distance (Spearman rank correlation)."""
    lines, summary = [], {}
    for name, scores in rows.items():
        non_en = {lang: s for lang, s in scores.items() if lang != "en"}
        worst = min(non_en, key=non_en.get)
        drops = [scores["en"] - non_en[lang] for lang in non_en]
        rho = spearmanr([distance[lang] for lang in non_en], drops).statistic
        summary[name] = {"min_non_en": non_en[worst], "drop_distance_spearman": rho}
        verdict = "yes" if non_en[worst] > chance else "NO"
        lines.append(f"- `{name}`: every language above chance ({chance:.3f})? {verdict} "
                     f"(lowest: {worst} {non_en[worst]:.3f}); drop vs distance Spearman "
                     f"rho = {rho:.2f}")
    return lines, summary


def main(argv=None) -> None:
    def add(p):
        p.add_argument("--data", type=Path, required=True)
        p.add_argument("--finetune-metrics", type=Path, required=True)
        p.add_argument("--retrieval-metrics", type=Path, required=True)
        p.add_argument("--out", type=Path, required=True)

    args, params = parse(__doc__, argv, add)
    langs = params.data.languages
    distance = {code: spec["distance"] for code, spec in
                json.loads((args.data / "languages.json").read_text()).items()}
    inters, seeds = params.intermediate.tasks, params.seeds
    lines = ["# X-STILTs offline study: results", "",
             f"Encoder: `{params.encoder}`; seeds: {seeds}; scores are means over seeds. "
             "Gap = English minus the mean of the other languages.", ""]
    summary: dict = {}
    targets = [(FINETUNE_TARGETS[t], args.finetune_metrics, "{i}__" + t + "-s{s}")
               for t in params.finetune.targets]
    targets += [(RETRIEVAL_TARGETS[t], args.retrieval_metrics, "{i}-s{s}")
                for t in params.eval.retrieval_tasks]
    for spec, directory, pattern in targets:
        rows = {}
        for inter in inters:
            names = [pattern.format(i=inter, s=s) for s in seeds]
            rows[inter] = seed_mean(list(load_cells(directory, names).values()),
                                    spec.name, spec.metric, langs)
        task_langs = [lang for lang in langs if lang in next(iter(rows.values()))]
        lines += table(f"{spec.name} ({spec.metric})", rows, task_langs, distance, spec.chance)
        check_lines, check_summary = checks(rows, distance, spec.chance) \
            if "en" in task_langs else ([], {})
        lines += check_lines + [""]
        summary[spec.name] = {inter: {"avg": mean(r.values()), **check_summary.get(inter, {})}
                              for inter, r in rows.items()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text("\n".join(lines) + "\n")
    write_json(args.out / "summary.json", summary)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
