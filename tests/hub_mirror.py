"""A hub mirror as `python -m xstilts.mirror fetch` leaves it, written by the tests: every
split the study reads in the hub's parquet-export layout and schema (tests/local_hub.py), a
tiny XLM-R under the encoder's repo id (its tokenizer XLM-R's own fast SentencePiece class),
a tiny open_clip model of the multilingual CLIP's shape (a ViT and an HF XLM-R text tower,
its open_clip_config.json naming ``xlm-roberta-large`` as the released one does) and a
manifest."""

import json
from pathlib import Path

import open_clip
from datasets import Dataset
from PIL import Image
from safetensors.torch import save_file
from transformers import XLMRobertaForMaskedLM

from local_hub import SENTENCES, records_for, schema_for, tiny_config
from xstilts import mirror
from xstilts.data.hub import config_name
from xstilts.models.clip import resolve_hub_clip
from xstilts.tokenization import train_tokenizer

FLICKR = {"image": Image.new("RGB", (6, 4), "red"), "caption": ["A red square."],
          "sentids": ["0"], "img_id": "0", "filename": "0.jpg"}
TINY_VIT = {"image_size": 16, "layers": 1, "width": 32, "head_width": 16, "patch_size": 8,
            "mlp_ratio": 2.0}


def fill_mirror(root: Path, params) -> Path:
    for part, lang in mirror.dataset_parts(params):
        config = config_name(part, lang)
        path = root / "datasets" / part.dataset / mirror.split_dir(config, part.split)
        if path.is_dir():
            continue
        path.mkdir(parents=True)
        if part.dataset == params.hub.captions.dataset:
            records = [FLICKR] * 3
        else:
            records = records_for(part.dataset, config, part.split)
        Dataset.from_list(records, features=schema_for(part.dataset, config)).to_parquet(
            path / "0000.parquet")
    tokenizer = train_tokenizer([s for lang in SENTENCES.values() for s in lang], 400)
    encoder = mirror.model_dir(root, params.hub.encoder)
    XLMRobertaForMaskedLM(tiny_config(tokenizer)).save_pretrained(encoder)
    tokenizer.save_pretrained(encoder)
    write_tiny_clip(root, params, encoder)
    (root / mirror.MANIFEST).write_text("{}\n")
    return root


def write_tiny_clip(root: Path, params, encoder: Path) -> Path:
    """The study's CLIP repo in the mirror: the released config with a tiny ViT, and weights
    of that shape."""
    cfg, tag = resolve_hub_clip(params.hub.clip_model, params.hub.clip_pretrained)
    cfg = {**cfg, "embed_dim": 16, "vision_cfg": TINY_VIT}
    built = {**cfg["text_cfg"], "hf_model_name": str(encoder),
             "hf_tokenizer_name": str(encoder), "hf_model_pretrained": False}
    model = open_clip.create_model(params.hub.clip_model, text_cfg=built,
                                   embed_dim=cfg["embed_dim"], vision_cfg=TINY_VIT)
    folder = mirror.model_dir(root, tag["hf_hub"].strip("/"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "open_clip_config.json").write_text(json.dumps(
        {"model_cfg": cfg, "preprocess_cfg": {"mean": [0.5] * 3, "std": [0.5] * 3}}))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              str(folder / "open_clip_model.safetensors"))
    return folder
