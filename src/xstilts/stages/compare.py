"""The research answer: does CLIP pretraining of the encoder shrink the cross-lingual gap?

Reads the fine-tuning runs of both encoders from MLflow (every DVC experiment logs there, so
run `dvc exp run` with `encoder=xlmr` and `encoder=clip`, with several seeds, first) and writes
``<out>/clip_vs_xlmr.md`` and ``<out>/clip_vs_xlmr.png``: per target and language, the score
and the English-minus-language gap of both encoders, the difference of the gap (CLIP minus
XLM-R, paired by seed) with its 95 % confidence interval, and one verdict per target.

    python -m xstilts.stages.compare --intermediate none --out reports/compare
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from xstilts import tracking  # noqa: E402
from xstilts.report.stats import estimate  # noqa: E402
from xstilts.stages.cli import parse, run  # noqa: E402
from xstilts.tasks import FINETUNE_TARGETS  # noqa: E402

ENCODERS = ("xlmr", "clip")


def latest_cells(runs, intermediate: str, setup: str, encoders: dict[str, str]
                 ) -> dict[tuple[str, str, int], dict[str, float]]:
    """(encoder, target, seed) -> metrics of the newest finished fine-tuning run of the
    study ``setup`` (:func:`tracking.setup_key`: runs with other languages, data or training
    settings are another study, whatever their encoder) whose encoder is the one
    ``encoders`` names (:func:`tracking.encoder_key`: a CLIP of other settings is another)."""
    cells: dict = {}
    for r in sorted(runs, key=lambda r: r.info.start_time):
        p = r.data.params
        if r.info.status != "FINISHED" or p.get("intermediate") != intermediate \
                or p.get("setup") != setup:
            continue
        if p.get("encoder") not in ENCODERS or \
                p.get("encoder_setup") != encoders[p["encoder"]]:
            continue
        for target, spec in FINETUNE_TARGETS.items():  # a run scores one or more targets
            if f"{target}/{spec.metric}/avg" in r.data.metrics:
                cells[(p["encoder"], target, int(p["seed"]))] = r.data.metrics
    return cells


def compare_target(cells, target: str) -> tuple[list[str], str, dict] | None:
    """Table rows, the verdict and plot data for one target; None without both encoders."""
    spec = FINETUNE_TARGETS[target]
    seeds = sorted({s for (e, t, s) in cells if t == target and e == "xlmr"}
                   & {s for (e, t, s) in cells if t == target and e == "clip"})
    if not seeds:
        return None
    prefix = f"{target}/{spec.metric}/"

    def scores(encoder, seed):
        m = cells[(encoder, target, seed)]
        return {k[len(prefix):]: v for k, v in m.items()
                if k.startswith(prefix) and k[len(prefix):] not in ("avg", "gap")}

    langs = [lang for lang in scores("xlmr", seeds[0]) if lang != "en"]
    rows, gaps = [], {}
    for lang in langs:
        per = {e: [scores(e, s) for s in seeds] for e in ENCODERS}
        score = {e: estimate([100 * x[lang] for x in per[e]]) for e in ENCODERS}
        gap = {e: estimate([100 * (x["en"] - x[lang]) for x in per[e]]) for e in ENCODERS}
        diff = estimate([100 * ((c["en"] - c[lang]) - (x["en"] - x[lang]))
                         for x, c in zip(per["xlmr"], per["clip"])])
        gaps[lang] = (gap["xlmr"].mean, gap["clip"].mean)
        rows.append(f"| {target} | {lang} | {score['xlmr'].fmt()} | {score['clip'].fmt()} | "
                    f"{gap['xlmr'].fmt()} | {gap['clip'].fmt()} | {diff.fmt(signed=True)} |")
    mean_diff = estimate([100 * (sum((c["en"] - c[lang]) - (x["en"] - x[lang])
                                     for lang in langs) / len(langs))
                          for x, c in zip(*([scores(e, s) for s in seeds] for e in ENCODERS))])
    if mean_diff.half_width is None:
        verdict = f"{target}: one seed only (gap change {mean_diff.fmt(signed=True)}); " \
                  "run 3 or more seeds for a verdict"
    elif abs(mean_diff.mean) <= mean_diff.half_width:
        verdict = f"{target}: no significant difference ({mean_diff.fmt(signed=True)} points)"
    elif mean_diff.mean < 0:
        verdict = f"{target}: CLIP reduces the gap by {-mean_diff.mean:.1f} ± " \
                  f"{mean_diff.half_width:.1f} points"
    else:
        verdict = f"{target}: CLIP widens the gap by {mean_diff.mean:.1f} ± " \
                  f"{mean_diff.half_width:.1f} points"
    return rows, verdict, gaps


def plot(gaps_by_target: dict[str, dict], path: Path) -> None:
    fig, axes = plt.subplots(1, len(gaps_by_target), figsize=(4 * len(gaps_by_target), 3.2),
                             squeeze=False)
    for ax, (target, gaps) in zip(axes[0], gaps_by_target.items()):
        langs = list(gaps)
        x = range(len(langs))
        ax.bar([i - 0.2 for i in x], [gaps[g][0] for g in langs], 0.4, label="xlmr")
        ax.bar([i + 0.2 for i in x], [gaps[g][1] for g in langs], 0.4, label="clip")
        ax.set_xticks(list(x), langs, rotation=45, ha="right")
        ax.set_title(target)
        ax.set_ylabel("gap to English (points)")
    axes[0][0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> None:
    def add(p):
        p.add_argument("--intermediate", default="none", help="intermediate task of the cells")
        p.add_argument("--out", type=Path, default=Path("reports/compare"))

    args, params = parse(__doc__, argv, add)
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking.tracking_uri(params))
    exp = client.get_experiment_by_name(params.tracking.experiment)
    runs = client.search_runs([exp.experiment_id], "tags.`xstilts.stage` = 'finetune'",
                              max_results=50_000) if exp else []
    cells = latest_cells(runs, args.intermediate, tracking.setup_key(params),
                         {e: tracking.encoder_key(params, e) for e in ENCODERS})
    lines = ["# CLIP vs XLM-R: the cross-lingual gap", "",
             f"Intermediate task: `{args.intermediate}`. Points = score x 100; gap = English "
             "minus the language; diff = CLIP's gap minus XLM-R's (negative: CLIP transfers "
             "better), mean ± 95 % CI over seeds paired by seed. The seeds are those of "
             "phases 1-3: each encoder was trained once (`pretrain.seed`), so the interval "
             "leaves out how much training the encoders themselves varies.", "",
             f"CLIP settings paired: `{tracking.encoder_key(params, 'clip')}` "
             f"(caption_languages {params.clip.caption_languages}, image_tower "
             f"{params.clip.image_tower}, {params.clip.steps} steps); runs of other CLIP "
             "settings are left out.", "",
             "| target | language | xlmr | clip | gap xlmr | gap clip | diff |",
             "|---|---|---|---|---|---|---|"]
    verdicts, gaps = [], {}
    for target in FINETUNE_TARGETS:
        result = compare_target(cells, target)
        if result:
            rows, verdict, gaps[target] = result
            lines += rows
            verdicts.append(f"- {verdict}")
    if not verdicts:
        raise SystemExit("error: no target has fine-tuning runs of both encoders with the "
                         "other params and the clip settings "
                         f"({tracking.encoder_key(params, 'clip')}) of params.yaml in "
                         f"{tracking.tracking_uri(params)}; run "
                         "`dvc exp run -S encoder=clip` and `dvc exp run -S encoder=xlmr` "
                         "first")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "clip_vs_xlmr.md").write_text("\n".join(lines + ["", *verdicts, ""]))
    plot(gaps, args.out / "clip_vs_xlmr.png")
    print("\n".join(verdicts))


if __name__ == "__main__":
    run(main)
