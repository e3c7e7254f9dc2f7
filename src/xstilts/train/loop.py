"""The one training loop of every phase: pretraining, intermediate tasks, fine-tuning, CLIP.

A phase supplies a model, a ``loss_fn(model, batch) -> Loss`` and a ``batch(step)``
function. The loop owns AdamW, warmup and linear decay, gradient accumulation, clipping, bf16
autocast, checkpoints and resume, and cheap dropout masks on CPU.
"""

import math
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from xstilts import ranks
from xstilts.errors import StageError
from xstilts.train import checkpoint, distributed
from xstilts.train.batching import examples_in, split_by_tokens
from xstilts.train.dropout import cheap_cpu_dropout


@dataclass
class Loss:
    """What an objective returns for a batch: ``value`` is optimised and logged as "loss";
    ``tokens``, for a loss that is a mean over tokens, is their count, by which each DDP
    process's shard is weighed (``distributed.token_weight``); ``logs`` are logged beside
    it (scalars)."""

    value: torch.Tensor
    tokens: torch.Tensor | None = None
    logs: dict[str, torch.Tensor] = field(default_factory=dict)


LossFn = Callable[[torch.nn.Module, dict], Loss]


class NonFiniteLoss(StageError, RuntimeError):
    pass


@dataclass(frozen=True)
class LoopConfig:
    steps: int
    lr: float
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    grad_accum: int = 1
    max_grad_norm: float = 1.0
    seed: int = 0
    checkpoint_every: int = 0  # 0: no resume checkpoints
    bf16: bool = False
    compile: bool = False  # torch.compile the model (pays off on GPUs, not on CPUs)
    # Set: each step's batch is cut into micro-batches of at most this many padded tokens per
    # process (batching.split_by_tokens) instead of grad_accum equal ones.
    micro_tokens: int | None = None
    pad_multiple: int = 1  # micro-batch widths rounded up to a multiple (compiled steps)
    log_every: int = 50


def make_optimizer(model: torch.nn.Module, cfg: LoopConfig) -> torch.optim.Optimizer:
    """AdamW without decay on biases and norms; fused where the device supports it."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim < 2 or "norm" in name.lower() else decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, fused=True)


def warmup_linear(optimizer: torch.optim.Optimizer, cfg: LoopConfig):
    warmup = max(1, int(cfg.warmup_ratio * cfg.steps))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (cfg.steps - step) / max(1, cfg.steps - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _forward(net, loss_fn: LossFn, global_batch: dict, cfg: LoopConfig,
             device: torch.device) -> tuple[Loss, dict]:
    """This process's rows of a (micro-)batch, on the device, through the loss under the
    loop's autocast: (loss, the rows)."""
    rows = distributed.shard(global_batch)
    inputs = {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v
              for k, v in rows.items()}
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16):
        return loss_fn(net, inputs), inputs


def _by_tokens(net, model: torch.nn.Module, loss_fn: LossFn, step_batch: dict,
               cfg: LoopConfig, device: torch.device) -> dict[str, torch.Tensor]:
    """Accumulate one step's gradient over micro-batches cut by a token budget, each weighed
    by what its loss is a mean over (its tokens, ``Loss.tokens``, or its examples), so the
    step's gradient is the mean over the whole step's batch on every process, however it was
    cut. Returns the step's logged losses, weighed alike."""
    n = distributed.processes()
    weight = torch.zeros((), device=device)
    sums: dict[str, torch.Tensor] = {}
    for micro in split_by_tokens(step_batch, cfg.micro_tokens * n, n, cfg.pad_multiple):
        out, inputs = _forward(net, loss_fn, micro, cfg, device)
        w = (out.tokens if out.tokens is not None else torch.tensor(
            examples_in(inputs), device=device)).detach().float()
        # A micro-batch without predicted tokens has a mean of nothing (NaN): it weighs 0.
        (torch.where(w > 0, out.value, 0.0) * w).backward()
        weight += w
        for k, v in {"loss": out.value, **out.logs}.items():
            sums[k] = sums.get(k, 0.0) + torch.where(w > 0, v.detach().float(), 0.0) * w
    # DDP averaged the processes' gradient sums: their mean over every process's weight is
    # that average times the processes over the total weight. The logged losses are
    # averaged over processes the same way (distributed.mean).
    scale = n / distributed.total(weight).clamp(min=1)
    for p in model.parameters():
        if p.grad is not None:
            p.grad.mul_(scale)
    return {k: v * scale for k, v in sums.items()}


def train(model: torch.nn.Module, loss_fn: LossFn, batch: Callable[[int], dict],
          cfg: LoopConfig, resume_dir: Path | None = None,
          on_log: Callable[[int, dict[str, float]], None] | None = None) -> dict[str, float]:
    """Train for ``cfg.steps`` optimizer steps; resume from ``resume_dir`` if it holds a
    checkpoint. Returns the mean of each logged loss over the final logging window."""
    with cheap_cpu_dropout(model):
        return _train(model, loss_fn, batch, cfg, resume_dir, on_log)


def _train(model: torch.nn.Module, loss_fn: LossFn, batch: Callable[[int], dict],
           cfg: LoopConfig, resume_dir: Path | None,
           on_log: Callable[[int, dict[str, float]], None] | None) -> dict[str, float]:
    # Each process draws its own dropout and masking noise: shards of one global batch have
    # the same shape, so one seed would give every shard the same masks. Rank 0 (and a
    # single process) keeps the seed itself.
    torch.manual_seed(cfg.seed + ranks.rank())
    model.train()
    net = torch.compile(model) if cfg.compile else model
    if distributed.active():
        # Heads of tasks absent from a step get no gradient: DDP must be told to expect that.
        device_ids = [torch.cuda.current_device()] if torch.cuda.is_available() else None
        net = torch.nn.parallel.DistributedDataParallel(net, device_ids=device_ids,
                                                        find_unused_parameters=True)
    optimizer = make_optimizer(model, cfg)
    scheduler = warmup_linear(optimizer, cfg)
    start = 0
    device = next(model.parameters()).device
    totals: dict[str, torch.Tensor] = {}
    window = 0
    if resume_dir is not None and (state := checkpoint.load_latest(resume_dir, model)):
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start = state["step"]
        # The running loss window too, so the logged losses match an uninterrupted run.
        totals = {k: v.to(device) for k, v in state["loss_totals"].items()}
        window = state["window"]
        if ranks.is_main():
            print(f"resuming from the checkpoint of step {start} in {resume_dir}",
                  file=sys.stderr)
    last: dict[str, float] = {}
    bar = tqdm(range(start, cfg.steps), initial=start, total=cfg.steps,
               disable=None if ranks.is_main() else True, desc="train", leave=False)
    for step in bar:
        if cfg.micro_tokens:
            for k, v in _by_tokens(net, model, loss_fn, batch(step), cfg, device).items():
                totals[k] = totals.get(k, 0.0) + v
        for micro in range(0 if cfg.micro_tokens else cfg.grad_accum):
            out, _ = _forward(net, loss_fn, batch(step * cfg.grad_accum + micro), cfg, device)
            loss = out.value
            if out.tokens is not None and distributed.active():  # a mean over tokens: weigh
                # the shard by its tokens; one without any has a mean of nothing (NaN).
                loss = torch.where(out.tokens > 0, loss, 0.0)
                loss = loss * distributed.token_weight(out.tokens)
            (loss / cfg.grad_accum).backward()
            for k, v in {"loss": loss, **out.logs}.items():
                totals[k] = totals.get(k, 0.0) + v.detach().float() / cfg.grad_accum
        if cfg.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        window += 1
        done = step + 1
        # Reading the loss forces a device sync, so it happens once per window, not per step.
        if done % cfg.log_every == 0 or done == cfg.steps:
            last = {k: v.item() / window for k, v in distributed.mean(totals).items()}
            if not all(math.isfinite(v) for v in last.values()):
                raise NonFiniteLoss(f"loss became {last} at step {done}; stopping this "
                                    "stage (lower the learning rate or check the data)")
            bar.set_postfix(loss=f"{last['loss']:.4f}")
            if on_log:
                on_log(done, last)
            totals, window = {}, 0
        if resume_dir is not None and cfg.checkpoint_every and done % cfg.checkpoint_every == 0 \
                and done < cfg.steps:
            rng = distributed.gather(checkpoint.rng_state())  # every rank's own generators
            if ranks.is_main():  # one writer; every rank resumes from its file
                checkpoint.save(resume_dir, done, model, {
                    "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                    "loss_totals": {k: v.cpu() for k, v in totals.items()}, "window": window},
                    rng)
            distributed.barrier()
    if resume_dir is not None and ranks.is_main():
        shutil.rmtree(resume_dir, ignore_errors=True)  # finished: nothing left to resume
    distributed.barrier()
    model.eval()
    return last
