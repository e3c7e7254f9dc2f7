"""A local hub mirror (``hub.mirror``): the files the Hugging Face hub serves for one study,
under each repo id, so that real mode runs where there is no network (cluster compute nodes,
``HF_HUB_OFFLINE=1``). ``python -m xstilts.mirror fetch`` fills it on a machine with
network (a login node); the stages read it when ``hub.mirror`` names it.

Layout (a dataset's files are the hub's parquet export, ``refs/convert/parquet``, which every
dataset the viewer serves has, loading-script ones included)::

    <mirror>/manifest.json
    <mirror>/datasets/<repo id>/<config>/<split>/NNNN.parquet   ("default": one-config sets)
    <mirror>/models/<repo id>/...          config, tokenizer, weights (encoder, CLIP)

``plan`` says what a study reads (only its configs and splits), ``fetch`` downloads it and
writes the manifest (each repo's commit and bytes), ``MirrorLoader`` serves a split as
``datasets.load_dataset`` does, and ``check`` fails before any work when a file is missing,
naming the fetch command.
"""

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xstilts.data.download import study_tasks
from xstilts.data.files import write_json
from xstilts.data.hub import (
    HubError,
    Part,
    caption_part,
    config_name,
    file_plan,
    hub_settings,
)
from xstilts.data.hub_tasks import HUB_TASKS, PARQUET_EXPORT

MANIFEST = "manifest.json"
# What from_pretrained reads of an XLM-R repo (the safetensors weights, not the .bin copies
# and the TF/Flax/ONNX exports beside them).
ENCODER_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "sentencepiece.bpe.model", "model.safetensors")
TEXT_TOWER_FILES = ENCODER_FILES[:-1]  # a CLIP's text tower: its config and tokenizer
CLIP_FILES = ("open_clip_config.json", "open_clip_model.safetensors",
              "open_clip_pytorch_model.bin")
FETCH_ADVICE = ("fill it on a machine with network: `python -m xstilts.mirror fetch "
                "--mirror <dir>` (docs/real-study.md), or set data.source: synthetic")


@dataclass(frozen=True)
class Repo:
    """One hub repository of the plan and the files of it the study reads."""

    kind: str  # "dataset" | "model"
    repo_id: str
    revision: str | None
    patterns: tuple[str, ...]

    def folder(self, mirror: Path) -> Path:
        return mirror / f"{self.kind}s" / self.repo_id


def split_dir(config: str | None, split: str) -> str:
    return f"{config or 'default'}/{split}"


def dataset_parts(params) -> list[tuple[Part, str]]:
    """(hub split, language) of every file ``generate`` writes in real mode, then the
    captions' split."""
    settings = hub_settings(params)
    parts = []
    for task, split, lang in file_plan(study_tasks(params), list(params.data.languages),
                                       params.intermediate.translated):
        parts += [(p, lang) for p in HUB_TASKS[task].splits[split]
                  if settings.anli_plus or not p.plus]
    if settings.captions.dataset:
        parts.append((caption_part(settings.captions), "en"))
    return parts


def hub_clip(settings) -> tuple[dict, dict]:
    """open_clip's config and pretrained-tag entry of the study's CLIP (its own tables, no
    network; ``models.clip.resolve_hub_clip`` explains unknown names)."""
    import open_clip

    cfg = open_clip.get_model_config(settings.clip_model)
    tag = open_clip.get_pretrained_cfg(settings.clip_model, settings.clip_pretrained)
    if not cfg or not tag or "hf_model_name" not in cfg.get("text_cfg", {}):
        raise HubError(f"hub.clip_model {settings.clip_model} ({settings.clip_pretrained}) is "
                       "not one of open_clip's multilingual CLIPs with an HF text tower")
    return cfg, tag


def plan(params) -> list[Repo]:
    """The repos a study reads and, of each, only the files its stages load: each dataset's
    parquet export of the configs and splits used, the encoder's weights and tokenizer, and
    the multilingual CLIP (phase 0b, ``dvc exp run -S encoder=clip``)."""
    settings = hub_settings(params)
    patterns: dict[str, set[str]] = {}
    for part, lang in dataset_parts(params):
        config = config_name(part, lang)
        # Splits over 5 GB are exported in part, in a "partial-" folder.
        patterns.setdefault(part.dataset, set()).update(
            f"{split_dir(config, split)}/*.parquet" for split in (part.split,
                                                                   f"partial-{part.split}"))
    repos = [Repo("dataset", d, PARQUET_EXPORT, tuple(sorted(p)))
             for d, p in sorted(patterns.items())]
    repos.append(Repo("model", settings.encoder, None, ENCODER_FILES))
    cfg, tag = hub_clip(settings)
    clip_repo = (tag.get("hf_hub") or "").strip("/")
    if not clip_repo:
        raise HubError(f"hub.clip_model {settings.clip_model} ({settings.clip_pretrained}) is "
                       "not on the Hugging Face hub, so it cannot be mirrored")
    repos.append(Repo("model", clip_repo, None, CLIP_FILES))
    text_tower = cfg["text_cfg"]["hf_model_name"]  # open_clip builds it from its config
    if text_tower != settings.encoder:
        repos.append(Repo("model", text_tower, None, TEXT_TOWER_FILES))
    return repos


def plan_models(params) -> list[Repo]:
    return [r for r in plan(params) if r.kind == "model"]


# --- downloading (on a machine with network) --------------------------------------------------

def fetch(params, mirror: Path, *, download: Callable | None = None,
          api=None) -> dict:
    """Download the plan into ``mirror`` (``huggingface_hub.snapshot_download`` with the
    plan's allow-patterns; files already there are kept) and write its manifest: each repo's
    revision asked for, the commit served and the bytes on disk. ``download`` and ``api``
    stand in for the hub in tests."""
    if download is None:
        from huggingface_hub import snapshot_download as download
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    manifest = {"repos": {}}
    for repo in plan(params):
        info = (api.dataset_info if repo.kind == "dataset" else api.model_info)(
            repo.repo_id, revision=repo.revision)
        folder = repo.folder(mirror)
        download(repo_id=repo.repo_id, repo_type=repo.kind, revision=info.sha,
                 allow_patterns=list(repo.patterns), local_dir=str(folder))
        files = sorted(p for p in folder.rglob("*") if p.is_file()
                       and ".cache" not in p.relative_to(folder).parts)
        manifest["repos"][repo.repo_id] = {
            "kind": repo.kind, "revision": repo.revision, "commit": info.sha,
            "patterns": list(repo.patterns), "files": len(files),
            "bytes": sum(p.stat().st_size for p in files)}
        print(f"fetch: {repo.kind} {repo.repo_id}@{info.sha[:12]}: {len(files)} files, "
              f"{manifest['repos'][repo.repo_id]['bytes'] / 1e9:.2f} GB", flush=True)
    manifest["bytes"] = sum(r["bytes"] for r in manifest["repos"].values())
    write_json(mirror / MANIFEST, manifest)
    return manifest


# --- reading (anywhere) ------------------------------------------------------------------------

def parquet_files(mirror: Path, dataset: str, config: str | None, split: str) -> list[Path]:
    base = mirror / "datasets" / dataset / (config or "default")
    return sorted((base / split).glob("*.parquet")) or sorted(
        (base / f"partial-{split}").glob("*.parquet"))


class MirrorLoader:
    """``datasets.load_dataset(repo, config, split=...)`` served from the mirror's parquet
    files, with no network."""

    def __init__(self, mirror: Path):
        self.mirror = Path(mirror)

    def __call__(self, path: str, name: str | None = None, split: str | None = None,
                 revision: str | None = None, **kwargs):
        from datasets import load_dataset

        files = parquet_files(self.mirror, path, name, split)
        if not files:
            raise HubError(f"{path} (config {name or 'default'}) split {split}: not in the "
                           f"mirror {self.mirror}; {FETCH_ADVICE}")
        return load_dataset("parquet", data_files={split: [str(f) for f in files]},
                            split=split)


def model_dir(mirror: Path, repo_id: str) -> Path:
    return Path(mirror) / "models" / repo_id


def clip_files(params, mirror: Path) -> tuple[Path, Path]:
    """(weights file, text tower directory) of the study's CLIP in the mirror."""
    settings = hub_settings(params)
    cfg, tag = hub_clip(settings)
    folder = model_dir(mirror, tag["hf_hub"].strip("/"))
    weights = [folder / f for f in CLIP_FILES[1:] if (folder / f).is_file()]
    if not weights:
        raise HubError(f"hub.mirror {mirror} lacks the weights of {settings.clip_model} "
                       f"({folder}); {FETCH_ADVICE}")
    return weights[0], model_dir(mirror, cfg["text_cfg"]["hf_model_name"])


def check(params, mirror: Path) -> None:
    """Fail before any work unless the mirror holds every dataset split and model the
    study reads; the error names what is missing and how to fetch it."""
    mirror = Path(mirror)
    if not (mirror / MANIFEST).is_file():
        raise HubError(f"hub.mirror: {mirror} is not a fetched mirror (no {MANIFEST}); "
                       f"{FETCH_ADVICE}")
    missing = sorted({f"dataset {p.dataset} {split_dir(config_name(p, lang), p.split)}"
                      for p, lang in dataset_parts(params)
                      if not parquet_files(mirror, p.dataset, config_name(p, lang), p.split)})
    for repo in plan_models(params):
        folder = repo.folder(mirror)
        if not any((folder / f).is_file() for f in repo.patterns):
            missing.append(f"model {repo.repo_id}")
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5
                                          else "")
        raise HubError(f"hub.mirror {mirror} lacks {shown}; {FETCH_ADVICE}")


def main(argv=None) -> None:
    from xstilts.config import ParamsError, load_params

    parser = argparse.ArgumentParser(prog="python -m xstilts.mirror",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("plan", "fetch", "check"))
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--mirror", type=Path,
                        help="the mirror directory (default: hub.mirror of the params)")
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params)
    except ParamsError as err:
        sys.exit(f"error: {err}")
    if params.data.source != "hf":
        sys.exit(f"error: {args.params} has data.source: {params.data.source}; the offline "
                 "study reads nothing from the hub (a mirror serves data.source: hf)")
    try:
        run(args.command, params, args.mirror or (Path(params.hub.mirror)
                                                  if params.hub.mirror else None))
    except HubError as err:
        sys.exit(f"error: {err}")


def run(command: str, params, mirror: Path | None) -> None:
    if command == "plan":
        for repo in plan(params):
            print(json.dumps({"kind": repo.kind, "repo": repo.repo_id,
                              "revision": repo.revision, "patterns": list(repo.patterns)}))
        return
    if mirror is None:
        raise HubError("--mirror or hub.mirror names the mirror directory")
    if command == "fetch":
        manifest = fetch(params, mirror)
        print(f"fetch: {len(manifest['repos'])} repos, {manifest['bytes'] / 1e9:.2f} GB in "
              f"{mirror}")
    else:
        check(params, mirror)
        print(f"check: {mirror} holds everything the study reads")


if __name__ == "__main__":
    main()
