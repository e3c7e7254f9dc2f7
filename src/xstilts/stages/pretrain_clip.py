"""Stage `pretrain_clip` (phase 0b, encoder: clip): the phase-0 encoder trained as the text
tower of a CLIP on the world's captioned images; its text tower is exported as the encoder
every later phase starts from.

Batches. Each step draws ``clip.batch_size`` images; each image comes with captions in
``captions_per_image`` languages, drawn afresh per image and step (``caption_languages: en``:
English only). The loss is open_clip's ``ClipLoss`` between the images and the k-th caption
of every image, averaged over k. Why this shape:

* Languages meet only through the image: a caption's positive is its image and its
  negatives are other images, so anything language-specific in a text embedding is noise the
  loss removes. Putting the *same* image in one step with captions in several languages
  pulls those captions onto one anchor in one update, instead of in expectation over epochs
  as one language per image would; it is the direct signal that aligns languages.
* One ClipLoss per caption slot keeps one positive per row: a single loss over an image
  repeated with two captions would count the other-language caption as a negative and push
  the very translations apart that it should join.
* Each slot mixes languages across images, so no softmax runs over one language only and
  a language offset in the embeddings cannot lower the loss.

Real mode (``data.source: hf``) trains nothing: the released multilingual CLIP named by
``hub.clip_model`` / ``hub.clip_pretrained`` is already trained; it is saved and exported.
"""

import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from open_clip import ClipLoss

from xstilts import mirror, tracking
from xstilts.config import ClipParams, TrainParams
from xstilts.data.files import publish, write_json
from xstilts.errors import StageError
from xstilts.eval.retrieval import embed
from xstilts.models import clip
from xstilts.stages.cli import parse, run
from xstilts.stages.common import device, fingerprint, loop_config, resume_dir, seed_everything
from xstilts.train import distributed
from xstilts.train.loop import Loss, train
from xstilts.world.images import load_caption_dataset

CAPTIONS_PER_IMAGE = ClipParams().captions_per_image  # train_clip's default
MAX_LOGIT_SCALE = math.log(100.0)  # open_clip's training clamps the temperature at 0.01


class CaptionBatcher:
    """Batches of images and caption token ids, a pure function of (seed, step) so that a
    resumed run replays the same data. Images are shuffled per epoch; each image's caption
    languages are drawn per step without replacement."""

    def __init__(self, images: np.ndarray, tokens: torch.Tensor, batch_size: int,
                 per_image: int, seed: int, pad_id: int):
        n_langs, n_images, _ = tokens.shape
        if not 1 <= per_image <= n_langs:
            raise ValueError(f"captions per image: {per_image} not in 1..{n_langs} languages")
        self.images = clip.image_input(images)
        self.tokens = tokens  # (languages, images, context length)
        self.batch_size = min(batch_size, n_images)
        self.per_image, self.seed, self.pad_id = per_image, seed, pad_id
        self.per_epoch = n_images // self.batch_size
        self._epoch, self._perm = -1, torch.empty(0, dtype=torch.long)

    def batch(self, step: int) -> dict[str, torch.Tensor]:
        epoch, index = divmod(step, self.per_epoch)
        if epoch != self._epoch:
            g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            self._epoch, self._perm = epoch, torch.randperm(self.tokens.shape[1], generator=g)
        idx = self._perm[index * self.batch_size:(index + 1) * self.batch_size]
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + step + 7)
        langs = torch.rand(len(idx), self.tokens.shape[0], generator=g).argsort(dim=1)
        langs = langs[:, :self.per_image].T  # (K, B): slot k of image b
        texts = self.tokens[langs, idx.unsqueeze(0)]  # (K, B, T)
        keep = clip.trim_padding(texts.flatten(0, 1), self.pad_id).shape[1]
        return {"images": self.images[idx], "texts": texts[:, :, :keep].contiguous()}


def clip_objective() -> Callable[[torch.nn.Module, dict], Loss]:
    """loss_fn for the project loop: ClipLoss per caption slot, averaged."""
    loss = ClipLoss()

    def loss_fn(model, batch):
        with torch.no_grad():  # the loop has no post-step hook; clamping before use is same
            model.logit_scale.clamp_(0, MAX_LOGIT_SCALE)
        images = model.encode_image(batch["images"], normalize=True)
        k, b, t = batch["texts"].shape
        texts = model.encode_text(batch["texts"].view(k * b, t), normalize=True).view(k, b, -1)
        scale = model.logit_scale.exp()
        total = sum(loss(images, texts[i], scale) for i in range(k)) / k
        return Loss(total, logs={"temperature": 1.0 / scale.detach()})

    return loss_fn


def tokenize(tokenizer, captions: list[dict[str, str]], languages: list[str]) -> torch.Tensor:
    """(languages, images, context length) token ids; truncation would cut scene content,
    so it is an error, not a silent loss."""
    ids = torch.stack([tokenizer([c[lang] for c in captions]) for lang in languages])
    pad = tokenizer.tokenizer.pad_token_id
    if (ids[..., -1] != pad).any():
        raise ValueError(f"captions longer than the text context ({ids.shape[-1]} tokens)")
    return ids


@torch.inference_mode()
def retrieval(model, tokenizer, images: np.ndarray, captions: list[dict[str, str]],
              languages: list[str], batch_size: int = 256) -> dict[str, dict[str, float]]:
    """Recall@1 per language on held-out pairs: image -> caption and caption -> image in the
    shared space, and caption -> English caption both in the shared space (``t2t_r1``) and
    with the mean-pooled encoder states later phases see (``encoder_t2t_r1``, the Tatoeba
    method)."""
    model.eval()
    dev = next(model.parameters()).device
    pad = tokenizer.tokenizer.pad_token_id
    x = clip.image_input(images)
    img = torch.cat([model.encode_image(x[i:i + batch_size].to(dev), normalize=True).float()
                     for i in range(0, len(x), batch_size)])
    target = torch.arange(len(img), device=dev)
    txt, enc = {}, {}
    for lang in languages:
        sentences = [c[lang] for c in captions]
        ids = tokenizer(sentences)
        txt[lang] = torch.cat([
            model.encode_text(clip.trim_padding(ids[i:i + batch_size], pad).to(dev),
                              normalize=True).float()
            for i in range(0, len(ids), batch_size)])
        enc[lang] = embed(model.text.transformer, tokenizer.tokenizer, sentences, -1,
                          batch_size, tokenizer.context_length).to(dev)

    def r1(queries, keys):
        return (queries @ keys.T).argmax(dim=1).eq(target).float().mean().item()

    out = {}
    for lang in languages:
        out[lang] = {"i2t_r1": r1(img, txt[lang]), "t2i_r1": r1(txt[lang], img)}
        if lang != "en" and "en" in txt:
            out[lang]["t2t_r1"] = r1(txt[lang], txt["en"])
            out[lang]["encoder_t2t_r1"] = r1(enc[lang], enc["en"])
    return out


def mean_recall(per_lang: dict[str, dict[str, float]]) -> dict[str, float]:
    keys = sorted({k for m in per_lang.values() for k in m})
    return {k: float(np.mean([m[k] for m in per_lang.values() if k in m])) for k in keys}


def flat(prefix: str, per_lang: dict[str, dict[str, float]]) -> dict[str, float]:
    return {f"{prefix}{k}/{lang}": v for lang, m in per_lang.items() for k, v in m.items()}


@dataclass
class ClipRun:
    model: torch.nn.Module
    cfg: dict
    tokenizer: object
    metrics: dict


def train_clip(pretrained: Path, captions: Path, p: ClipParams, languages: list[str],
               seed: int = 0, loop: TrainParams | None = None,
               captions_per_image: int = CAPTIONS_PER_IMAGE, resume: Path | None = None,
               on_log: Callable[[int, dict[str, float]], None] | None = None,
               dev: torch.device | str = "cpu") -> ClipRun:
    """Build a CLIP on the encoder in ``pretrained``, train it on ``captions/train`` and
    measure retrieval on ``captions/test`` before and after. ``on_log(step, metrics)``
    receives losses and retrieval recalls (keys "clip/...")."""
    start = time.perf_counter()
    loop = loop or TrainParams()
    # The image tower and projections are initialised here, so the seed must be set here,
    # not only in the loop: otherwise results depend on what ran before (measured: R@1 moves
    # by ~0.15 between two initialisations).
    torch.manual_seed(seed)
    model, cfg = clip.build_clip(pretrained, p.image_size, p.init_temperature, p.image_tower)
    model = model.to(dev)
    tokenizer = clip.text_tokenizer(cfg)
    images, texts = load_caption_dataset(captions / "train")
    test_images, test_texts = load_caption_dataset(captions / "test")
    missing = [lang for lang in languages if lang not in texts[0] or lang not in test_texts[0]]
    if missing:
        raise ValueError(f"{captions}: no captions in {missing}; re-run the captions stage")
    if images.shape[-1] != p.image_size:
        raise ValueError(f"{captions}: images are {images.shape[-1]}px, clip.image_size is "
                         f"{p.image_size}; re-run the captions stage")
    train_langs = languages if p.caption_languages == "all" else ["en"]
    per_image = min(captions_per_image, len(train_langs))
    batcher = CaptionBatcher(images[:p.images], tokenize(tokenizer, texts[:p.images],
                                                         train_langs),
                             p.batch_size, per_image, seed, tokenizer.tokenizer.pad_token_id)
    log = on_log or (lambda step, metrics: None)
    before = retrieval(model, tokenizer, test_images, test_texts, languages)
    log(0, flat("clip/", before))
    # No accumulation whatever train.grad_accum says: a contrastive step's negatives are
    # its own batch, so accumulated micro-batches are not one larger batch.
    cfg_loop = loop_config(loop, p.steps, p.lr, seed, grad_accum=1)
    final = train(model, clip_objective(), batcher.batch, cfg_loop, resume,
                  on_log=lambda step, m: log(step, {f"clip/{k}": v for k, v in m.items()}))
    train_seconds = time.perf_counter() - start
    after = retrieval(model, tokenizer, test_images, test_texts, languages)
    log(p.steps, flat("clip/", after))
    metrics = {
        "clip_loss": final["loss"], "temperature": final["temperature"],
        "train_images": len(batcher.tokens[0]), "train_languages": len(train_langs),
        "captions_per_image": per_image, "test_images": len(test_images),
        "train_seconds": round(train_seconds, 1),
        "trainable_parameters": sum(x.numel() for x in model.parameters() if x.requires_grad),
        "mean": mean_recall(after), "mean_before": mean_recall(before),
        "retrieval": after, "retrieval_before": before,
    }
    return ClipRun(model, cfg, tokenizer, metrics)


def main(argv=None) -> None:
    def add(p):
        p.add_argument("--pretrained", type=Path, required=True,
                       help="phase-0 HF encoder directory (unused in real mode)")
        p.add_argument("--captions", type=Path, required=True,
                       help="the captions stage's output (unused in real mode)")
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--metrics", type=Path, required=True)

    args, params = parse(__doc__, argv, add)
    seed = params.pretrain.seed  # one phase-0b encoder for every seed, as phase 0
    seed_everything(seed)
    if params.encoder == "xlmr":  # no phase 0b: later phases start from the MLM encoder
        with publish(args.out) as tmp:
            shutil.copytree(args.pretrained, tmp / "encoder")
        write_json(args.metrics, {"phase_0b": "none"})  # not "encoder": the param's name
        print(f"pretrain_clip: encoder xlmr, the phase-0 encoder passed on to {args.out}")
        return
    if distributed.active():
        # Its loss reads the model's towers directly, past DDP's forward, and a rank's
        # contrastive negatives would be its own shard only.
        raise StageError("pretrain_clip runs in one process: start it without torchrun")
    p = params.clip
    per_image = p.captions_per_image
    run_params = {"clip": p.model_dump(), "captions_per_image": per_image, "seed": seed,
                  "source": params.data.source, "train": params.train.model_dump()}
    with tracking.stage_run(params, "pretrain_clip", "pretrain_clip", run_params):
        if params.data.source == "hf":
            hub = params.hub
            local = {}
            if hub.mirror:
                weights, text_dir = mirror.clip_files(params, Path(hub.mirror))
                local = {"weights": weights, "text_dir": text_dir}
            model, cfg, tokenizer = clip.build_hub_clip(hub.clip_model, hub.clip_pretrained,
                                                        p.image_tower, **local)
            metrics = {"clip_model": hub.clip_model, "clip_pretrained": hub.clip_pretrained}
        else:
            key = {"pretrained": fingerprint(args.pretrained),
                   "captions": fingerprint(args.captions), "languages": params.data.languages,
                   **run_params}
            run = train_clip(
                args.pretrained, args.captions, p, params.data.languages, seed, params.train,
                per_image, resume_dir("pretrain_clip", key),
                on_log=lambda step, m: tracking.log_metrics(m, step), dev=device())
            model, cfg, tokenizer, metrics = run.model, run.cfg, run.tokenizer, run.metrics
            tracking.log_metrics({f"clip_{k}": v for k, v in metrics["mean"].items()})
        with publish(args.out) as tmp:
            clip.save_clip(model.cpu(), cfg, tokenizer, tmp)
        write_json(args.metrics, metrics)
    summary = {k: round(v, 3) for k, v in metrics.get("mean", {}).items()}
    print(f"pretrain_clip: {summary or metrics['clip_model']}, saved to {args.out}")


if __name__ == "__main__":
    run(main)
