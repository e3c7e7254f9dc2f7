"""Achieved FLOP/s of the training step against the matmul peak of the same device.

Useful FLOPs of one step (forward + backward, real tokens only, padding excluded):

    6 * W * tokens  +  12 * L * d * sum(T_i ** 2)

with W the weights used in matrix products (per layer 4 d^2 + 2 d d_ff, plus the classifier's
dense layer), tokens the non-padding tokens of the batch, L layers, d the hidden size and T_i
each sequence's real length (QK^T and AV: 4 T^2 d forward, 3x with backward).

The peak is measured, not taken from a datasheet: plain matmuls of the step's own shapes
((tokens, d) x (d, d), (tokens, d) x (d, d_ff), (tokens, d_ff) x (d_ff, d)) at the same
precision on the same device; a bf16 step is also set against the fp32 peak. On a GPU the
bf16 MFU against the card's dense peak is printed too. Usage:

    python bench/flops.py                                   # offline model size, fp32, CPU
    python bench/flops.py --hidden 768 --layers 12 --heads 12 --vocab 250002 --bf16  # XLM-R Base
    python bench/flops.py ... --batch 64 --lengths 128 128 --compile   # longer, compiled (GPU)
    python bench/flops.py ... --dropout 0 --profile   # without dropout; where the time goes
"""

import argparse
import time

import torch
from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification

from xstilts.train.batching import BucketBatcher, split_by_tokens
from xstilts.train.loop import LoopConfig, Loss, train

CARD_PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12}  # dense, no sparsity


def synthetic_batches(n: int, vocab: int, lengths: tuple[int, int], seed: int = 0) -> list[dict]:
    """Sequences of random lengths within ``lengths`` (min, max), both included."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(lengths[0], lengths[1] + 1, (n,), generator=g).tolist()
    return [{"input_ids": [0, *torch.randint(5, vocab, (t - 2,), generator=g).tolist(), 2],
             "labels": i % 3} for i, t in enumerate(lengths)]


def useful_flops(batch: dict, d: int, d_ff: int, layers: int) -> float:
    lengths = batch["attention_mask"].sum(1).double()
    tokens = lengths.sum().item()
    weights = layers * (4 * d * d + 2 * d * d_ff) + d * d
    return 6 * weights * tokens + 12 * layers * d * (lengths ** 2).sum().item()


def matmul_peak(tokens: int, d: int, d_ff: int, dtype, device, seconds: float = 2.0) -> float:
    shapes = [(tokens, d, d), (tokens, d, d_ff), (tokens, d_ff, d)]
    mats = [(torch.randn(m, k, dtype=dtype, device=device),
             torch.randn(k, n, dtype=dtype, device=device)) for m, k, n in shapes]
    flops_per_round = sum(2 * m * k * n for m, k, n in shapes)
    rounds, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for a, b in mats:
            a @ b
        rounds += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    return rounds * flops_per_round / (time.perf_counter() - start)


def print_profile(run, device, rows: int = 15) -> None:
    """The kernels (or CPU ops) that took the most time, with their share of the total."""
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities) as prof:
        run()
    key = "self_device_time_total" if device.type == "cuda" else "self_cpu_time_total"
    events = [e for e in prof.key_averages() if getattr(e, key) > 0]
    total = sum(getattr(e, key) for e in events)
    for e in sorted(events, key=lambda e: -getattr(e, key))[:rows]:
        print(f"  {getattr(e, key) / total:6.1%}  {e.count:6d}x  {e.key[:90]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--vocab", type=int, default=1000)
    parser.add_argument("--lengths", type=int, nargs=2, default=(20, 60), metavar=("MIN", "MAX"))
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--pad-multiple", type=int, default=1,
                        help="batch widths rounded up to a multiple (train.pad_to_multiple)")
    parser.add_argument("--grad-accum", type=int, default=1, help="micro-batches per step")
    parser.add_argument("--micro-tokens", type=int, default=None,
                        help="steps of batch x grad-accum examples cut into micro-batches of "
                             "at most this many padded tokens (train.micro_batch_tokens)")
    parser.add_argument("--compile-mode", default=None,
                        help="torch.compile mode, e.g. max-autotune-no-cudagraphs (implies "
                             "--compile)")
    parser.add_argument("--dropout", type=float, default=0.1, help="XLM-R's is 0.1")
    parser.add_argument("--profile", action="store_true",
                        help="also list the kernels of the timed pass by their share of time")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    d, d_ff = args.hidden, 4 * args.hidden
    config = XLMRobertaConfig(vocab_size=args.vocab, hidden_size=d,
                              num_hidden_layers=args.layers, num_attention_heads=args.heads,
                              intermediate_size=d_ff, max_position_embeddings=args.lengths[1] + 2,
                              type_vocab_size=1, pad_token_id=1, num_labels=3,
                              hidden_dropout_prob=args.dropout,
                              attention_probs_dropout_prob=args.dropout)
    model = XLMRobertaForSequenceClassification(config).to(device)
    # One batch per micro-batch, or, cut by tokens, one per step.
    per_batch = args.batch * args.grad_accum if args.micro_tokens else args.batch
    batcher = BucketBatcher(synthetic_batches(args.batch * args.steps * args.grad_accum,
                                              args.vocab, args.lengths),
                            per_batch, seed=0, pad_id=1, pad_multiple=args.pad_multiple)
    loss = lambda m, b: Loss(m(**b).loss)  # noqa: E731
    if args.compile_mode:  # the loop compiles with the default mode; other modes here
        model = torch.compile(model, mode=args.compile_mode)
    cfg = LoopConfig(steps=args.steps, lr=1e-4, bf16=args.bf16, log_every=args.steps,
                     compile=args.compile and not args.compile_mode, grad_accum=args.grad_accum,
                     micro_tokens=args.micro_tokens, pad_multiple=args.pad_multiple)
    # One untimed pass over the same batches first: a GPU pays ~0.2 s the first time it
    # meets a shape, and a compiled model compiles per shape; training sees each many times.
    train(model, loss, batcher.batch, cfg)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    sync()
    start = time.perf_counter()
    train(model, loss, batcher.batch, cfg)
    sync()
    elapsed = time.perf_counter() - start
    if args.profile:
        print_profile(lambda: train(model, loss, batcher.batch, cfg), device)
    # The loop draws batch(step * accum + i), or batch(step) cut by tokens.
    micro = args.steps * (1 if args.micro_tokens else args.grad_accum)
    flops = sum(useful_flops(batcher.batch(s), d, d_ff, args.layers) for s in range(micro))
    tokens = sum(batcher.batch(s)["attention_mask"].sum().item() for s in range(micro)) // micro
    computed = [m["attention_mask"] for s in range(micro) for m in (
        split_by_tokens(batcher.batch(s), args.micro_tokens, 1, args.pad_multiple)
        if args.micro_tokens else [batcher.batch(s)])]
    padding = 1 - sum(m.sum().item() for m in computed) / sum(m.numel() for m in computed)
    dtype = torch.bfloat16 if args.bf16 else torch.float32
    peak = matmul_peak(tokens, d, d_ff, dtype, device)
    achieved = flops / elapsed
    precision = "bf16" if args.bf16 else "fp32"
    name = torch.cuda.get_device_name() if device.type == "cuda" else \
        f"CPU, {torch.get_num_threads()} threads"
    cut = f", cut by {args.micro_tokens} tokens" if args.micro_tokens else ""
    print(f"{name}; d={d}, layers={args.layers}, batch {args.batch} x {args.grad_accum}{cut}, "
          f"~{tokens} real tokens per {'step' if cut else 'micro-batch'}, widths a multiple "
          f"of {args.pad_multiple}, "
          f"{precision}"
          f"{', compiled' if args.compile or args.compile_mode else ''}"
          f"{f' ({args.compile_mode})' if args.compile_mode else ''}")
    print(f"  step: {elapsed / args.steps * 1000:.1f} ms, useful {achieved / 1e9:.1f} GFLOP/s")
    print(f"  padding: {padding:.1%} of the tokens computed, in {len(computed)} micro-batches")
    print(f"  matmul peak at the step's shapes: {peak / 1e9:.1f} GFLOP/s")
    if device.type == "cuda" and args.bf16:
        card = next((v for k, v in CARD_PEAK_BF16.items() if k in name), None)
        if card:
            print(f"  MFU vs the card's dense bf16 peak: {achieved / card:.1%}")
    summary = f"achieved / matmul peak = {achieved / peak:.2f}"
    if args.bf16:  # the yardstick of a plain fp32 loop: what bf16 buys on this device
        fp32_peak = matmul_peak(tokens, d, d_ff, torch.float32, device)
        print(f"  fp32 matmul peak at the step's shapes: {fp32_peak / 1e9:.1f} GFLOP/s")
        summary += f" (bf16); achieved / fp32 matmul peak = {achieved / fp32_peak:.2f}"
    print(summary)


if __name__ == "__main__":
    main()
