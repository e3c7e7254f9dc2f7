"""Data parallelism with the engine users already have: ``torchrun`` + DDP.

Under ``torchrun --nproc_per_node N`` every process builds the same global batch for a step
(batches are a pure function of (seed, step)) and keeps its own rows; DDP averages the
gradients, so N processes train like one process with the same effective batch. NCCL on GPUs,
gloo on CPUs. Without torchrun's environment nothing here does anything.

torch is imported where it is used; which process this is comes from ``xstilts.ranks``.
"""

import os

from xstilts.ranks import world_size


def init() -> bool:
    """Join the process group torchrun describes; True when running distributed."""
    if world_size() <= 1:
        return False
    import torch
    import torch.distributed as dist

    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend)
    return True


def active() -> bool:
    if world_size() <= 1:
        return False
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def barrier() -> None:
    if active():
        import torch.distributed as dist

        dist.barrier()


def shard(batch: dict) -> dict:
    """This process's rows of a global batch (every tensor with a batch dimension).
    Multiple-choice batches are flattened to (B * C, T) and keep whole examples together."""
    if not active():
        return batch
    import torch
    import torch.distributed as dist

    world, me = dist.get_world_size(), dist.get_rank()
    n = len(batch["labels"]) if "labels" in batch else len(batch["input_ids"])
    if n % world:
        raise ValueError(f"batch size {n} is not divisible by the {world} processes")
    per = n // world
    out = {}
    for key, value in batch.items():
        if torch.is_tensor(value) and value.ndim and len(value) % n == 0:
            rows = len(value) // n  # 1, or C for flattened multiple-choice inputs
            out[key] = value[me * per * rows:(me + 1) * per * rows]
        else:
            out[key] = value
    return out


def gather(obj) -> list:
    """Every process's ``obj``, in rank order (``[obj]`` in one process)."""
    if not active():
        return [obj]
    import torch.distributed as dist

    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def token_weight(tokens):
    """The factor that turns this process's mean loss over its ``tokens`` (a count tensor)
    into its share of the mean over every process's tokens: DDP averages gradients over
    processes, and shards with more predicted tokens (tags, masked words) must weigh more,
    as they do in one process with the whole batch. 1 in one process."""
    if not active():
        return 1.0
    import torch.distributed as dist

    total = tokens.detach().float().clone()
    dist.all_reduce(total)
    return tokens.float() * dist.get_world_size() / total.clamp(min=1)


def processes() -> int:
    """How many processes share each batch (1 without DDP)."""
    if not active():
        return 1
    import torch.distributed as dist

    return dist.get_world_size()


def total(value):
    """The sum of a tensor over processes (itself in one process)."""
    if not active():
        return value
    import torch.distributed as dist

    value = value.detach().clone()
    dist.all_reduce(value)
    return value


def mean(values: dict) -> dict:
    """Average scalar tensors over processes (logged losses)."""
    if not active():
        return values
    import torch.distributed as dist

    out = {}
    for k, v in values.items():
        v = v.detach().clone()
        dist.all_reduce(v)
        out[k] = v / dist.get_world_size()
    return out
