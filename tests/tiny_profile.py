"""The tiny params profile the slow tests run the pipeline with (about a minute)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

TINY = {
    "world": {"corpus_sentences": 600, "intermediate_size": 300, "intermediate_cap": 300,
              "intermediate_floor": 60, "train_size": 200, "eval_size": 40, "tatoeba_size": 40},
    "pretrain": {"source": "train", "vocab_size": 300, "hidden_size": 32, "layers": 2,
                 "heads": 2, "steps": 30, "batch_size": 32},
    "train": {"checkpoint_every": 10},
    "intermediate": {"tasks": ["none", "mnli"], "steps": 40, "epochs": None},
    "finetune": {"targets": ["xnli"], "steps": 20},
    "eval": {"retrieval_tasks": ["tatoeba"]},
    "clip": {"images": 64, "image_size": 16, "steps": 10, "batch_size": 16},
}


def merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(base[k], v) if isinstance(v, dict) else v
    return out


def tiny_params() -> dict:
    return merge(yaml.safe_load((ROOT / "params.yaml").read_text()), TINY)
