"""Stage `finetune` + zero-shot evaluation (phases 2 and 3) of every target after one
intermediate checkpoint.

For each target task: fine-tune the intermediate checkpoint on the target's English training
set, then score the model on the target's test set in every language with the head trained on
English. Targets that learn from the same training set with the same settings share one
fine-tuning, as in XTREME: XQuAD and MLQA are both scored with the model trained on SQuAD.

One process serves all targets of an intermediate checkpoint because an interpreter start,
the library imports and the tracking connection cost as much as a small fine-tuning; each
target is still seeded on its own, so its result does not depend on the other targets. On a
CPU the fine-tunings run side by side in one-thread worker processes (``common.worker_count``).
Models are registered (each target's study champion if it beats the current one on English
dev data, ``tracking.register_if_best``) only once every target has succeeded: a failed stage
registers nothing and keeps its previous outputs.
"""

import ctypes
import json
import os
import resource
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from multiprocessing import get_context
from pathlib import Path

from xstilts import tracking
from xstilts.data.files import publish, task_file, write_json
from xstilts.eval.zero_shot import evaluate_target, summarise
from xstilts.models.task_model import load_task_model
from xstilts.stages.cli import note_worker_peak, parse, quiet_libraries, run
from xstilts.stages.common import (
    device,
    eval_precision,
    fingerprint,
    languages_of,
    max_length,
    seed_everything,
    threads,
    worker_count,
)
from xstilts.stages.intermediate import train_heads
from xstilts.tasks import FINETUNE_TARGETS, TASKS

PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass(frozen=True)
class Recipe:
    """One fine-tuning and the targets scored with its model."""
    train_task: str
    epochs: float | None
    effective: int | None  # effective batch size; None: train.batch_size x train.grad_accum
    lr: float | None
    targets: tuple[str, ...]
    folder: str  # its model's directory under --out


def recipes(targets: list[str], params) -> list[Recipe]:
    """Targets grouped by what their fine-tuning depends on: (training task, epochs,
    effective batch size, learning rate) -> targets scored with that one model."""
    ft = params.finetune
    groups: dict[tuple, list[str]] = {}
    for target in targets:
        spec = FINETUNE_TARGETS[target]
        key = (spec.train_from or spec.name, ft.epochs.get(target),
               ft.effective_batch_size.get(target), ft.lr.get(target))
        groups.setdefault(key, []).append(target)
    out, folders = [], set()
    for (train_task, epochs, effective, lr), group in groups.items():
        # A training set fine-tuned twice (other settings) names its second model by target.
        folder = group[0] if train_task in folders else train_task
        folders.add(folder)
        out.append(Recipe(train_task, epochs, effective, lr, tuple(group), folder))
    return out


def _words(file: Path, spec, sample: int = 200) -> tuple[float, int]:
    """(mean words in the text fields of the file's first ``sample`` records, records)."""
    if not file.is_file():
        return 0.0, 0
    with file.open(encoding="utf-8") as f:
        head = [json.loads(line) for line in islice(f, sample)]
        records = len(head) + sum(1 for _ in f)  # one pass: the rest is only counted
    words = [sum(len(v.split()) if isinstance(v, str) else len(v)
                 for v in (record[field] for field in spec.text_fields)) for record in head]
    return sum(words) / max(1, len(words)), records


def cost(recipe: Recipe, data_dir: Path, params) -> float:
    """Words a recipe reads, to start the longest first: its training examples as drawn,
    and each target's eval set in every language at a third of the rate (a forward pass
    of a training step's three). Bytes would rank tagging files, whose tags take as much
    room as their words, above XNLI, which takes longer."""
    spec = TASKS[recipe.train_task]
    per_example, examples = _words(task_file(data_dir, spec.name, "train", "en"), spec)
    batch = recipe.effective or params.train.batch_size * params.train.grad_accum
    drawn = recipe.epochs * examples if recipe.epochs else params.finetune.steps * batch
    scored = 0.0
    for target in recipe.targets:
        t = FINETUNE_TARGETS[target]
        for lang in languages_of(params, t.name):
            words, n = _words(task_file(data_dir, t.name, t.eval_split, lang), t)
            scored += words * n
    return drawn * per_example + scored / 3


def fine_tune(recipe: Recipe, model_dir: Path, model_hash: str, data_dir: Path, out: Path,
              params, intermediate: str, seed: int, log=tracking.log_metrics
              ) -> dict[str, dict[str, float]]:
    """Fine-tune the intermediate checkpoint on the recipe's training set, save the model
    under ``out``, and return each of its targets' scores (``task/metric/lang`` -> value),
    with the English dev score it is selected on (``TaskSpec.dev_metric``)."""
    ft = params.finetune
    seed_everything(seed)
    model, tokenizer = load_task_model(model_dir)
    model.to(device())
    # A fresh head named after the group's first target (XQuAD's answers MLQA too); the
    # intermediate checkpoint may hold a head named after the training task.
    head = recipe.targets[0]
    train_heads(model, tokenizer, {head: TASKS[recipe.train_task]}, data_dir, params,
                ft.steps, seed,
                {"model": model_hash, "intermediate": intermediate, "seed": seed,
                 "train_task": recipe.train_task, "epochs": recipe.epochs,
                 "effective": recipe.effective, "lr": recipe.lr,
                 "train": params.train.model_dump(), "steps": ft.steps},
                epochs=recipe.epochs,
                grad_accum=recipe.effective // params.train.batch_size if recipe.effective
                else None,
                lr=recipe.lr, log=log)

    def score(spec, languages, split):
        with eval_precision(params.train):
            by_metric = evaluate_target(model, tokenizer, spec, data_dir, languages, split,
                                        params.eval.batch_size, max_length(params, spec.type),
                                        params.train.doc_stride, head=head)
        return summarise(spec.name, by_metric)

    scores, dev = {}, {}
    for target in recipe.targets:
        spec = FINETUNE_TARGETS[target]
        scores[target] = score(spec, languages_of(params, spec.name), spec.eval_split)
        task, split = spec.selected_on
        if (task, split) == (spec.name, spec.eval_split):
            dev[task, split] = scores[target]
        elif (task, split) not in dev:  # XQuAD and MLQA share SQuAD's
            dev[task, split] = score(TASKS[task], ["en"], split)
        scores[target][spec.dev_metric] = dev[task, split][f"{task}/{TASKS[task].metric}/en"]
    model.save(out / recipe.folder, tokenizer)
    return scores


def _in_worker(*args) -> tuple[dict, list, float]:
    """``fine_tune`` in a worker process: the training losses come back with the scores and
    the parent logs them (a worker has no tracking run of its own); so does the worker's
    peak RSS in MiB."""
    losses = []
    scores = fine_tune(*args, log=lambda metrics, step: losses.append((metrics, step)))
    return scores, losses, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _start_worker(n_threads: int, parent: int) -> None:
    # A killed stage must not leave workers training into the resume directories that its
    # next attempt reads: on Linux the kernel ends them with their parent.
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    os.environ["XSTILTS_THREADS"] = str(n_threads)  # read by seed_everything
    quiet_libraries()


def _ready() -> None:
    """Nothing: submitting it starts a worker, which imports this module meanwhile."""


@contextmanager
def worker_pool(jobs: int) -> Iterator[ProcessPoolExecutor | None]:
    """Worker processes for ``jobs`` fine-tunings (None where one process is faster, see
    ``common.worker_count``), started at once so that their imports overlap the parent's
    setup."""
    workers = worker_count(jobs)
    if workers == 1:
        yield None
        return
    # spawn, not fork: a forked child of a process that has used OpenMP threads can hang.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                             initializer=_start_worker,
                             initargs=(max(1, threads() // workers), os.getpid())) as pool:
        for _ in range(workers):
            pool.submit(_ready)
        yield pool


def fine_tune_all(pool: ProcessPoolExecutor | None, jobs: list[Recipe], *args
                  ) -> dict[str, dict[str, float]]:
    """Every recipe's scores by target, in ``pool``'s workers if there is one."""
    if pool is None:
        return {t: s for job in jobs for t, s in fine_tune(job, *args).items()}
    futures = [pool.submit(_in_worker, job, *args) for job in jobs]
    scores = {}
    for future in futures:
        done, losses, peak_mib = future.result()
        for metrics, step in losses:
            tracking.log_metrics(metrics, step)
        note_worker_peak(peak_mib)
        scores.update(done)
    return scores


def log_datasets(jobs: list[Recipe], targets: list[str], data_dir: Path, params) -> None:
    """The files the stage trains on, scores and selects models on, as MLflow datasets."""
    tracking.log_datasets([task_file(data_dir, job.train_task, "train", "en") for job in jobs],
                          "training", data_dir)
    scored = set()
    for target in targets:
        spec = FINETUNE_TARGETS[target]
        scored |= {(spec.name, spec.eval_split, lang) for lang in languages_of(params, target)}
        scored.add((*spec.selected_on, "en"))
    tracking.log_datasets([task_file(data_dir, *key) for key in sorted(scored)], "evaluation",
                          data_dir)


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
    name = f"{args.intermediate}-s{args.seed}"
    run_params = {"intermediate": args.intermediate, "targets": targets, "seed": args.seed,
                  "encoder": params.encoder, "setup": tracking.setup_key(params),
                  "encoder_setup": tracking.encoder_key(params),
                  "train": params.train.model_dump(),
                  "finetune": params.finetune.model_dump(exclude={"targets"})}
    model_hash = fingerprint(args.model)
    jobs = sorted(recipes(targets, params), key=lambda r: -cost(r, args.data, params))
    trained_on = {t: job.folder for job in jobs for t in job.targets}
    metrics: dict[str, float] = {}
    with worker_pool(len(jobs)) as pool, \
            tracking.stage_run(params, "finetune", f"finetune-{name}", run_params), \
            publish(args.out) as tmp:
        log_datasets(jobs, targets, args.data, params)
        scores = fine_tune_all(pool, jobs, args.model, model_hash, args.data, tmp, params,
                               args.intermediate, args.seed)
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
    write_json(args.metrics, {"intermediate": args.intermediate, "seed": args.seed,
                              "encoder": params.encoder,
                              "targets": {t: {"model": trained_on[t],
                                              "registered_version": versions[t]}
                                          for t in targets},
                              "metrics": metrics})
    alias = tracking.champion_alias(params)
    for target in targets:
        spec = FINETUNE_TARGETS[target]
        avg = metrics[f"{spec.name}/{spec.metric}/avg"]
        print(f"finetune {args.intermediate}__{target}-s{args.seed}: mean {spec.metric} "
              f"{avg:.3f}, English dev {metrics[spec.dev_metric]:.3f}"
              + (f", registered as xstilts-{target}@{alias} (v{versions[target]})"
                 if versions[target] else ""))


if __name__ == "__main__":
    run(main)
