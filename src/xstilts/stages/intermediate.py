"""Stage `intermediate` (phase 1): train the encoder on one English intermediate task.

``--task none`` is the no-intermediate baseline: the phase-0 encoder passed through unchanged,
so every target is fine-tuned from a directory of the same shape either way.
"""

from pathlib import Path

from xstilts import tracking
from xstilts.data.features import encode, load_records
from xstilts.data.files import publish, write_json
from xstilts.eval.zero_shot import evaluate_classification, summarise
from xstilts.models.task_model import TaskModel, load_encoder
from xstilts.stages.common import device, fingerprint, parse, resume_dir, seed_everything
from xstilts.tasks import INTERMEDIATE_TASKS
from xstilts.train.batching import BucketBatcher
from xstilts.train.loop import LoopConfig, train
from xstilts.train.objectives import task_loss


def loop_config(params, steps: int, seed: int) -> LoopConfig:
    t = params.train
    return LoopConfig(steps=steps, lr=t.lr, warmup_ratio=t.warmup_ratio,
                      weight_decay=t.weight_decay, grad_accum=t.grad_accum,
                      max_grad_norm=t.max_grad_norm, seed=seed,
                      checkpoint_every=t.checkpoint_every, bf16=t.bf16)


def train_task(model: TaskModel, tokenizer, spec, data_dir: Path, params, steps: int,
               seed: int, resume_key: dict) -> dict[str, float]:
    """Fit ``model``'s head for ``spec`` (and the encoder) on the task's English train set."""
    model.add_head(spec.name, spec.type, spec.num_labels)
    examples = encode(spec, load_records(data_dir, spec, "train", "en"), tokenizer,
                      params.train.max_length)
    batcher = BucketBatcher(examples, params.train.batch_size, seed, tokenizer.pad_token_id)
    return train(model, task_loss(spec.name), batcher.batch, loop_config(params, steps, seed),
                 resume_dir(spec.name, resume_key),
                 on_log=lambda step, m: tracking.log_metrics(
                     {f"{spec.name}/train_loss": m["loss"]}, step))


def main(argv=None) -> None:
    def add(p):
        p.add_argument("--task", required=True, choices=["none", *INTERMEDIATE_TASKS])
        p.add_argument("--seed", type=int, required=True)
        p.add_argument("--pretrained", type=Path, required=True)
        p.add_argument("--data", type=Path, required=True)
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--metrics", type=Path, required=True)

    args, params = parse(__doc__, argv, add)
    seed_everything(args.seed)
    encoder, tokenizer = load_encoder(args.pretrained)
    model = TaskModel(encoder, {}).to(device())
    run_params = {"task": args.task, "seed": args.seed,
                  "train": params.train.model_dump(), "steps": params.intermediate.steps}
    with tracking.stage_run(params, "intermediate", f"intermediate-{args.task}-s{args.seed}",
                            run_params):
        metrics = {}
        if args.task != "none":
            spec = INTERMEDIATE_TASKS[args.task]
            train_task(model, tokenizer, spec, args.data, params, params.intermediate.steps,
                       args.seed, {"pretrained": fingerprint(args.pretrained), **run_params})
            dev = evaluate_classification(model, tokenizer, spec, args.data, ["en"],
                                          "validation", params.eval.batch_size,
                                          params.train.max_length)
            metrics = summarise(spec.name, spec.metric, dev)
            tracking.log_metrics(metrics)
        with publish(args.out) as tmp:
            model.save(tmp, tokenizer)
        write_json(args.metrics, metrics)
    print(f"intermediate {args.task} (seed {args.seed}): {metrics or 'baseline, no training'}")


if __name__ == "__main__":
    main()
