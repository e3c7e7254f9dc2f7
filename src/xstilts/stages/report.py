"""Stage `report`: the study's tables, plots and checks from every cell's metrics file.

Writes into ``--out`` (replaced as a whole, atomically; what other commands wrote there, such
as ``compare``, stays):
- ``headline.json``: the study's headline metrics (DVC metrics that ``dvc exp show`` leads
  with; also logged on the MLflow run ``report``, which ends the experiment-level run);
- ``results.md``: the matrix intermediate task x target with XTREME and group scores, the
  paper's real-data numbers beside it, gains over no intermediate task, cross-lingual gaps,
  per-language tables per target, what rules that read no meaning score and how many scored
  items were trained on (report/shortcuts.py), and the checks, each with its value;
- ``summary.json``: DVC metrics (``dvc metrics diff``, ``dvc exp show``);
- ``matrix.csv``, ``xtreme.csv``, ``gap_distance.csv``: DVC plot data (``dvc plots diff``);
- ``plots/*.png``: per-language bars, heatmaps of the matrix, drop vs language distance.
With several seeds every number is a mean with its 95% confidence interval (Student's t).
"""

import json
from dataclasses import replace
from pathlib import Path

from xstilts import tracking
from xstilts.data.files import publish, write_json
from xstilts.report import export, plots, tables
from xstilts.report.analysis import analyse
from xstilts.report.checks import run_checks
from xstilts.report.collect import collect, guessing_score
from xstilts.report.shortcuts import audit
from xstilts.stages.cli import parse, run
from xstilts.tasks import FINETUNE_TARGETS, RETRIEVAL_TARGETS


def main(argv=None) -> None:
    def add(p):
        p.add_argument("--data", type=Path, required=True)
        p.add_argument("--finetune-metrics", type=Path, required=True)
        p.add_argument("--retrieval-metrics", type=Path, required=True)
        p.add_argument("--out", type=Path, required=True)

    args, params = parse(__doc__, argv, add)
    distance = {code: spec["distance"] for code, spec in
                json.loads((args.data / "languages.json").read_text()).items()}
    # Chance of an accuracy: the better of uniform guessing and always answering the most
    # frequent label, so a classifier collapsed to one class never counts as above chance;
    # of retrieval accuracy, a random pick among the candidates.
    specs = {**FINETUNE_TARGETS, **RETRIEVAL_TARGETS}
    for name in [*params.finetune.targets, *params.eval.retrieval_tasks]:
        spec = specs.get(name)
        guess = spec and guessing_score(args.data, spec, params.data.languages)
        if guess:
            specs[name] = replace(spec, chance=max(spec.chance, guess / 100))
    targets, notes = collect(args.finetune_metrics, args.retrieval_metrics,
                             params.intermediate.tasks, params.finetune.targets,
                             params.eval.retrieval_tasks, params.seeds, params.data.languages,
                             specs, params.encoder)
    if not targets:
        raise SystemExit("error: no target of params.yaml is in the task registry")
    study = analyse(targets, params.intermediate.tasks, distance)
    checks = run_checks(study)
    headline = export.headline(study)
    run_params = {"encoder": params.encoder, "seeds": params.seeds,
                  "intermediate": params.intermediate.tasks,
                  "targets": [*params.finetune.targets, *params.eval.retrieval_tasks],
                  "setup": tracking.setup_key(params),
                  "encoder_setup": tracking.encoder_key(params)}
    with tracking.report_run(params, run_params), \
            publish(args.out, keep_others=True) as tmp:
        pngs = plots.draw_all(study, tmp / "plots")
        audited = list(audit(args.data, [*params.finetune.targets,
                                         *params.eval.retrieval_tasks], params.data.languages))
        markdown = tables.render(study, checks, params.encoder, params.seeds, notes, pngs,
                                 params.data.source, audited)
        (tmp / "results.md").write_text(markdown + "\n")
        write_json(tmp / "headline.json", headline)
        write_json(tmp / "summary.json", export.summary(study, checks))
        export.write_csv(tmp / "matrix.csv", export.matrix_rows(study))
        export.write_csv(tmp / "xtreme.csv", export.xtreme_rows(study))
        if gap_rows := export.gap_rows(study):
            export.write_csv(tmp / "gap_distance.csv", gap_rows)
        tracking.log_metrics(headline)
        tracking.log_artifacts(tmp)  # only what this report wrote: compare's files stay out
        tracking.settle_champions(params, params.finetune.targets)
    print(markdown)


if __name__ == "__main__":
    run(main)
