"""Stage `retrieval` (phase 3 for retrieval tasks): BUCC and Tatoeba straight from every
intermediate checkpoint, with no training of their own, as in the paper.

One process scores all checkpoints (``intermediate.tasks`` x ``seeds``): a retrieval
evaluation costs less than starting an interpreter and importing the libraries, so a stage
per checkpoint would spend most of its time starting up. The metrics directory, one file per
checkpoint, is published at once when every checkpoint is scored.
"""

from pathlib import Path

from xstilts import tracking
from xstilts.config import languages_of
from xstilts.data.files import publish, write_json
from xstilts.eval.zero_shot import RETRIEVAL_EVALUATORS, summarise
from xstilts.models.task_model import load_encoder
from xstilts.stages.cli import parse, run
from xstilts.stages.common import device, eval_batch, seed_everything
from xstilts.tasks import RETRIEVAL_TARGETS


def score_checkpoint(model_dir: Path, data: Path, params) -> dict[str, float]:
    """Metrics of every retrieval task of ``params`` for one encoder."""
    encoder, tokenizer = load_encoder(model_dir)
    encoder.to(device())
    metrics = {}
    for task in params.eval.retrieval_tasks:
        spec = RETRIEVAL_TARGETS[task]
        scores = RETRIEVAL_EVALUATORS[task](
            encoder, tokenizer, spec, data, languages_of(params, task),
            params.eval.retrieval_layer, eval_batch(params),
            params.eval.retrieval_max_length)
        metrics.update(summarise(spec.name, {spec.metric: scores}))
    return metrics


def main(argv=None) -> None:
    def add(p):
        p.add_argument("--models", type=Path, required=True,
                       help="directory of the intermediate checkpoints (<task>-s<seed>)")
        p.add_argument("--data", type=Path, required=True)
        p.add_argument("--metrics", type=Path, required=True,
                       help="directory of the metrics files (<task>-s<seed>.json)")

    args, params = parse(__doc__, argv, add)
    checkpoints = [(inter, seed) for seed in params.seeds
                   for inter in params.intermediate.tasks]
    for inter, seed in checkpoints:  # all present before any work
        if not (args.models / f"{inter}-s{seed}").is_dir():
            raise FileNotFoundError(f"{args.models / f'{inter}-s{seed}'}: intermediate "
                                    "checkpoint missing (run the intermediate stage)")
    with publish(args.metrics) as tmp:
        for inter, seed in checkpoints:
            seed_everything(seed)
            name = f"{inter}-s{seed}"
            with tracking.stage_run(params, "retrieval", f"retrieval-{name}",
                                    {"intermediate": inter, "seed": seed,
                                     "encoder": params.encoder,
                                     "eval": params.eval.model_dump()}):
                tracking.log_datasets([f for task in params.eval.retrieval_tasks
                                       for f in sorted((args.data / task).glob("*.jsonl"))],
                                      "evaluation", args.data)
                metrics = score_checkpoint(args.models / name, args.data, params)
                tracking.log_metrics(metrics)
            write_json(tmp / f"{name}.json", {"intermediate": inter, "seed": seed,
                                              "from_encoder": params.encoder,
                                              "metrics": metrics})
            print(f"retrieval {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()
                                                     if k.endswith("/avg")))


if __name__ == "__main__":
    run(main)
