"""Stage `intermediate` (phase 1): train the encoder on one English intermediate task.

``--task none`` is the no-intermediate baseline: the phase-0 encoder passed through unchanged,
so every target is fine-tuned from a directory of the same shape either way.
"""

from pathlib import Path

from transformers import AutoModelForMaskedLM

from xstilts import tracking
from xstilts.data.files import publish, task_file, write_json
from xstilts.eval.zero_shot import evaluate_target, summarise
from xstilts.models.task_model import TaskModel, load_encoder
from xstilts.phases import HeadTraining, train_heads
from xstilts.stages.cli import parse, run
from xstilts.stages.common import (
    device,
    eval_batch,
    eval_precision,
    fingerprint,
    loop_config,
    max_length,
    resume_dir,
    save_dtype,
    seed_everything,
)
from xstilts.tasks import INTERMEDIATE_TASKS


def main(argv=None) -> None:
    def add(p):
        p.add_argument("--task", required=True, choices=["none", "multi", *INTERMEDIATE_TASKS])
        p.add_argument("--seed", type=int, required=True)
        p.add_argument("--pretrained", type=Path, required=True)
        p.add_argument("--data", type=Path, required=True)
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--metrics", type=Path, required=True)

    args, params = parse(__doc__, argv, add, ddp=True)
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
            loop = loop_config(params.train, inter.steps, inter.lr or params.train.lr,
                               args.seed, heads=True)
            key = {"pretrained": fingerprint(args.pretrained), **run_params}
            train_heads(model, tokenizer, {s.name: s for s in specs}, args.data,
                        HeadTraining.of(params), loop,
                        resume_dir(specs[0].name if len(specs) == 1 else "multi", key),
                        languages, mlm, tuple(params.data.languages), inter.epochs,
                        log=tracking.log_metrics)
            for spec in specs:
                with eval_precision(params.train):
                    dev = evaluate_target(model, tokenizer, spec, args.data, ["en"],
                                          "validation", eval_batch(params),
                                          max_length(params, spec.type), params.train.doc_stride)
                metrics.update(summarise(spec.name, dev))
            tracking.log_metrics(metrics)
        with publish(args.out) as tmp:
            model.save(tmp, tokenizer, save_dtype(params.train))
        write_json(args.metrics, metrics)
    print(f"intermediate {args.task} (seed {args.seed}): {metrics or 'baseline, no training'}")


if __name__ == "__main__":
    run(main)
