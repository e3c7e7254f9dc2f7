"""Stage `finetune` + zero-shot evaluation (phases 2 and 3) of every target after one
intermediate checkpoint: fine-tune on the target's English training set, score the test set
in every language with the head trained on English. Targets with one training set and the
same settings share a fine-tuning (``phases.recipes``: XQuAD and MLQA share SQuAD's). One
process serves every target of a checkpoint (a process start costs as much as a small
fine-tuning); on a CPU, one-thread workers side by side. A failed stage registers nothing and
keeps its previous outputs. Per training set it writes ``encoder/`` (not with
``finetune.weights: registered``: the registry keeps the champions), the heads and
``predictions/<task>/<split>/<lang>.jsonl``."""

import shutil
import sys
from pathlib import Path

from xstilts import phases, tracking
from xstilts.config import languages_of
from xstilts.data.files import publish, write_json
from xstilts.eval.zero_shot import evaluate_target, summarise, write_predictions
from xstilts.models.task_model import load_task_model
from xstilts.phases import Recipe
from xstilts.stages import common
from xstilts.stages.cli import note_worker_peak, parse, quiet_libraries, run, threads
from xstilts.tasks import FINETUNE_TARGETS, TASKS
from xstilts.workers import pool as worker_pool
from xstilts.workers import run_all


def fine_tune(recipe: Recipe, model_dir: Path, model_hash: str, data_dir: Path, out: Path,
              params, intermediate: str, seed: int, log=tracking.log_metrics
              ) -> dict[str, dict[str, float]]:
    """Fine-tune the intermediate checkpoint on the recipe's training set, save the model
    under ``out``, and return each of its targets' scores (``task/metric/lang`` -> value),
    with the English dev score it is selected on (``TaskSpec.dev_metric``)."""
    ft = params.finetune
    common.seed_everything(seed)
    model, tokenizer = load_task_model(model_dir)
    model.to(common.device())
    # A fresh head named after the group's first target (XQuAD's answers MLQA too); the
    # intermediate checkpoint may hold a head named after the training task.
    head = recipe.targets[0]
    accum = recipe.effective // params.train.batch_size if recipe.effective else None
    loop = common.loop_config(params.train, ft.steps, recipe.lr or params.train.lr, seed,
                              accum, heads=True)
    key = {"model": model_hash, "intermediate": intermediate, "seed": seed,
           "train_task": recipe.train_task, "epochs": recipe.epochs,
           "effective": recipe.effective, "lr": recipe.lr,
           "train": params.train.model_dump(), "steps": ft.steps}
    phases.train_heads(model, tokenizer, {head: TASKS[recipe.train_task]}, data_dir,
                       phases.HeadTraining.of(params), loop, common.resume_dir(head, key),
                       epochs=recipe.epochs, log=log)

    predictions = {}

    def score(spec, languages, split):
        with common.eval_precision(params.train):
            by_metric = evaluate_target(
                model, tokenizer, spec, data_dir, languages, split, common.eval_batch(params),
                common.max_length(params, spec.type), params.train.doc_stride, head=head,
                predictions=predictions.setdefault((spec.name, split), {}))
        return summarise(spec.name, by_metric)

    scores = phases.score_targets(recipe.targets, score,
                                  {t: languages_of(params, t) for t in recipe.targets})
    model.save(out / recipe.folder, tokenizer, common.save_dtype(params.train))
    write_predictions(out / recipe.folder / "predictions", predictions)
    return scores


def drop_unregistered_weights(out: Path, folders: set[str]) -> None:
    """``finetune.weights: registered``: the registry keeps the champions' encoders; where the
    store stopped answering, nothing else holds them, and the cells keep them."""
    if tracking.store_lost():
        print("warning: the MLflow store is unreachable: the fine-tuned encoders stay in "
              "this stage's output", file=sys.stderr)
        return
    for folder in sorted(folders):
        shutil.rmtree(out / folder / "encoder")


def main(argv=None) -> None:
    def add(p):
        p.add_argument("--intermediate", required=True, help="intermediate task or 'none'")
        p.add_argument("--seed", type=int, required=True)
        p.add_argument("--model", type=Path, required=True, help="intermediate checkpoint")
        p.add_argument("--data", type=Path, required=True)
        p.add_argument("--out", type=Path, required=True, help="models, heads, predictions")
        p.add_argument("--metrics", type=Path, required=True)
        p.add_argument("--targets", nargs="+", choices=sorted(FINETUNE_TARGETS),
                       help="default: finetune.targets of params.yaml")

    args, params = parse(__doc__, argv, add, ddp=True)
    targets = args.targets or list(params.finetune.targets)
    if not args.model.is_dir():
        raise FileNotFoundError(f"{args.model}: intermediate checkpoint missing")
    name = f"{args.intermediate}-s{args.seed}"
    run_params = {"intermediate": args.intermediate, "targets": targets, "seed": args.seed,
                  "encoder": params.encoder, "setup": tracking.setup_key(params),
                  "encoder_setup": tracking.encoder_key(params),
                  "train": params.train.model_dump(),
                  "finetune": params.finetune.model_dump(exclude={"targets"})}
    model_hash = common.fingerprint(args.model)
    languages = {t: languages_of(params, t) for t in targets}
    batch = params.train.batch_size * params.train.grad_accum
    jobs = sorted(phases.recipes(targets, params.finetune), key=lambda r: -phases.cost(
        r, args.data, params.finetune.steps, batch, languages))
    trained_on = {t: job.folder for job in jobs for t in job.targets}
    metrics: dict[str, float] = {}
    workers = common.worker_count(len(jobs))
    with worker_pool(workers, max(1, threads() // workers), quiet_libraries) as pool, \
            tracking.stage_run(params, "finetune", f"finetune-{name}", run_params), \
            publish(args.out) as tmp:
        trains_on, scores_on = phases.finetune_files(jobs, languages, args.data)
        tracking.log_datasets(trains_on, "training", args.data)
        tracking.log_datasets(scores_on, "evaluation", args.data)
        scores = {t: s for done in run_all(pool, fine_tune, jobs, args.model, model_hash,
                                           args.data, tmp, params, args.intermediate,
                                           args.seed, log=tracking.log_metrics,
                                           on_peak=note_worker_peak)
                  for t, s in done.items()}
        for target in targets:
            tracking.log_metrics(scores[target])
            metrics.update(scores[target])
        versions = {}
        for target in targets:
            spec = FINETUNE_TARGETS[target]
            versions[target] = tracking.register_if_best(
                target, metrics[spec.dev_metric], tmp / trained_on[target], params,
                {"intermediate": args.intermediate, "seed": args.seed,
                 "encoder": params.encoder,
                 "test_score": repr(metrics[f"{spec.name}/{spec.metric}/avg"])},
                artifact_path=f"model/{trained_on[target]}")
        if params.finetune.weights == "registered":
            drop_unregistered_weights(tmp, set(trained_on.values()))
    # Which versions a stage registers depends on the stages that finished before it, so the
    # registry (and the printout below) says it, not this file, which depends on the inputs.
    write_json(args.metrics, {"intermediate": args.intermediate, "seed": args.seed,
                              "from_encoder": params.encoder,
                              "targets": {t: {"model": trained_on[t]} for t in targets},
                              "metrics": metrics})
    alias = tracking.champion_alias(params)
    for target, spec in ((t, FINETUNE_TARGETS[t]) for t in targets):
        registered = f", registered as xstilts-{target}@{alias} (v{versions[target]})"
        print(f"finetune {name} {target}: mean {spec.metric} "
              f"{metrics[f'{spec.name}/{spec.metric}/avg']:.3f}, English dev "
              f"{metrics[spec.dev_metric]:.3f}{registered if versions[target] else ''}")


if __name__ == "__main__":
    run(main)
