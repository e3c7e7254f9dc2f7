"""The local hub mirror (xstilts.mirror): the plan fetches only what the study reads, the fetch
records each repo's commit and bytes (the hub faked at its boundary), and real mode reads a
mirror with HF_HUB_OFFLINE=1 and no connection beyond 127.0.0.1; a missing file names the
fetch command before any work."""

import json
import socket
from pathlib import Path
from types import SimpleNamespace

import datasets
import pytest
import yaml

from hub_mirror import TINY_VIT, fill_mirror
from local_hub import SENTENCES, study_params
from tiny_profile import ROOT
from xstilts import mirror
from xstilts.config import Params
from xstilts.data.files import task_file
from xstilts.data.hub import HubError, config_name
from xstilts.data.hub_tasks import PARQUET_EXPORT
from xstilts.models.clip import build_hub_clip
from xstilts.stages import captions, generate, pretrain
from xstilts.world.images import load_caption_dataset

CLIP_REPO = "laion/CLIP-ViT-H-14-frozen-xlm-roberta-large-laion5B-s13B-b90k"


def params_with(where: Path | None = None, captions: bool = False) -> Params:
    raw = study_params().model_dump()
    raw["hub"]["mirror"] = str(where) if where else None
    if captions:
        raw["hub"]["captions"].update(dataset="lmms-lab/flickr30k", train_images=2,
                                      test_images=1, image_size=16)
    return Params.model_validate(raw)


@pytest.fixture
def no_network(monkeypatch):
    """Offline as a compute node: the hub libraries' flag, and any connection beyond
    127.0.0.1 fails."""
    connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in (
                "127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"a connection to {address} left the machine")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_UPDATE_DOWNLOAD_COUNTS", False)


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Path:
    """A mirror as `fetch` leaves it (tests/hub_mirror.py)."""
    root = tmp_path_factory.mktemp("mirror")
    return fill_mirror(root, params_with(root, captions=True))


def test_plan_reads_only_the_studys_configs_and_splits():
    repos = {r.repo_id: r for r in mirror.plan(params_with())}
    xtreme = repos["google/xtreme"]
    assert xtreme.kind == "dataset" and xtreme.revision == PARQUET_EXPORT
    configs = {p.split("/")[0] for p in xtreme.patterns}
    assert {"XNLI", "PAN-X.de", "PAN-X.ar", "tatoeba.deu", "bucc18.de"} <= configs
    assert not any(c.endswith((".fr", ".ja", ".fra")) for c in configs)  # not in the study
    assert "mnli/train/*.parquet" in repos["nyu-mll/glue"].patterns
    assert not any(p.startswith(("cola/", "rte/")) for p in repos["nyu-mll/glue"].patterns)
    assert repos["xlm-roberta-large"].patterns == mirror.ENCODER_FILES
    assert repos[CLIP_REPO].kind == "model"
    assert "lmms-lab/flickr30k" not in repos  # hub.captions.dataset: null
    assert "lmms-lab/flickr30k" in {r.repo_id for r in mirror.plan(params_with(captions=True))}


def test_fetch_downloads_the_plan_pinned_to_the_commit_and_writes_a_manifest(tmp_path):
    calls = []

    def download(**kwargs):
        calls.append(kwargs)
        folder = Path(kwargs["local_dir"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "part.parquet").write_bytes(b"x" * 10)

    sha = {}

    def info(repo_id, revision=None):
        sha[repo_id] = f"{len(sha):040x}"
        return SimpleNamespace(sha=sha[repo_id])

    api = SimpleNamespace(dataset_info=info, model_info=info)
    params = params_with()
    manifest = mirror.fetch(params, tmp_path, download=download, api=api)
    plan = mirror.plan(params)
    assert [(c["repo_id"], c["repo_type"], c["allow_patterns"]) for c in calls] == [
        (r.repo_id, r.kind, list(r.patterns)) for r in plan]
    assert all(c["revision"] == sha[c["repo_id"]] for c in calls)
    assert calls[0]["local_dir"] == str(tmp_path / "datasets" / plan[0].repo_id)
    written = json.loads((tmp_path / mirror.MANIFEST).read_text())
    assert written == manifest and manifest["bytes"] == 10 * len(plan)
    assert manifest["repos"]["google/xtreme"]["commit"] == sha["google/xtreme"]
    assert manifest["repos"]["google/xtreme"]["revision"] == PARQUET_EXPORT


def test_real_mode_reads_the_mirror_offline(filled, no_network, tmp_path, monkeypatch):
    params = params_with(filled, captions=True)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params.model_dump(mode="json")))
    out = tmp_path / "data"
    generate.main(["--params", str(path), "--out", str(out)])
    records = [json.loads(line) for line in task_file(out, "xnli", "test", "de").open()]
    assert [r["sentence1"] for r in records] == SENTENCES["de"]
    encoder = tmp_path / "pretrained"
    pretrain.fetch(SimpleNamespace(out=encoder, metrics=tmp_path / "pretrain.json"), params)
    assert (encoder / "model.safetensors").is_file()
    source = json.loads((encoder / "source.json").read_text())
    assert source["name"] == str(mirror.model_dir(filled, "xlm-roberta-large"))
    captions.from_hub(tmp_path / "captions", params)
    images, texts = load_caption_dataset(tmp_path / "captions" / "train")
    assert images.shape == (2, 3, 16, 16) and texts[0] == {"en": "A red square."}
    weights, text_dir = mirror.clip_files(params, filled)
    assert weights == mirror.model_dir(filled, CLIP_REPO) / "open_clip_model.safetensors"
    assert text_dir == mirror.model_dir(filled, "xlm-roberta-large")
    model, cfg, _ = build_hub_clip(params.hub.clip_model, params.hub.clip_pretrained,
                                   weights=weights, text_dir=text_dir)
    assert cfg["vision_cfg"] == TINY_VIT  # the mirrored repo's own open_clip_config.json
    assert model.visual.transformer.width == TINY_VIT["width"]


def test_a_missing_split_names_the_fetch_before_any_work(filled, no_network, tmp_path):
    params = params_with(filled, captions=True)
    part, lang = mirror.dataset_parts(params)[0]
    gone = filled / "datasets" / part.dataset / mirror.split_dir(config_name(part, lang),
                                                                 part.split)
    moved = gone.rename(gone.with_name("elsewhere"))
    try:
        with pytest.raises(HubError, match=r"python -m xstilts.mirror fetch") as err:
            mirror.check(params, filled)
        assert part.dataset in str(err.value)
    finally:
        moved.rename(gone)
    with pytest.raises(HubError, match="not a fetched mirror"):
        mirror.check(params, tmp_path)


def test_the_command_prints_the_plan_and_refuses_the_offline_study(capsys):
    mirror.main(["plan", "--params", str(ROOT / "profiles" / "paper.yaml")])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {"kind": "model", "repo": CLIP_REPO, "revision": None,
            "patterns": list(mirror.CLIP_FILES)} in lines
    with pytest.raises(SystemExit, match="reads nothing from the hub"):
        mirror.main(["plan", "--params", str(ROOT / "params.yaml")])
