"""Phases 1 and 2: the encoder trained with task heads on English data.

``train_heads`` trains one head per task on the shared encoder (several tasks are sampled per
step, the paper's multi-task setting; a share of steps may continue masked LM, its mixed
objective). ``recipes`` groups the fine-tuning targets by what their training depends on:
XTREME scores XQuAD and MLQA with one model trained on SQuAD.
"""

import json
import math
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path

from xstilts.data.features import encode, load_records
from xstilts.data.files import read_lines, task_file
from xstilts.models.task_model import TaskModel
from xstilts.tasks import FINETUNE_TARGETS, TASKS, TaskSpec
from xstilts.train import distributed
from xstilts.train.batching import BucketBatcher, MultiTaskBatcher
from xstilts.train.loop import LoopConfig, train
from xstilts.train.objectives import SparseMLM, masked_lm, task_loss


@dataclass(frozen=True)
class HeadTraining:
    """How heads are trained on the encoder (``params.train`` and phase 1's sampling)."""

    batch_size: int
    max_length: int
    max_length_by_type: dict[str, int]
    doc_stride: int
    pooling: str
    freeze_embeddings: bool = False
    freeze_layers: int = 0
    temperature: float = 1.0  # multi-task sampling: p(task) ~ size ** (1 / temperature)
    mlm_weight: float = 0.0  # with an MLM model: the share of steps that continue MLM
    mask_prob: float = 0.15
    pad_multiple: int = 1  # batch widths rounded up to a multiple (compiled steps)

    @classmethod
    def of(cls, params) -> "HeadTraining":
        """The settings of ``params`` (``config.Params``)."""
        t, inter = params.train, params.intermediate
        return cls(t.batch_size, t.max_length, dict(t.max_length_by_type), t.doc_stride,
                   t.pooling, t.freeze_embeddings, t.freeze_layers, inter.temperature,
                   inter.mlm_weight, params.pretrain.mask_prob, t.pad_to_multiple)

    def length(self, task_type: str) -> int:
        return self.max_length_by_type.get(task_type, self.max_length)


def epoch_steps(epochs: float, examples: int, effective_batch: int,
                mlm_share: float = 0.0) -> int:
    """Optimizer steps for ``epochs`` passes over ``examples`` at the effective batch size;
    with a share ``mlm_share`` of the steps continuing MLM, that share comes on top, so the
    tasks still get their epochs."""
    return math.ceil(math.ceil(epochs * examples / effective_batch) / (1 - mlm_share))


def train_heads(model: TaskModel, tokenizer, jobs: dict[str, TaskSpec], data_dir: Path,
                cfg: HeadTraining, loop: LoopConfig, resume_dir: Path | None,
                languages: tuple[str, ...] = ("en",), mlm=None,
                corpus_languages: tuple[str, ...] = (), epochs: float | None = None,
                log=None) -> dict[str, float]:
    """Train the encoder and one head per job (head name -> the task whose train set it
    learns from) on the train files of ``languages``, for ``loop.steps`` steps or, with
    ``epochs``, that many passes over the examples at the effective batch size. With ``mlm``
    (a masked-LM model sharing ``model``'s encoder) a share ``cfg.mlm_weight`` of the steps
    continues MLM on the corpora of ``corpus_languages``. ``log(metrics, step)`` receives
    the training loss. Returns the loop's final losses."""
    model.freeze_lower(cfg.freeze_embeddings, cfg.freeze_layers)
    # A batch per micro-batch, or, cut by tokens, one per step (loop.micro_tokens).
    per_batch = cfg.batch_size * loop.grad_accum if loop.micro_tokens else cfg.batch_size
    batchers = {}
    for head, spec in jobs.items():
        model.add_head(head, spec.type, spec.num_labels, cfg.pooling)
        records = [r for lang in languages for r in load_records(data_dir, spec, "train", lang)]
        examples = encode(spec, records, tokenizer, cfg.length(spec.type), stride=cfg.doc_stride)
        batchers[head] = BucketBatcher(examples, per_batch, loop.seed,
                                       tokenizer.pad_token_id, pad_multiple=cfg.pad_multiple)
    if epochs:
        loop = replace(loop, steps=epoch_steps(
            epochs, sum(len(b.examples) for b in batchers.values()),
            cfg.batch_size * loop.grad_accum, cfg.mlm_weight if mlm is not None else 0.0))
    label = next(iter(jobs)) if len(jobs) == 1 else "multi"
    fixed = {}
    if mlm is not None:
        if distributed.active():
            raise ValueError("intermediate.mlm_weight > 0 runs in one process only (its MLM "
                             "steps bypass DDP's gradient averaging)")
        model.add_module("mlm_head", mlm.lm_head)  # trained with the rest
        lines = [line for lang in corpus_languages
                 for line in read_lines(data_dir / "corpus" / f"{lang}.txt")]
        ids = tokenizer(lines, truncation=True, max_length=cfg.max_length)["input_ids"]
        batchers["mlm"] = BucketBatcher([{"input_ids": i} for i in ids], per_batch,
                                        loop.seed, tokenizer.pad_token_id,
                                        pad_multiple=cfg.pad_multiple)
        fixed = {"mlm": cfg.mlm_weight}
    if len(batchers) == 1:
        (head, batcher), = batchers.items()
        loss, batch = task_loss(head), batcher.batch
    else:
        supervised = task_loss()
        mlm_loss = masked_lm(tokenizer.mask_token_id, len(tokenizer), cfg.mask_prob)
        sparse_mlm = SparseMLM(mlm) if mlm is not None else None

        def loss(model, b):
            return mlm_loss(sparse_mlm, b) if b["task"] == "mlm" else supervised(model, b)

        batches = loop.steps * (1 if loop.micro_tokens else loop.grad_accum)
        batch = MultiTaskBatcher(batchers, batches, loop.seed,
                                 cfg.temperature, fixed).batch
    on_log = log and (lambda step, m: log({f"{label}/train_loss": m["loss"]}, step))
    return train(model, loss, batch, loop, resume_dir, on_log=on_log)


@dataclass(frozen=True)
class Recipe:
    """One fine-tuning and the targets scored with its model."""

    train_task: str
    epochs: float | None
    effective: int | None  # effective batch size; None: train.batch_size x train.grad_accum
    lr: float | None
    targets: tuple[str, ...]
    folder: str  # its model's directory


def scored_sets(languages: dict[str, list[str]]) -> set[tuple[str, str, str]]:
    """(task, split, language) of every set the targets of ``languages`` (target ->
    languages) are scored or selected on, each once (``score_targets``)."""
    scored = set()
    for target, langs in languages.items():
        spec = FINETUNE_TARGETS[target]
        scored |= {(spec.name, spec.eval_split, lang) for lang in langs}
        scored.add((*spec.selected_on, "en"))
    return scored


def finetune_files(jobs: list[Recipe], languages: dict[str, list[str]], data_dir: Path
                   ) -> tuple[list[Path], list[Path]]:
    """The files fine-tunings train on, and those they score and select models on."""
    return ([task_file(data_dir, job.train_task, "train", "en") for job in jobs],
            [task_file(data_dir, *key) for key in sorted(scored_sets(languages))])


def recipes(targets: list[str], finetune) -> list[Recipe]:
    """Targets grouped by what their fine-tuning depends on (``finetune``: the params'
    section): (training task, epochs, effective batch size, learning rate) -> targets scored
    with that one model."""
    groups: dict[tuple, list[str]] = {}
    for target in targets:
        spec = FINETUNE_TARGETS[target]
        key = (spec.train_from or spec.name, finetune.epochs.get(target),
               finetune.effective_batch_size.get(target), finetune.lr.get(target))
        groups.setdefault(key, []).append(target)
    out, folders = [], set()
    for (train_task, epochs, effective, lr), group in groups.items():
        # A training set fine-tuned twice (other settings) names its second model by target.
        folder = group[0] if train_task in folders else train_task
        folders.add(folder)
        out.append(Recipe(train_task, epochs, effective, lr, tuple(group), folder))
    return out


def score_targets(targets: tuple[str, ...], score, languages: dict[str, list[str]]
                  ) -> dict[str, dict[str, float]]:
    """Each target's scores in its ``languages``, with the English dev score it is selected
    on (``TaskSpec.dev_metric``), from ``score(spec, languages, split) -> metrics``; targets
    that are selected on one dev set (XQuAD and MLQA on SQuAD's) score it once."""
    scores, dev = {}, {}
    for target in targets:
        spec = FINETUNE_TARGETS[target]
        scores[target] = score(spec, languages[target], spec.eval_split)
        task, split = spec.selected_on
        if (task, split) == (spec.name, spec.eval_split):
            dev[task, split] = scores[target]
        elif (task, split) not in dev:
            dev[task, split] = score(TASKS[task], ["en"], split)
        scores[target][spec.dev_metric] = dev[task, split][f"{task}/{TASKS[task].metric}/en"]
    return scores


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


def cost(recipe: Recipe, data_dir: Path, steps: int, batch: int,
         languages: dict[str, list[str]]) -> float:
    """Words a recipe reads, to start the longest first: its training examples as drawn
    (``steps`` x ``batch`` unless it has epochs), and each target's eval set in its
    ``languages`` at a third of the rate (a forward pass of a training step's three). Bytes
    would rank tagging files, whose tags take as much room as their words, above XNLI, which
    takes longer."""
    spec = TASKS[recipe.train_task]
    per_example, examples = _words(task_file(data_dir, spec.name, "train", "en"), spec)
    drawn = recipe.epochs * examples if recipe.epochs else steps * (recipe.effective or batch)
    scored = 0.0
    for target in recipe.targets:
        t = FINETUNE_TARGETS[target]
        for lang in languages[target]:
            words, n = _words(task_file(data_dir, t.name, t.eval_split, lang), t)
            scored += words * n
    return drawn * per_example + scored / 3
