"""CLIP models of phase 0b: open_clip's ``CustomTextCLIP`` with the project's encoder as text
tower, saved in open_clip's format and exported as an HF encoder for the rest of the pipeline.

Offline, the text tower is the phase-0 HF encoder directory, wrapped by open_clip's HF text
tower (mean pooling and an MLP projection, as in open_clip's ``xlm-roberta-base-ViT-B-32``),
and the image tower a tiny ViT (``clip_configs/xstilts-tiny-vit.json``). In real mode the
model is open_clip's released multilingual CLIP, named by architecture and pretrained tag.

A saved model directory is open_clip's ``local-dir:`` layout plus the HF export::

    clip/open_clip_config.json        {"model_cfg": ..., "preprocess_cfg": ...}
    clip/open_clip_model.safetensors  the full state dict
    clip/tokenizer.json, ...          the text tokenizer: open_clip.get_tokenizer("local-dir:clip")
    encoder/                          text transformer + tokenizer: AutoModel.from_pretrained

``text_cfg.hf_model_name`` in the saved config is ``../encoder``, relative to ``clip/``: a
directory moves (DVC publishes through a temporary name), so no absolute path is stored and
``load_clip`` resolves it. open_clip reads only the HF *config* there; weights come from clip/.
"""

import copy
import json
import math
from pathlib import Path

import numpy as np
import open_clip
import torch
from open_clip.tokenizer import HFTokenizer
from safetensors.torch import save_file

from xstilts.models.hub import HUB_CLIPS

CONFIG_DIR = Path(__file__).with_name("clip_configs")
TINY_MODEL = "xstilts-tiny-vit"
# Real mode: open_clip's multilingual CLIPs, whose text towers are XLM-R (HF transformers).
HUB_MODELS = {name: tag for name, (_, tag) in HUB_CLIPS.items()}
ENCODER_LINK = "../encoder"
CONFIG_FILE, WEIGHTS_FILE = "open_clip_config.json", "open_clip_model.safetensors"
IMAGE_TOWERS = ("trained", "frozen")


def register_configs() -> None:
    """Make the project's model configs known to open_clip by name (idempotent)."""
    if TINY_MODEL not in open_clip.list_models():
        open_clip.add_model_config(CONFIG_DIR)


def tiny_config(text_dir: Path, image_size: int = 32) -> dict:
    """The tiny model's open_clip config, its text tower pointing at ``text_dir``."""
    register_configs()
    cfg = open_clip.get_model_config(TINY_MODEL)
    cfg["vision_cfg"]["image_size"] = image_size
    cfg["text_cfg"].update(hf_model_name=str(text_dir), hf_tokenizer_name=str(text_dir))
    return cfg


def _lock(model: torch.nn.Module, image_tower: str) -> None:
    if image_tower not in IMAGE_TOWERS:
        raise ValueError(f"image_tower: {image_tower!r}; allowed: {IMAGE_TOWERS}")
    if image_tower == "frozen":
        model.lock_image_tower()  # LiT: only the text side (and the temperature) learns


def build_clip(text_dir: Path, image_size: int = 32, init_temperature: float = 0.07,
               image_tower: str = "trained") -> tuple[torch.nn.Module, dict]:
    """(model, config): a new CLIP whose text tower starts from the HF encoder in
    ``text_dir`` and whose image tower is randomly initialised."""
    for needed in ("config.json", "tokenizer.json"):
        if not (text_dir / needed).is_file():
            raise FileNotFoundError(f"{text_dir / needed} is missing: the text tower must be "
                                    "an HF encoder directory (the pretrain stage's output)")
    cfg = tiny_config(text_dir.resolve(), image_size)
    model = open_clip.create_model(
        TINY_MODEL, force_image_size=image_size,
        # text_cfg replaces the registered one, so the HF weights flag is set here.
        text_cfg={**cfg["text_cfg"], "hf_model_pretrained": True},
        init_logit_scale=math.log(1.0 / init_temperature))
    _lock(model, image_tower)
    return model, cfg


def text_tokenizer(cfg: dict) -> HFTokenizer:
    """open_clip's tokenizer for an HF text tower: pads to the config's context length."""
    text_cfg = cfg["text_cfg"]
    return HFTokenizer(text_cfg["hf_tokenizer_name"],
                       context_length=text_cfg.get("context_length", 77))


# --- real mode -----------------------------------------------------------------------------

def resolve_hub_clip(model_name: str, pretrained: str) -> tuple[dict, dict]:
    """open_clip's model config and pretrained-tag entry, from its built-in tables only (no
    network); raises ValueError naming what is available when either is unknown."""
    cfg = open_clip.get_model_config(model_name)
    if cfg is None:
        raise ValueError(f"hub.clip_model: open_clip has no model {model_name!r}; the "
                         f"multilingual ones are {sorted(HUB_MODELS)}")
    if "hf_model_name" not in cfg["text_cfg"]:
        raise ValueError(f"hub.clip_model: {model_name!r} has no HF text tower, so it cannot "
                         f"be exported as an encoder; use one of {sorted(HUB_MODELS)}")
    tag = open_clip.get_pretrained_cfg(model_name, pretrained)
    if not tag:
        raise ValueError(f"hub.clip_pretrained: {model_name!r} has no pretrained tag "
                         f"{pretrained!r}; tags: "
                         f"{open_clip.list_pretrained_tags_by_model(model_name)}")
    return cfg, tag


def build_hub_clip(model_name: str, pretrained: str, image_tower: str = "trained",
                   cache_dir: str | None = None, weights: Path | None = None,
                   text_dir: Path | None = None) -> tuple[torch.nn.Module, dict, HFTokenizer]:
    """(model, config, tokenizer) of a released open_clip model; downloads the weights, or,
    from a local mirror, reads ``weights`` and builds the text tower from the HF config and
    tokenizer in ``text_dir``. A mirrored repo's own ``open_clip_config.json``, when it has
    one, is the architecture (as open_clip reads ``hf-hub:`` models), else open_clip's table
    entry for ``model_name``."""
    cfg, tag = resolve_hub_clip(model_name, pretrained)
    try:
        if weights is None:
            model = open_clip.create_model(model_name, pretrained=pretrained,
                                           cache_dir=cache_dir)
            tokenizer = open_clip.get_tokenizer(model_name, cache_dir=cache_dir)
        else:
            source, checkpoint = model_name, str(weights)
            if (weights.parent / CONFIG_FILE).is_file():
                cfg = json.loads((weights.parent / CONFIG_FILE).read_text())["model_cfg"]
                source, checkpoint = f"local-dir:{weights.parent}", None
            text_cfg = {**cfg["text_cfg"], "hf_model_name": str(text_dir),
                        "hf_tokenizer_name": str(text_dir), "hf_model_pretrained": False}
            model = open_clip.create_model(source, pretrained=checkpoint, text_cfg=text_cfg)
            cfg = {**cfg, "text_cfg": text_cfg}
            tokenizer = text_tokenizer(cfg)
    except Exception as err:
        raise RuntimeError(f"{model_name}/{pretrained}: could not load from the hub "
                           f"({tag.get('hf_hub') or tag.get('url')}); real mode needs network "
                           f"access or a filled HF cache ({type(err).__name__}: {err})") from err
    _lock(model, image_tower)
    return model, cfg, tokenizer


# --- save, load, export --------------------------------------------------------------------

def export_text_encoder(model: torch.nn.Module, tokenizer: HFTokenizer, directory: Path) -> None:
    """The text tower's transformer and tokenizer as an HF directory, the shape every later
    stage loads (``xstilts.models.task_model.load_encoder``)."""
    model.text.transformer.save_pretrained(directory)
    tokenizer.save_pretrained(directory)


def save_clip(model: torch.nn.Module, cfg: dict, tokenizer: HFTokenizer, out: Path) -> None:
    """Write ``out/clip`` (open_clip format) and ``out/encoder`` (HF export)."""
    clip_dir = out / "clip"
    clip_dir.mkdir(parents=True, exist_ok=True)
    export_text_encoder(model, tokenizer, out / "encoder")
    saved = copy.deepcopy(cfg)
    saved["text_cfg"].update(hf_model_name=ENCODER_LINK, hf_tokenizer_name=ENCODER_LINK)
    saved["text_cfg"].pop("hf_model_pretrained", None)
    preprocess = open_clip.get_model_preprocess_cfg(model)
    (clip_dir / CONFIG_FILE).write_text(json.dumps(
        {"model_cfg": saved, "preprocess_cfg": preprocess}, indent=1) + "\n")
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()},
              str(clip_dir / WEIGHTS_FILE))
    tokenizer.save_pretrained(clip_dir)


def load_clip(clip_dir: Path, device: str | torch.device = "cpu"
              ) -> tuple[torch.nn.Module, HFTokenizer]:
    """(model in eval mode, tokenizer) from a saved ``clip/`` directory, through open_clip."""
    config_file = clip_dir / CONFIG_FILE
    if not config_file.is_file():
        raise FileNotFoundError(f"{config_file} is missing: not a saved CLIP directory")
    text_cfg = json.loads(config_file.read_text())["model_cfg"]["text_cfg"]
    link = Path(text_cfg["hf_model_name"])
    hf_dir = link if link.is_absolute() else (clip_dir / link).resolve()
    model = open_clip.create_model(
        f"local-dir:{clip_dir}", device=device,
        # Weights come from the checkpoint, so the HF tower is built from its config only.
        text_cfg={**text_cfg, "hf_model_name": str(hf_dir), "hf_tokenizer_name": str(hf_dir),
                  "hf_model_pretrained": False})
    return model.eval(), open_clip.get_tokenizer(f"local-dir:{clip_dir}")


# --- inputs --------------------------------------------------------------------------------

_MEAN = torch.tensor(open_clip.OPENAI_DATASET_MEAN).view(1, 3, 1, 1)
_STD = torch.tensor(open_clip.OPENAI_DATASET_STD).view(1, 3, 1, 1)


def image_input(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> float input, normalised as open_clip's default preprocessing."""
    x = torch.as_tensor(images).float().div_(255.0)
    return (x - _MEAN) / _STD


def trim_padding(ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Drop trailing columns that are padding in every row: the HF tower masks padding, so
    the result is unchanged while the tokenizer's fixed context length costs no compute."""
    used = (ids != pad_id).any(dim=0).nonzero()
    return ids[:, : int(used.max()) + 1] if len(used) else ids[:, :1]
