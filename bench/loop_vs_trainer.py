"""Training throughput: the project's loop against Hugging Face Trainer, same everything.

Same model (XLMRobertaForSequenceClassification of the offline encoder's size, same init),
data (the offline world's XNLI English train set), batch size, max length, optimizer
(fused AdamW, same lr and schedule), precision and number of steps. Two baselines:

  reference recipe  what `run_xnli.py` does by default: every example padded to max length
                    (`pad_to_max_length=True`), default collator, random sampling
  tuned Trainer     dynamic padding (DataCollatorWithPadding), length-grouped sampling
                    (`train_sampling_strategy="group_by_length"`), fused AdamW

Runs alternate (ours, reference, tuned, ours, ...) and each figure is the median of the
repeats. Usage:

    python bench/loop_vs_trainer.py [--steps 60] [--repeats 3] [--bf16]
    python bench/loop_vs_trainer.py --bf16 --hidden 768 --layers 12 --heads 12 \
        --vocab 250002                                   # XLM-R Base size (on a GPU)
"""

import argparse
import random
import statistics
import time

import torch
from transformers import (
    DataCollatorWithPadding,
    Trainer,
    TrainingArguments,
    XLMRobertaConfig,
    XLMRobertaForSequenceClassification,
    default_data_collator,
)

from xstilts.tasks import NLI_LABELS
from xstilts.tokenization import train_tokenizer
from xstilts.train.batching import BucketBatcher
from xstilts.train.loop import LoopConfig, Loss, train
from xstilts.world import datasets
from xstilts.world.languages import DEFAULT_LANGUAGES, World

MAX_LENGTH = 128


def setup(hidden: int, layers: int, heads: int, vocab: int | None, n: int = 4000):
    world = World(DEFAULT_LANGUAGES, 0)
    records = list(datasets.xnli(world, "train", "en", n))
    corpus = [line for lang in world.codes for line in datasets.corpus(world, lang, 3000)]
    tokenizer = train_tokenizer(corpus, 1000)
    labels = [NLI_LABELS.index(r["gold_label"]) for r in records]
    pairs = ([r["sentence1"] for r in records], [r["sentence2"] for r in records])
    # A larger vocab than the tokenizer's gives the embedding (and its optimizer update) of
    # the size named, e.g. XLM-R's 250,002 rows; the ids used stay the tokenizer's.
    config = XLMRobertaConfig(vocab_size=max(vocab or 0, len(tokenizer)), hidden_size=hidden,
                              num_hidden_layers=layers, num_attention_heads=heads,
                              intermediate_size=4 * hidden,
                              max_position_embeddings=MAX_LENGTH + 2, type_vocab_size=1,
                              pad_token_id=1, num_labels=3)
    return tokenizer, pairs, labels, config


def model_from(config, seed: int = 0):
    torch.manual_seed(seed)
    return XLMRobertaForSequenceClassification(config)


def args_for(steps: int, batch: int, bf16: bool, **kw) -> TrainingArguments:
    return TrainingArguments(output_dir="/tmp/xstilts-bench", max_steps=steps,
                             per_device_train_batch_size=batch, learning_rate=1e-4,
                             warmup_steps=max(1, steps // 10), weight_decay=0.01,
                             lr_scheduler_type="linear", max_grad_norm=1.0,
                             bf16=bf16, use_cpu=not torch.cuda.is_available(),
                             report_to="none", save_strategy="no", logging_strategy="no",
                             disable_tqdm=True, seed=0, **kw)


def run_trainer(tokenizer, pairs, labels, config, steps, batch, bf16, tuned: bool,
                compile: bool = False, pad_multiple: int = 1) -> float:
    if tuned:  # at its best: the same compile and padding multiple as ours
        enc = tokenizer(*pairs, truncation=True, max_length=MAX_LENGTH)
        collator = DataCollatorWithPadding(tokenizer, pad_to_multiple_of=pad_multiple)
        extra = {"train_sampling_strategy": "group_by_length", "optim": "adamw_torch_fused",
                 "torch_compile": compile}
    else:
        enc = tokenizer(*pairs, truncation=True, max_length=MAX_LENGTH, padding="max_length")
        collator = default_data_collator
        extra = {}
    data = [{"input_ids": i, "attention_mask": m, "labels": y}
            for i, m, y in zip(enc["input_ids"], enc["attention_mask"], labels)]
    trainer = Trainer(model=model_from(config), args=args_for(steps, batch, bf16, **extra),
                      train_dataset=data, data_collator=collator)
    start = time.perf_counter()
    trainer.train()
    return steps * batch / (time.perf_counter() - start)


def run_ours(tokenizer, pairs, labels, config, steps, batch, bf16, compile: bool = False,
             pad_multiple: int = 1, micro_tokens: int | None = None) -> float:
    ids = tokenizer(*pairs, truncation=True, max_length=MAX_LENGTH)["input_ids"]
    examples = [{"input_ids": i, "labels": y} for i, y in zip(ids, labels)]
    batcher = BucketBatcher(examples, batch, seed=0, pad_id=tokenizer.pad_token_id,
                            pad_multiple=pad_multiple)
    model = model_from(config).to("cuda" if torch.cuda.is_available() else "cpu")
    cfg = LoopConfig(steps=steps, lr=1e-4, warmup_ratio=0.1, bf16=bf16, log_every=steps,
                     max_grad_norm=1.0, compile=compile, micro_tokens=micro_tokens,
                     pad_multiple=pad_multiple)
    start = time.perf_counter()
    train(model, lambda m, b: Loss(m(**b).loss), batcher.batch, cfg)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--compile", action="store_true",
                        help="compiled steps, ours and the tuned Trainer's")
    parser.add_argument("--pad-multiple", type=int, default=1,
                        help="batch widths rounded up to a multiple, ours and the tuned "
                             "Trainer's (train.pad_to_multiple)")
    parser.add_argument("--micro-tokens", type=int, default=None,
                        help="ours only: each batch cut into micro-batches of at most this "
                             "many padded tokens (train.micro_batch_tokens; the Trainer has "
                             "no such setting)")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=None, help="embedding rows (default: "
                        "the offline tokenizer's)")
    args = parser.parse_args()
    random.seed(0)
    tokenizer, pairs, labels, config = setup(args.hidden, args.layers, args.heads, args.vocab)
    setup_args = (tokenizer, pairs, labels, config, args.steps, args.batch, args.bf16)
    runs = {"ours": [], "reference recipe": [], "tuned Trainer": []}
    warm = (tokenizer, pairs, labels, config, 2, args.batch, args.bf16)  # first-call costs
    run_ours(*warm), run_trainer(*warm, tuned=False), run_trainer(*warm, tuned=True)
    same = {"compile": args.compile, "pad_multiple": args.pad_multiple}
    for _ in range(args.repeats):
        runs["ours"].append(run_ours(*setup_args, **same, micro_tokens=args.micro_tokens))
        runs["reference recipe"].append(run_trainer(*setup_args, tuned=False))
        runs["tuned Trainer"].append(run_trainer(*setup_args, tuned=True, **same))
    med = {k: statistics.median(v) for k, v in runs.items()}
    precision = "bf16 autocast" if args.bf16 else "fp32"
    device = "cuda" if torch.cuda.is_available() else f"cpu ({torch.get_num_threads()} threads)"
    print(f"device {device}, {precision}, d={args.hidden}, layers {args.layers}, vocab "
          f"{config.vocab_size}, batch {args.batch}, max length {MAX_LENGTH}, "
          f"{args.steps} steps, median of {args.repeats}")
    for name, values in runs.items():
        print(f"  {name:<17} {med[name]:8.1f} samples/s   runs: "
              + ", ".join(f"{v:.1f}" for v in values))
    print(f"ratio vs reference recipe {med['ours'] / med['reference recipe']:.2f}x, "
          f"ratio vs tuned Trainer {med['ours'] / med['tuned Trainer']:.2f}x")


if __name__ == "__main__":
    main()
