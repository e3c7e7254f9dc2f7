"""The offline phase-0 encoder shipped with the repository, used as a released checkpoint.

Real mode starts from a released XLM-R; the offline study does the same with the encoder and
tokenizer that the `pretrain` stage trained at the commit that shipped them (``assets/encoder``:
the stage's output files and ``release.json``). ``release.json`` holds the release key: a hash
of the corpus the encoder was trained on and of the phase-0 params that define it. The
`pretrain` stage compares it with the key of the current corpus and params and refuses a
shipped encoder that another world or other params would not have produced.
"""

import hashlib
import json
import shutil
from pathlib import Path

from xstilts.errors import StageError

RELEASE = "release.json"
FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
# The loop settings that define the phase-0 encoder; precision, compilation and checkpoint
# frequency change how it is computed, not what it is meant to be.
LOOP_KEYS = ("warmup_ratio", "weight_decay", "max_grad_norm")


class ShippedEncoderError(StageError):
    """The shipped encoder does not belong to this corpus or these params."""


def release_key(corpus: dict[str, list[str]], pretrain: dict, loop: dict) -> str:
    """A hash of the corpus lines per language (in ``data.languages`` order) and the params."""
    h = hashlib.sha256()
    for lang, lines in corpus.items():
        h.update(f"{lang}\n".encode())
        h.update(hashlib.sha256("\n".join(lines).encode()).digest())
    settings = {"pretrain": {k: v for k, v in pretrain.items() if k != "source"},
                "train": {k: loop[k] for k in LOOP_KEYS}}
    h.update(json.dumps(settings, sort_keys=True).encode())
    return h.hexdigest()[:16]


def read_release(shipped: Path) -> dict:
    try:
        return json.loads((shipped / RELEASE).read_text())
    except (OSError, ValueError) as err:
        raise ShippedEncoderError(f"{shipped / RELEASE}: no readable release ({err})") from None


def check(shipped: Path, key: str) -> dict:
    """The release, if its key is ``key``; else an error that says how to go on."""
    release = read_release(shipped)
    if release.get("key") != key:
        raise ShippedEncoderError(
            f"{shipped} holds the phase-0 encoder of another corpus or other phase-0 params "
            f"(released at commit {release.get('commit', '?')} with key {release.get('key')}; "
            f"this study's key is {key}): the world, data.languages or pretrain.* changed "
            "since. Train phase 0 instead (`dvc exp run -S pretrain.source=train`), or "
            "train and ship a new release (`python -m xstilts.release`).")
    missing = [f for f in FILES if not (shipped / f).is_file()]
    if missing:
        raise ShippedEncoderError(f"{shipped}: {missing} missing from the release")
    return release


def copy_files(source: Path, out: Path) -> None:
    """The encoder and tokenizer files, as the pretrain stage writes them."""
    out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(source / name, out / name)
