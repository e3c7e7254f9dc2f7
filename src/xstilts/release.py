"""Ship the offline phase-0 encoder: train it with the `pretrain` stage and write it, with its
release key and the machine that trained it, to ``assets/encoder`` (see
``xstilts.models.shipped``).

    dvc repro generate                      # the corpus of this world
    python -m xstilts.release               # trains phase 0 (minutes), writes assets/encoder
    python -m xstilts.release --from models/pretrained   # ship one trained already (source: train)
    python -m xstilts.release --check       # does assets/encoder belong to this world?

A change to the world's corpus, ``data.languages`` or ``pretrain.*`` makes the shipped encoder
another study's: the `pretrain` stage then stops and names the two ways on (train phase 0 with
``-S pretrain.source=train``, or ship a new release with this command), and ``--check`` fails.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from xstilts.config import load_params
from xstilts.data.files import publish, read_lines
from xstilts.models import shipped
from xstilts.publish import machine

SHIPPED = Path("assets/encoder")


def current_key(root: Path, params_path: Path) -> str:
    params = load_params(params_path)
    corpus_dir = root / "data" / params.data.source / "corpus"
    corpus = {lang: read_lines(corpus_dir / f"{lang}.txt") for lang in params.data.languages}
    return shipped.release_key(corpus, params.pretrain.model_dump(), params.train.model_dump())


def train(root: Path, params_path: Path, out: Path) -> dict:
    """Run the pretrain stage with ``pretrain.source: train`` into ``out``; its metrics."""
    raw = yaml.safe_load(params_path.read_text())
    raw.setdefault("pretrain", {})["source"] = "train"
    params = out.parent / "params.yaml"
    params.write_text(yaml.safe_dump(raw, sort_keys=False))
    metrics = out.parent / "pretrain.json"
    subprocess.run([sys.executable, "-m", "xstilts.stages.pretrain", "--params", str(params),
                    "--corpus", str(root / "data" / "synthetic" / "corpus"),
                    "--shipped", str(root / SHIPPED), "--out", str(out),
                    "--metrics", str(metrics)], cwd=root, check=True)
    return json.loads(metrics.read_text())


def release(root: Path, params_path: Path, source: Path | None, metrics_path: Path) -> dict:
    params = load_params(params_path)
    if params.data.source != "synthetic":
        sys.exit("error: data.source: hf starts from a released XLM-R; nothing to ship")
    key = current_key(root, params_path)
    with tempfile.TemporaryDirectory() as tmp:
        if source is None:
            source = Path(tmp) / "pretrained"
            metrics = train(root, params_path, source)
        else:
            metrics = json.loads(metrics_path.read_text())
            restamp = source.resolve() == (root / SHIPPED).resolve()
            if metrics.get("source") == "shipped" and not restamp:
                sys.exit(f"error: {source} is a copy of the shipped encoder, not one trained")
        info = {"key": key, **{k: v for k, v in machine(root).items()
                               if k in ("commit", "date", "CPU", "CPU flags", "torch kernels",
                                        "precision")},
                "metrics": {k: metrics[k] for k in ("mlm_loss", "vocab_size", "parameters")},
                "params": {"pretrain": params.pretrain.model_dump(exclude={"source"}),
                           "train": params.train.model_dump(include=set(shipped.LOOP_KEYS)),
                           "languages": params.data.languages}}
        with publish(root / SHIPPED) as out:
            shipped.copy_files(source, out)
            (out / shipped.RELEASE).write_text(json.dumps(info, indent=1) + "\n")
    return info


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--from", dest="source", type=Path, default=None,
                        help="an encoder the pretrain stage trained for these params")
    parser.add_argument("--metrics", type=Path, default=Path("metrics/pretrain.json"),
                        help="with --from: the metrics the pretrain stage wrote for it")
    parser.add_argument("--check", action="store_true",
                        help="only compare the shipped release key with this study's")
    args = parser.parse_args(argv)
    root = Path.cwd()
    if args.check:
        key = current_key(root, args.params)
        try:
            shipped.check(root / SHIPPED, key)
        except shipped.ShippedEncoderError as err:
            sys.exit(f"error: {err}")
        print(f"release: {SHIPPED} belongs to this study (key {key})")
        return
    info = release(root, args.params, args.source, args.metrics)
    print(f"release: {SHIPPED} written (key {info['key']}, MLM loss "
          f"{info['metrics']['mlm_loss']:.3f}, commit {info['commit']})")


if __name__ == "__main__":
    main()
