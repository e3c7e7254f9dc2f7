"""Real mode's phase 0: a released encoder from the hub (``xlm-roberta-large`` or
``xlm-roberta-base``) saved where the offline ``pretrain`` stage saves its own, so every later
stage loads it with ``xstilts.models.task_model.load_encoder``.

The masked-LM checkpoint is kept whole (encoder + LM head): ``AutoModel`` loads its encoder,
and continued MLM during intermediate training (``intermediate.mlm_weight``) needs the head.
"""

from pathlib import Path

from xstilts.data.files import publish, write_json
from xstilts.data.hub import HubError, check_hub, unreachable

# The released encoders' shapes: (layers, hidden, feed-forward, vocabulary, positions).
ENCODER_SHAPES = {"xlm-roberta-base": (12, 768, 3072, 250_002, 514),
                  "xlm-roberta-large": (24, 1024, 4096, 250_002, 514)}
# Their transformer layers (eval.retrieval_layer is checked against them).
ENCODER_LAYERS = {name: shape[0] for name, shape in ENCODER_SHAPES.items()}
# open_clip's multilingual CLIPs: their XLM-R text tower and pretrained tag. The large one's
# ViT-H/14 image tower was frozen in training (LiT); its text tower was trained from XLM-R.
HUB_CLIPS = {"xlm-roberta-base-ViT-B-32": ("xlm-roberta-base", "laion5b_s13b_b90k"),
             "xlm-roberta-large-ViT-H-14": ("xlm-roberta-large", "frozen_laion5b_s13b_b90k")}


def released_name(name: str) -> str:
    """``xlm-roberta-large`` of ``FacebookAI/xlm-roberta-large`` (or of itself)."""
    return name.rstrip("/").rsplit("/", 1)[-1]


def fetch_encoder(name: str, out_dir: Path, *, revision: str | None = None,
                  timeout: float = 10.0, check=check_hub) -> Path:
    """Save ``AutoModelForMaskedLM`` and ``AutoTokenizer.from_pretrained(name)`` into
    ``out_dir`` (atomically: a failure leaves an existing ``out_dir`` as it was). ``name`` may
    be a local directory holding such a checkpoint, which needs no network."""
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    local = Path(name).is_dir()
    if not local:
        check(models=[name], timeout=timeout)
    with publish(out_dir) as tmp:
        try:
            model = AutoModelForMaskedLM.from_pretrained(name, revision=revision)
            tokenizer = AutoTokenizer.from_pretrained(name, revision=revision)
        except OSError as err:  # no network mid-way, missing files, bad revision
            raise unreachable(f"model {name}: {err}") from err
        if not tokenizer.is_fast:
            raise HubError(f"{name}: no fast tokenizer (tokenizer.json), which the pipeline "
                           "loads; install `tokenizers` and `sentencepiece`")
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_json(tmp / "source.json", {
            "name": name, "revision": revision,
            "commit": getattr(model.config, "_commit_hash", None),
            "parameters": sum(p.numel() for p in model.parameters())})
    return out_dir
