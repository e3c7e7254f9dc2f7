"""Stage `pretrain` (phase 0): a subword tokenizer and an XLM-R-architecture MLM encoder.

Trained on the monolingual corpora of every language together, as XLM-R is on CC-100; the
result loads with ``AutoModel.from_pretrained(out)`` and ``AutoTokenizer.from_pretrained(out)``.
With ``pretrain.source: shipped`` (the default) the stage takes the encoder this stage trained
at the commit that shipped it (``--shipped``, see ``xstilts.models.shipped``), after checking
that it belongs to this corpus and these params; ``train`` trains it here.
"""

import json
from pathlib import Path

from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM

from xstilts import tracking
from xstilts.data.files import publish, read_lines, write_json
from xstilts.models import shipped
from xstilts.stages.cli import parse, run
from xstilts.stages.common import device, loop_config, resume_dir, seed_everything
from xstilts.tokenization import train_tokenizer
from xstilts.train.batching import BucketBatcher
from xstilts.train.loop import train
from xstilts.train.objectives import SparseMLM, masked_lm


def build_encoder(vocab_size: int, p) -> XLMRobertaForMaskedLM:
    config = XLMRobertaConfig(
        vocab_size=vocab_size, hidden_size=p.hidden_size, num_hidden_layers=p.layers,
        num_attention_heads=p.heads, intermediate_size=4 * p.hidden_size,
        # XLM-R counts positions from padding_idx + 1, hence the two extra slots.
        max_position_embeddings=p.max_length + 2, type_vocab_size=1,
        bos_token_id=0, pad_token_id=1, eos_token_id=2)
    return XLMRobertaForMaskedLM(config)


def fetch(args, params) -> None:
    from xstilts.data.hub import hub_settings
    from xstilts.models.hub import fetch_encoder

    settings = hub_settings(params)
    name = settings.encoder
    if settings.mirror:
        from xstilts.mirror import model_dir

        name = str(model_dir(Path(settings.mirror), settings.encoder))
    fetch_encoder(name, args.out, timeout=settings.timeout_s)
    info = json.loads((args.out / "source.json").read_text())
    write_json(args.metrics, {"parameters": info["parameters"]})
    print(f"pretrain: fetched {settings.encoder} into {args.out}")


def take_shipped(args, params, corpus: dict[str, list[str]]) -> None:
    """The released encoder, if it belongs to this corpus and these params."""
    key = shipped.release_key(corpus, params.pretrain.model_dump(), params.train.model_dump())
    release = shipped.check(args.shipped, key)
    with tracking.stage_run(params, "pretrain", "pretrain",
                            {"pretrain": params.pretrain.model_dump(),
                             "languages": params.data.languages,
                             "release": {k: release[k] for k in ("key", "commit")}}):
        metrics = {**release["metrics"], "source": "shipped"}
        tracking.log_metrics(release["metrics"])
        with publish(args.out) as tmp:
            shipped.copy_files(args.shipped, tmp)
        write_json(args.metrics, metrics)
    print(f"pretrain: the encoder shipped at commit {release['commit']} (MLM loss "
          f"{release['metrics']['mlm_loss']:.3f}), copied to {args.out}")


def main(argv=None) -> None:
    def add(p):
        p.add_argument("--corpus", type=Path, required=True)
        p.add_argument("--shipped", type=Path, default=Path("assets/encoder"),
                       help="the released encoder (pretrain.source: shipped)")
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--metrics", type=Path, required=True)

    args, params = parse(__doc__, argv, add, ddp=True)
    if params.data.source == "hf":  # real mode: a released XLM-R, nothing to train
        fetch(args, params)
        return
    files = [args.corpus / f"{lang}.txt" for lang in params.data.languages]
    corpus = {lang: read_lines(f) for lang, f in zip(params.data.languages, files)}
    if params.pretrain.source == "shipped":
        take_shipped(args, params, corpus)
        return
    lines = [line for lang_lines in corpus.values() for line in lang_lines]
    seed = params.pretrain.seed
    seed_everything(seed)
    p, t = params.pretrain, params.train
    with tracking.stage_run(params, "pretrain", "pretrain",
                            {"pretrain": p.model_dump(),
                             "languages": params.data.languages}):
        tracking.log_datasets(files, "training", args.corpus.parent)
        tokenizer = train_tokenizer(lines, p.vocab_size)
        ids = tokenizer(lines, truncation=True, max_length=p.max_length)["input_ids"]
        batcher = BucketBatcher([{"input_ids": i} for i in ids], p.batch_size, seed,
                                tokenizer.pad_token_id)
        model = build_encoder(len(tokenizer), p).to(device())
        # MLM batches are large already: no accumulation whatever train.grad_accum says.
        cfg = loop_config(t, p.steps, p.lr, seed, grad_accum=1)
        loss = masked_lm(tokenizer.mask_token_id, len(tokenizer), p.mask_prob)
        reads = {"data", "world", "pretrain", "train"}
        final = train(SparseMLM(model), loss, batcher.batch, cfg,
                      resume_dir("pretrain", params.model_dump(include=reads)),
                      on_log=lambda step, m: tracking.log_metrics({"mlm/loss": m["loss"]}, step))
        metrics = {"mlm_loss": final["loss"], "vocab_size": len(tokenizer),
                   "parameters": sum(x.numel() for x in model.parameters()),
                   "source": "train"}
        tracking.log_metrics({k: v for k, v in metrics.items() if k != "source"})
        with publish(args.out) as tmp:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
        write_json(args.metrics, metrics)
    print(f"pretrain: MLM loss {final['loss']:.3f}, saved to {args.out}")


if __name__ == "__main__":
    run(main)
