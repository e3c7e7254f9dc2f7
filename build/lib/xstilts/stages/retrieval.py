"""Stage `retrieval` (phase 3 for retrieval tasks): Tatoeba straight from an intermediate
checkpoint, with no training of its own, as in the paper."""

from pathlib import Path

from xstilts import tracking
from xstilts.data.files import write_json
from xstilts.eval.zero_shot import RETRIEVAL_EVALUATORS, summarise
from xstilts.models.task_model import load_encoder
from xstilts.stages.common import device, languages_of, parse, run, seed_everything
from xstilts.tasks import RETRIEVAL_TARGETS


def main(argv=None) -> None:
    def add(p):
        p.add_argument("--intermediate", required=True, help="intermediate task or 'none'")
        p.add_argument("--seed", type=int, required=True)
        p.add_argument("--model", type=Path, required=True, help="intermediate checkpoint")
        p.add_argument("--data", type=Path, required=True)
        p.add_argument("--metrics", type=Path, required=True)

    args, params = parse(__doc__, argv, add)
    seed_everything(args.seed)
    encoder, tokenizer = load_encoder(args.model)
    encoder.to(device())
    name = f"{args.intermediate}-s{args.seed}"
    with tracking.stage_run(params, "retrieval", f"retrieval-{name}",
                            {"intermediate": args.intermediate, "seed": args.seed,
                             "encoder": params.encoder, "eval": params.eval.model_dump()}):
        metrics = {}
        for task in params.eval.retrieval_tasks:
            spec = RETRIEVAL_TARGETS[task]
            scores = RETRIEVAL_EVALUATORS[task](
                encoder, tokenizer, spec, args.data, languages_of(params, task),
                params.eval.retrieval_layer, params.eval.batch_size,
                params.eval.retrieval_max_length)
            metrics.update(summarise(spec.name, {spec.metric: scores}))
        tracking.log_metrics(metrics)
    write_json(args.metrics, {"intermediate": args.intermediate, "seed": args.seed,
                              "encoder": params.encoder, "metrics": metrics})
    print(f"retrieval {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()
                                             if k.endswith("/avg")))


if __name__ == "__main__":
    run(main)
