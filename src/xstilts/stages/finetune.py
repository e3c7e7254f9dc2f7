"""Stage `finetune` + zero-shot evaluation (phases 2 and 3) of every target after one
intermediate checkpoint.

For each target task: fine-tune the intermediate checkpoint on the target's English training
set, then score the model on the target's test set in every language with the head trained on
English. Targets that learn from the same training set with the same settings share one
fine-tuning, as in XTREME: XQuAD and MLQA are both scored with the model trained on SQuAD.

One process serves all targets of an intermediate checkpoint because an interpreter start,
the library imports and the tracking connection cost as much as a small fine-tuning; each
target is still seeded on its own, so its result does not depend on the other targets.
Models are registered (each target's ``champion`` if it beats the current one) only once
every target has succeeded: a failed stage registers nothing and keeps its previous outputs.
"""

from pathlib import Path

from xstilts import tracking
from xstilts.data.files import publish, write_json
from xstilts.eval.zero_shot import evaluate_target, summarise
from xstilts.models.task_model import load_task_model
from xstilts.stages.cli import parse, run
from xstilts.stages.common import (
    device,
    eval_precision,
    fingerprint,
    languages_of,
    max_length,
    seed_everything,
)
from xstilts.stages.intermediate import train_heads
from xstilts.tasks import FINETUNE_TARGETS, TASKS


def recipes(targets: list[str], params) -> dict[tuple, list[str]]:
    """Targets grouped by what their fine-tuning depends on: (training task, epochs,
    effective batch size, learning rate) -> targets scored with that one model."""
    ft = params.finetune
    groups: dict[tuple, list[str]] = {}
    for target in targets:
        spec = FINETUNE_TARGETS[target]
        key = (spec.train_from or spec.name, ft.epochs.get(target),
               ft.effective_batch_size.get(target), ft.lr.get(target))
        groups.setdefault(key, []).append(target)
    return groups


def main(argv=None) -> None:
    def add(p):
        p.add_argument("--intermediate", required=True, help="intermediate task or 'none'")
        p.add_argument("--seed", type=int, required=True)
        p.add_argument("--model", type=Path, required=True, help="intermediate checkpoint")
        p.add_argument("--data", type=Path, required=True)
        p.add_argument("--out", type=Path, required=True,
                       help="directory of the fine-tuned models, one per training set")
        p.add_argument("--metrics", type=Path, required=True)
        p.add_argument("--targets", nargs="+", choices=sorted(FINETUNE_TARGETS),
                       help="default: finetune.targets of params.yaml")

    args, params = parse(__doc__, argv, add)
    targets = args.targets or list(params.finetune.targets)
    if not args.model.is_dir():
        raise FileNotFoundError(f"{args.model}: intermediate checkpoint missing")
    ft = params.finetune
    name = f"{args.intermediate}-s{args.seed}"
    run_params = {"intermediate": args.intermediate, "targets": targets, "seed": args.seed,
                  "encoder": params.encoder, "train": params.train.model_dump(),
                  "finetune": params.finetune.model_dump(exclude={"targets"})}
    model_hash = fingerprint(args.model)
    metrics: dict[str, float] = {}
    trained_on: dict[str, str] = {}  # target -> directory of its model under --out
    with tracking.stage_run(params, "finetune", f"finetune-{name}", run_params), \
            publish(args.out) as tmp:
        for (train_task, epochs, effective, lr), group in recipes(targets, params).items():
            folder = train_task if train_task not in trained_on.values() else group[0]
            seed_everything(args.seed)
            model, tokenizer = load_task_model(args.model)
            model.to(device())
            # A fresh head named after the group's first target (XQuAD's answers MLQA too);
            # the intermediate checkpoint may hold a head named after the training task.
            head = group[0]
            train_heads(model, tokenizer, {head: TASKS[train_task]}, args.data, params,
                        ft.steps, args.seed,
                        {"model": model_hash, "intermediate": args.intermediate,
                         "seed": args.seed, "train_task": train_task, "epochs": epochs,
                         "effective": effective, "lr": lr, "train": params.train.model_dump(),
                         "steps": ft.steps},
                        epochs=epochs,
                        grad_accum=effective // params.train.batch_size if effective else None,
                        lr=lr)
            for target in group:
                spec = FINETUNE_TARGETS[target]
                with eval_precision(params.train):
                    scores = evaluate_target(model, tokenizer, spec, args.data,
                                             languages_of(params, spec.name), spec.eval_split,
                                             params.eval.batch_size,
                                             max_length(params, spec.type),
                                             params.train.doc_stride, head=head)
                scored = summarise(spec.name, scores)
                tracking.log_metrics(scored)
                metrics.update(scored)
                trained_on[target] = folder
            model.save(tmp / folder, tokenizer)
        versions = {}
        for target in targets:
            spec = FINETUNE_TARGETS[target]
            versions[target] = tracking.register_if_best(
                target, metrics[f"{spec.name}/{spec.metric}/avg"], tmp / trained_on[target],
                {"intermediate": args.intermediate, "seed": args.seed,
                 "encoder": params.encoder}, artifact_path=f"model/{trained_on[target]}")
    write_json(args.metrics, {"intermediate": args.intermediate, "seed": args.seed,
                              "encoder": params.encoder,
                              "targets": {t: {"model": trained_on[t],
                                              "registered_version": versions[t]}
                                          for t in targets},
                              "metrics": metrics})
    for target in targets:
        spec = FINETUNE_TARGETS[target]
        avg = metrics[f"{spec.name}/{spec.metric}/avg"]
        print(f"finetune {args.intermediate}__{target}-s{args.seed}: mean {spec.metric} "
              f"{avg:.3f}" + (f", registered as champion v{versions[target]}"
                              if versions[target] else ""))


if __name__ == "__main__":
    run(main)
