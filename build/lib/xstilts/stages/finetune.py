"""Stages `finetune` + zero-shot evaluation (phases 2 and 3) of one target task.

Fine-tunes an intermediate checkpoint on the target's English training set, then scores the
model on the target's test set in every language with the head trained on English, and
registers it as the target's ``champion`` if it beats the current one. Evaluation runs in the
same process as training because reloading each of the study's models in a separate stage
would add a model load and an interpreter start per cell of the matrix.
"""

from pathlib import Path

from xstilts import tracking
from xstilts.data.files import publish, write_json
from xstilts.eval.zero_shot import evaluate_target, summarise
from xstilts.models.task_model import load_task_model
from xstilts.stages.common import (
    device,
    fingerprint,
    languages_of,
    max_length,
    parse,
    run,
    seed_everything,
)
from xstilts.stages.intermediate import train_heads
from xstilts.tasks import FINETUNE_TARGETS, TASKS


def main(argv=None) -> None:
    def add(p):
        p.add_argument("--intermediate", required=True, help="intermediate task or 'none'")
        p.add_argument("--target", required=True, choices=sorted(FINETUNE_TARGETS))
        p.add_argument("--seed", type=int, required=True)
        p.add_argument("--model", type=Path, required=True, help="intermediate checkpoint")
        p.add_argument("--data", type=Path, required=True)
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--metrics", type=Path, required=True)

    args, params = parse(__doc__, argv, add)
    spec = FINETUNE_TARGETS[args.target]
    seed_everything(args.seed)
    model, tokenizer = load_task_model(args.model)
    model.to(device())
    run_params = {"intermediate": args.intermediate, "target": args.target, "seed": args.seed,
                  "encoder": params.encoder, "train": params.train.model_dump(),
                  "finetune": params.finetune.model_dump(exclude={"targets"})}
    name = f"{args.intermediate}__{args.target}-s{args.seed}"
    with tracking.stage_run(params, "finetune", f"finetune-{name}", run_params):
        # XQuAD and MLQA have no training set of their own: they learn from SQuAD's.
        train_spec = TASKS[spec.train_from] if spec.train_from else spec
        ft = params.finetune
        effective = ft.effective_batch_size.get(spec.name)
        train_heads(model, tokenizer, {spec.name: train_spec}, args.data, params, ft.steps,
                    args.seed, {"model": fingerprint(args.model), **run_params},
                    epochs=ft.epochs.get(spec.name),
                    grad_accum=effective // params.train.batch_size if effective else None)
        scores = evaluate_target(model, tokenizer, spec, args.data,
                                 languages_of(params, spec.name), spec.eval_split,
                                 params.eval.batch_size, max_length(params, spec.type),
                                 params.train.doc_stride)
        metrics = summarise(spec.name, scores)
        tracking.log_metrics(metrics)
        with publish(args.out) as tmp:
            model.save(tmp, tokenizer)
            version = tracking.register_if_best(
                args.target, metrics[f"{spec.name}/{spec.metric}/avg"], tmp,
                {"intermediate": args.intermediate, "seed": args.seed,
                 "encoder": params.encoder})
        write_json(args.metrics, {"intermediate": args.intermediate, "target": args.target,
                                  "seed": args.seed, "encoder": params.encoder,
                                  "registered_version": version, "metrics": metrics})
    avg = metrics[f"{spec.name}/{spec.metric}/avg"]
    print(f"finetune {name}: mean {spec.metric} {avg:.3f}"
          + (f", registered as champion v{version}" if version else ""))


if __name__ == "__main__":
    run(main)
