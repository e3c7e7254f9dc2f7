"""Stage `intermediate` (phase 1): train the encoder on one English intermediate task.

``--task none`` is the no-intermediate baseline: the phase-0 encoder passed through unchanged,
so every target is fine-tuned from a directory of the same shape either way.
"""

import math
from pathlib import Path

from transformers import AutoModelForMaskedLM

from xstilts import tracking
from xstilts.data.features import encode, load_records
from xstilts.data.files import publish, read_lines, task_file, write_json
from xstilts.eval.zero_shot import evaluate_target, summarise
from xstilts.models.task_model import TaskModel, load_encoder
from xstilts.stages.cli import parse, run
from xstilts.stages.common import (
    device,
    eval_precision,
    fingerprint,
    loop_config,
    max_length,
    resume_dir,
    seed_everything,
)
from xstilts.tasks import INTERMEDIATE_TASKS, TaskSpec
from xstilts.train import distributed
from xstilts.train.batching import BucketBatcher, MultiTaskBatcher
from xstilts.train.loop import train
from xstilts.train.objectives import SparseMLM, masked_lm, task_loss


def epoch_steps(epochs: float, examples: int, effective_batch: int,
                mlm_share: float = 0.0) -> int:
    """Optimizer steps for ``epochs`` passes over ``examples`` at the effective batch size;
    with a share ``mlm_share`` of the steps continuing MLM, that share comes on top, so the
    tasks still get their epochs."""
    return math.ceil(math.ceil(epochs * examples / effective_batch) / (1 - mlm_share))


def train_heads(model: TaskModel, tokenizer, jobs: dict[str, TaskSpec], data_dir: Path,
                params, steps: int, seed: int, resume_key: dict,
                languages: tuple[str, ...] = ("en",), mlm=None, epochs: float | None = None,
                grad_accum: int | None = None, lr: float | None = None,
                log=tracking.log_metrics) -> dict[str, float]:
    """Train the encoder and one head per job (head name -> the task whose train set it
    learns from) on the train files of ``languages``; several jobs are sampled per step with
    ``intermediate.temperature``. With ``mlm`` (a masked-LM model sharing ``model``'s
    encoder), a share ``intermediate.mlm_weight`` of the steps continues multilingual MLM
    on the phase-0 corpora, the paper's mixed objective. With ``epochs``, the number of steps
    is that many passes over the training examples at the effective batch size; ``lr`` (a
    phase's or a target's own rate) replaces ``train.lr``. ``log(metrics, step)`` receives the
    training loss (default: the active MLflow run)."""
    model.freeze_lower(params.train.freeze_embeddings, params.train.freeze_layers)
    batchers = {}
    for head, spec in jobs.items():
        model.add_head(head, spec.type, spec.num_labels, params.train.pooling)
        records = [r for lang in languages
                   for r in load_records(data_dir, spec, "train", lang)]
        examples = encode(spec, records, tokenizer, max_length(params, spec.type),
                          stride=params.train.doc_stride)
        batchers[head] = BucketBatcher(examples, params.train.batch_size, seed,
                                       tokenizer.pad_token_id)
    if epochs:
        effective = params.train.batch_size * (grad_accum or params.train.grad_accum)
        steps = epoch_steps(epochs, sum(len(b.examples) for b in batchers.values()), effective,
                            params.intermediate.mlm_weight if mlm is not None else 0.0)
    cfg = loop_config(params.train, steps, lr or params.train.lr, seed, grad_accum)
    label = next(iter(jobs)) if len(jobs) == 1 else "multi"
    fixed = {}
    if mlm is not None and distributed.active():
        raise ValueError("intermediate.mlm_weight > 0 runs in one process only (its MLM "
                         "steps bypass DDP's gradient averaging)")
    if mlm is not None:
        model.add_module("mlm_head", mlm.lm_head)  # trained with the rest
        lines = [line for lang in params.data.languages
                 for line in read_lines(data_dir / "corpus" / f"{lang}.txt")]
        ids = tokenizer(lines, truncation=True, max_length=params.train.max_length)
        batchers["mlm"] = BucketBatcher([{"input_ids": i} for i in ids["input_ids"]],
                                        params.train.batch_size, seed, tokenizer.pad_token_id)
        fixed = {"mlm": params.intermediate.mlm_weight}
    if len(batchers) == 1:
        (head, batcher), = batchers.items()
        loss, batch = task_loss(head), batcher.batch
    else:
        supervised = task_loss()
        mlm_loss = masked_lm(tokenizer.mask_token_id, len(tokenizer),
                             params.pretrain.mask_prob)
        sparse_mlm = SparseMLM(mlm) if mlm is not None else None

        def loss(model, b):
            return mlm_loss(sparse_mlm, b) if b["task"] == "mlm" else supervised(model, b)

        batch = MultiTaskBatcher(batchers, steps * cfg.grad_accum, seed,
                                 params.intermediate.temperature, fixed).batch
    return train(model, loss, batch, cfg, resume_dir(label, resume_key),
                 on_log=lambda step, m: log({f"{label}/train_loss": m["loss"]}, step))


def main(argv=None) -> None:
    def add(p):
        p.add_argument("--task", required=True, choices=["none", "multi", *INTERMEDIATE_TASKS])
        p.add_argument("--seed", type=int, required=True)
        p.add_argument("--pretrained", type=Path, required=True)
        p.add_argument("--data", type=Path, required=True)
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--metrics", type=Path, required=True)

    args, params = parse(__doc__, argv, add)
    seed_everything(args.seed)
    encoder, tokenizer = load_encoder(args.pretrained)
    model = TaskModel(encoder, {}).to(device())
    inter = params.intermediate
    run_params = {"task": args.task, "seed": args.seed, "train": params.train.model_dump(),
                  "intermediate": inter.model_dump(exclude={"tasks"})}
    # "multi" trains on every intermediate task at once (the paper's multi-task setting).
    specs = ([] if args.task == "none" else list(INTERMEDIATE_TASKS.values())
             if args.task == "multi" else [INTERMEDIATE_TASKS[args.task]])
    languages = tuple(params.data.languages) if inter.translated else ("en",)
    with tracking.stage_run(params, "intermediate", f"intermediate-{args.task}-s{args.seed}",
                            run_params):
        metrics = {}
        tracking.log_datasets([task_file(args.data, s.name, "train", lang) for s in specs
                               for lang in languages], "training", args.data)
        tracking.log_datasets([task_file(args.data, s.name, "validation", "en") for s in specs],
                              "evaluation", args.data)
        if specs:
            mlm = None
            if inter.mlm_weight > 0:
                # A CLIP text tower has no LM head: a fresh one is trained from scratch then.
                enc_dir = args.pretrained / "encoder"
                mlm = AutoModelForMaskedLM.from_pretrained(
                    enc_dir if enc_dir.is_dir() else args.pretrained).to(device())
                model = TaskModel(mlm.base_model, {})  # one encoder for both objectives
            train_heads(model, tokenizer, {s.name: s for s in specs}, args.data, params,
                        inter.steps, args.seed,
                        {"pretrained": fingerprint(args.pretrained), **run_params}, languages,
                        mlm, epochs=inter.epochs, lr=inter.lr)
            for spec in specs:
                with eval_precision(params.train):
                    dev = evaluate_target(model, tokenizer, spec, args.data, ["en"],
                                          "validation", params.eval.batch_size,
                                          max_length(params, spec.type), params.train.doc_stride)
                metrics.update(summarise(spec.name, dev))
            tracking.log_metrics(metrics)
        with publish(args.out) as tmp:
            model.save(tmp, tokenizer)
        write_json(args.metrics, metrics)
    print(f"intermediate {args.task} (seed {args.seed}): {metrics or 'baseline, no training'}")


if __name__ == "__main__":
    run(main)
