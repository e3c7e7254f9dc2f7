"""What a study costs before it runs: training and scoring tokens per stage, FLOPs, GPU-hours
per GPU type at a stated model FLOPs utilisation (MFU), and the disk each stage writes.

    python -m xstilts.cost                          # the study in params.yaml
    python -m xstilts.cost --params profiles/paper.yaml --mfu 0.35

Tokens are counted where the data exist (after ``dvc repro generate``): every file's records,
and a sample of them encoded as the stages encode them, with the study's tokenizer. Before
that, real mode falls back to the hub's sizes and typical XLM-R lengths (``xstilts.counting``;
the output names the tasks so estimated). The schedule is the study's own: steps x effective
batch, or epochs x examples.

FLOPs are 6 per non-embedding parameter per trained token and 2 per scored token; attention's
own term is left out (under 10 % at these lengths for XLM-R). Disk counts every model a stage
saves (parameters x 4 bytes, or 2 with ``train.save_dtype`` bf16), the heads and predictions
every fine-tuning keeps, MLflow's copy of each target's champion, and DVC's cache copy of each
output unless ``dvc config cache.type`` links instead of copying.
"""

import argparse
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from xstilts import mirror
from xstilts.config import languages_of
from xstilts.counting import Counter
from xstilts.models.heads import HEADS
from xstilts.models.hub import ENCODER_SHAPES, released_name
from xstilts.phases import recipes, scored_sets
from xstilts.tasks import FINETUNE_TARGETS, INTERMEDIATE_TASKS, RETRIEVAL_TARGETS, TASKS

# Dense bf16 peak of each GPU (vendor spec sheets, without sparsity), TFLOP/s.
PEAK_TFLOPS = {"A100": 312.0, "H100": 989.0, "H200": 989.0, "L40S": 362.0}


@dataclass
class Stage:
    name: str
    train_tokens: float = 0.0
    eval_tokens: float = 0.0
    models: int = 0  # full models saved
    kept_bytes: float = 0.0  # besides them: heads and predictions
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Encoder:
    layers: int
    hidden: int
    ffn: int
    vocab: int
    positions: int
    files: int = 0  # bytes a saved copy holds besides its weights (config, tokenizer)

    @property
    def non_embedding(self) -> int:
        h, f = self.hidden, self.ffn
        return self.layers * (4 * h * h + 4 * h + 2 * h * f + f + h + 4 * h)

    @property
    def parameters(self) -> int:
        embeddings = (self.vocab + self.positions + 1) * self.hidden + 2 * self.hidden
        return self.non_embedding + embeddings


def encoder_of(params) -> Encoder:
    """The shape of the encoder the study trains: read from the mirror's copy (its
    config.json, and its tokenizer and config files' sizes) when ``hub.mirror`` holds one,
    else XLM-R's published shapes, else the offline pretrain params."""
    if params.data.source == "hf":
        local = mirror.model_dir(Path(params.hub.mirror), params.hub.encoder) \
            if params.hub.mirror else None
        if local is not None and (local / "config.json").is_file():
            c = json.loads((local / "config.json").read_text())
            files = sum(f.stat().st_size for f in local.iterdir()
                        if f.is_file() and f.suffix not in (".safetensors", ".bin"))
            return Encoder(c["num_hidden_layers"], c["hidden_size"], c["intermediate_size"],
                           c["vocab_size"], c["max_position_embeddings"], files)
        name = released_name(params.hub.encoder)
        if name not in ENCODER_SHAPES:
            raise ValueError(f"hub.encoder: {params.hub.encoder} has no known size; known: "
                             f"{sorted(ENCODER_SHAPES)}")
        return Encoder(*ENCODER_SHAPES[name])
    p = params.pretrain
    return Encoder(p.layers, p.hidden_size, 4 * p.hidden_size, p.vocab_size, p.max_length + 2)


def intermediate_stage(params, task: str, counter: Counter) -> Stage:
    inter, train = params.intermediate, params.train
    stage = Stage(f"intermediate@{task}", models=1)  # "none" passes the encoder on
    if task == "none":
        return stage
    specs = list(INTERMEDIATE_TASKS) if task == "multi" else [task]
    files = {t: counter.file(t, "train", "en") for t in specs}
    batch = train.batch_size * train.grad_accum
    if inter.epochs:
        stage.train_tokens = inter.epochs * sum(n * per for n, per in files.values())
    else:  # sampled by size ** (1 / temperature), as the multi-task batcher does
        weights = {t: n ** (1 / inter.temperature) for t, (n, _) in files.items()}
        mean = sum(weights[t] * files[t][1] for t in specs) / sum(weights.values())
        stage.train_tokens = inter.steps * batch * mean
    stage.eval_tokens = sum(counter.scored(t, "validation", ["en"]) for t in specs)
    return stage


def head_bytes(hidden: int, tasks: Iterable[str], per_param: int) -> int:
    heads = (HEADS[TASKS[t].type](hidden, max(TASKS[t].num_labels, 2)) for t in tasks)
    return per_param * sum(p.numel() for h in heads for p in h.parameters())


def bytes_per_parameter(params) -> tuple[int, str | None]:
    """What a saved weight takes (``train.save_dtype``), and a note where "auto" is assumed
    to be bf16 (real mode runs on GPUs that compute it)."""
    save, bf16 = params.train.save_dtype, params.train.bf16
    if save == "bf16" or (save == "auto" and bf16 is True):
        return 2, None
    if save == "auto" and bf16 == "auto" and params.data.source == "hf":
        return 2, "save_dtype auto: bf16 assumed (a GPU with bf16)"
    return 4, None


def finetune_stage(params, task: str, counter: Counter, hidden: int,
                   per_param: int) -> Stage:
    ft, train = params.finetune, params.train
    jobs = recipes(list(ft.targets), ft)
    stage = Stage(f"finetune@{task}", models=len(jobs) if ft.weights == "all" else 0)
    inherited = [] if task == "none" else list(INTERMEDIATE_TASKS) if task == "multi" \
        else [task]
    for job in jobs:
        # Each folder keeps every head: the checkpoint's own beside the target's.
        stage.kept_bytes += head_bytes(hidden, [*inherited, job.train_task], per_param)
        scored = scored_sets({t: languages_of(params, t) for t in job.targets})
        stage.kept_bytes += sum(counter.predictions(task_, split, [lang])
                                for task_, split, lang in scored)
    for job in jobs:
        n, per = counter.file(job.train_task, "train", "en")
        if job.epochs:
            stage.train_tokens += job.epochs * n * per
        else:
            stage.train_tokens += ft.steps * (job.effective or train.batch_size
                                              * train.grad_accum) * per
        for target in job.targets:
            spec = FINETUNE_TARGETS[target]
            stage.eval_tokens += counter.scored(target, spec.eval_split,
                                                languages_of(params, target))
    return stage


def retrieval_stage(params, counter: Counter, checkpoints: int, layers: int) -> Stage:
    stage = Stage("retrieval")
    layer = params.eval.retrieval_layer
    share = 1.0 if layer < 0 or layer >= layers else max(layer, 1) / layers
    for task in params.eval.retrieval_tasks:
        langs = [lang for lang in languages_of(params, task) if lang != "en"]
        for split in RETRIEVAL_TARGETS[task].splits[-1:]:
            stage.eval_tokens += counter.scored(task, split, langs) * checkpoints * share
    stage.notes.append(f"layers up to {layer} of {layers} run")
    return stage


def estimate(params, data_dir: Path, tokenizer=None) -> dict:
    """Per-stage tokens, FLOPs and disk of one pass of ``params``'s study; per seed and in
    total (the phase-0 encoder is shared by the seeds)."""
    enc = encoder_of(params)
    counter = Counter(params, data_dir, tokenizer)
    per_param, assumed = bytes_per_parameter(params)
    seeded = [intermediate_stage(params, t, counter) for t in params.intermediate.tasks]
    seeded += [finetune_stage(params, t, counter, enc.hidden, per_param)
               for t in params.intermediate.tasks]
    seeded.append(retrieval_stage(params, counter, len(params.intermediate.tasks),
                                  enc.layers))
    model_bytes = enc.parameters * per_param + enc.files
    # One champion version per target with finetune.weights: registered (the registry
    # keeps no other); with "all", at least that many.
    registered = len(params.finetune.targets)
    rows = []
    for s in seeded:
        flops = 6 * enc.non_embedding * s.train_tokens + 2 * enc.non_embedding * s.eval_tokens
        notes = [*s.notes, *([assumed] if assumed and s.models else [])]
        rows.append({"stage": s.name, "train_tokens": s.train_tokens,
                     "eval_tokens": s.eval_tokens, "flops": flops,
                     "disk_bytes": s.models * model_bytes + s.kept_bytes, "notes": notes})
    per_seed = {k: sum(r[k] for r in rows) for k in ("train_tokens", "eval_tokens", "flops",
                                                       "disk_bytes")}
    seeds = len(params.seeds)
    # The phase-0 encoder (fp32, as the hub serves it), and the hub cache's copy of it.
    shared = (enc.parameters * 4 + enc.files) * (2 if params.data.source == "hf" else 1)
    return {"encoder": {"parameters": enc.parameters, "non_embedding": enc.non_embedding},
            "stages": rows, "per_seed": per_seed, "seeds": seeds,
            "mlflow_bytes": registered * model_bytes, "shared_bytes": shared,
            "estimated_tasks": sorted(counter.estimated)}


def gpu_hours(flops: float, mfu: float) -> dict[str, float]:
    return {gpu: flops / (peak * 1e12 * mfu) / 3600 for gpu, peak in PEAK_TFLOPS.items()}


def report(result: dict, mfu: float, dvc_copies: bool) -> list[str]:
    gpus = list(PEAK_TFLOPS)
    lines = [f"encoder: {result['encoder']['parameters'] / 1e6:.0f}M parameters, "
             f"{result['encoder']['non_embedding'] / 1e6:.0f}M non-embedding",
             f"GPU-hours at {mfu:.0%} MFU (dense bf16 peak: "
             + ", ".join(f"{g} {PEAK_TFLOPS[g]:.0f}" for g in gpus) + " TFLOP/s)", "",
             "| stage (per seed) | train tokens | scored tokens | PFLOP | "
             + " | ".join(f"{g} h" for g in gpus) + " | disk GB |",
             "|---|---|---|---|" + "---|" * len(gpus) + "---|"]
    for r in result["stages"]:
        hours = gpu_hours(r["flops"], mfu)
        lines.append(f"| {r['stage']} | {r['train_tokens'] / 1e6:,.1f}M | "
                     f"{r['eval_tokens'] / 1e6:,.1f}M | {r['flops'] / 1e15:,.1f} | "
                     + " | ".join(f"{hours[g]:.2f}" for g in gpus)
                     + f" | {r['disk_bytes'] / 1e9:.2f} |")
    seed = result["per_seed"]
    hours = gpu_hours(seed["flops"], mfu)
    copies = 2 if dvc_copies else 1
    disk = (seed["disk_bytes"] * copies + result["mlflow_bytes"])
    lines += ["", f"per seed: {seed['train_tokens'] / 1e9:.3f}B training tokens, "
              f"{seed['eval_tokens'] / 1e9:.3f}B scored, {seed['flops'] / 1e18:.2f} EFLOP; "
              + ", ".join(f"{g} {hours[g]:.1f} h" for g in gpus),
              f"disk per seed: {disk / 1e9:.1f} GB (models {seed['disk_bytes'] / 1e9:.1f} GB"
              + (" + DVC's cache copy" if dvc_copies else ", DVC's cache linked")
              + f" + MLflow's copies of the champions {result['mlflow_bytes'] / 1e9:.1f} GB); "
              f"shared by every seed: {result['shared_bytes'] / 1e9:.1f} GB (the encoder)",
              f"{result['seeds']} seed(s) in params: "
              f"{result['seeds'] * disk / 1e9 + result['shared_bytes'] / 1e9:.1f} GB, "
              + ", ".join(f"{g} {result['seeds'] * hours[g]:.1f} h" for g in gpus)]
    if result["estimated_tasks"]:
        lines.append("estimated (no data yet: hub sizes and typical lengths): "
                     + ", ".join(result["estimated_tasks"]))
    return lines


def main(argv=None) -> None:
    from xstilts.config import ParamsError, load_params

    parser = argparse.ArgumentParser(prog="python -m xstilts.cost",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--data", type=Path, help="default: data/<data.source>")
    parser.add_argument("--tokenizer", type=Path,
                        help="default: models/pretrained, else assets/encoder offline")
    parser.add_argument("--mfu", type=float, default=0.35,
                        help="model FLOPs utilisation assumed (default 0.35)")
    parser.add_argument("--dvc-copies", action="store_true",
                        help="DVC's cache copies outputs (cache.type copy, its default)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params)
    except ParamsError as err:
        raise SystemExit(f"error: {err}") from None
    data = args.data or Path("data") / params.data.source
    tokenizer = None
    candidates = [args.tokenizer] if args.tokenizer else [
        Path("models/pretrained"), *([Path("assets/encoder")]
                                     if params.data.source == "synthetic" else [])]
    found = next((c for c in candidates if c and (c / "tokenizer.json").is_file()), None)
    if found is not None and data.is_dir():
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(found)
    result = estimate(params, data, tokenizer)
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print("\n".join(report(result, args.mfu, args.dvc_copies)))


if __name__ == "__main__":
    main()
