"""One shared encoder with a head per task, saved in formats users load directly.

A saved model directory::

    encoder/            AutoModel.from_pretrained / AutoTokenizer.from_pretrained
    heads.safetensors   every head's weights, keyed "<task>.<param>"
    heads.json          {task: {"type": ..., "num_labels": ..., ["pooling": ...]}}
"""

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoModel, AutoTokenizer

from xstilts.data.files import DataFileError
from xstilts.models.heads import HEADS, POOLED


class TaskModel(nn.Module):
    def __init__(self, encoder: nn.Module, head_specs: dict[str, dict]):
        super().__init__()
        self.encoder = encoder
        self.head_specs = dict(head_specs)
        hidden = encoder.config.hidden_size
        self.heads = nn.ModuleDict({task: _head(hidden, s) for task, s in head_specs.items()})

    def add_head(self, task: str, task_type: str, num_labels: int,
                 pooling: str = "mean") -> None:
        if task not in self.heads:
            spec = {"type": task_type, "num_labels": num_labels}
            if task_type in POOLED:
                spec["pooling"] = pooling
            self.head_specs[task] = spec
            device = next(self.encoder.parameters()).device
            self.heads[task] = _head(self.encoder.config.hidden_size, spec).to(device)

    def forward(self, task: str, batch: dict) -> dict:
        hidden = self.encoder(input_ids=batch["input_ids"],
                              attention_mask=batch["attention_mask"]).last_hidden_state
        return self.heads[task](hidden, batch)

    def freeze_lower(self, embeddings: bool, layers: int) -> None:
        """Keep the embeddings and/or the lowest ``layers`` transformer layers as they are:
        English-only training then cannot move what phase 0 aligned across languages."""
        blocks = self.encoder.encoder.layer
        if layers > len(blocks):
            raise ValueError(f"train.freeze_layers: {layers} is more than the encoder's "
                             f"{len(blocks)} layers")
        frozen = [*([self.encoder.embeddings] if embeddings else []), *blocks[:layers]]
        for module in frozen:
            module.requires_grad_(False)

    def save(self, directory: Path, tokenizer, dtype: torch.dtype = torch.float32) -> None:
        """Save the encoder with its tokenizer and the heads, weights cast to ``dtype``
        (bf16 halves the disk of a model trained under bf16 autocast; loading casts back
        to fp32)."""
        directory.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(directory / "encoder", state_dict={
            k: v.to(dtype) for k, v in self.encoder.state_dict().items()})
        tokenizer.save_pretrained(directory / "encoder")
        state = {f"{task}.{k}": v.to(dtype).contiguous() for task, head in self.heads.items()
                 for k, v in head.state_dict().items()}
        save_file(state, directory / "heads.safetensors")
        (directory / "heads.json").write_text(json.dumps(self.head_specs, indent=1))


def _head(hidden: int, spec: dict) -> nn.Module:
    extra = {"pooling": spec["pooling"]} if "pooling" in spec else {}
    return HEADS[spec["type"]](hidden, spec["num_labels"], **extra)


def load_encoder(directory: Path):
    """(encoder, tokenizer) from a phase-0 or saved task-model directory."""
    enc_dir = directory / "encoder" if (directory / "encoder").is_dir() else directory
    for needed in ("config.json", "tokenizer.json"):
        if not (enc_dir / needed).is_file():
            raise DataFileError(f"{enc_dir / needed} is missing: the encoder directory "
                                    "is incomplete (re-run the stage that writes it)")
    try:
        # The MLM checkpoint has no pooler; none of the heads uses one. Weights saved in
        # bf16 are trained on in fp32 (master weights; autocast computes in bf16).
        kwargs = {"add_pooling_layer": False} if _is_roberta(enc_dir) else {}
        return (AutoModel.from_pretrained(enc_dir, dtype=torch.float32, **kwargs),
                AutoTokenizer.from_pretrained(enc_dir))
    except Exception as err:  # truncated or corrupted files: name the directory
        raise DataFileError(f"{enc_dir}: the encoder or tokenizer files are unreadable "
                            f"({type(err).__name__}: {str(err)[:200]}); re-run the stage "
                            "that writes them") from err


def _is_roberta(enc_dir: Path) -> bool:
    return json.loads((enc_dir / "config.json").read_text()).get("model_type") in (
        "xlm-roberta", "roberta")


def load_task_model(directory: Path) -> tuple[TaskModel, object]:
    encoder, tokenizer = load_encoder(directory)
    specs_file = directory / "heads.json"
    specs = json.loads(specs_file.read_text()) if specs_file.exists() else {}
    model = TaskModel(encoder, specs)
    if specs:
        flat = load_file(directory / "heads.safetensors")
        for task, head in model.heads.items():
            head.load_state_dict({k.split(".", 1)[1]: v.float() for k, v in flat.items()
                                  if k.split(".", 1)[0] == task})
    return model.eval(), tokenizer
