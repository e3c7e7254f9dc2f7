"""Real mode's loaders (data.source: hf), offline: every hub split is read from tiny local
parquet files in the hub's exact schemas (tests/local_hub.py) into the registry's schema;
XTREME's config names and file plan; errors that name the way back (a manual download,
an unreachable hub, schema drift); and hub captions in the offline captions' shape."""

import json

import numpy as np
import pytest

from local_hub import ALL_TASKS, SENTENCES, STUDY_LANGS, LocalHub, records_for
from xstilts.data.hub import (
    CaptionSource,
    HubError,
    caption_pairs,
    check_hub,
    config_name,
    download,
    file_plan,
    required_datasets,
    tasks_for,
)
from xstilts.data.hub_tasks import HUB_TASKS, PARQUET_EXPORT
from xstilts.tasks import NLI_LABELS, TASKS
from xstilts.world.images import load_caption_dataset, write_caption_dataset

# --- the tables ----------------------------------------------------------------------------

def test_config_names_follow_xtreme():
    def name(task, split, lang):
        return config_name(HUB_TASKS[task].splits[split][0], lang)

    assert name("panx", "test", "de") == "PAN-X.de"
    assert name("udpos", "test", "de") == "udpos.German"
    assert name("udpos", "test", "fa") == "udpos.Persian"
    assert name("tatoeba", "test", "zh") == "tatoeba.cmn"
    assert name("tatoeba", "test", "fa") == "tatoeba.pes"
    assert name("mlqa", "test", "hi") == "MLQA.hi.hi"
    assert name("xquad", "validation", "th") == "XQuAD.th"
    assert name("bucc", "test", "ru") == "bucc18.ru"
    assert name("pawsx", "train", "en") == "PAWS-X.en"
    assert name("xnli", "test", "sw") == "XNLI"
    # the hub's tatoeba has one split, "validation", scored as XTREME's test
    assert HUB_TASKS["tatoeba"].splits["test"][0].split == "validation"
    # MNLI's validation is validation_matched
    assert HUB_TASKS["mnli"].splits["validation"][0].split == "validation_matched"


def test_file_plan_mirrors_generate_and_skips_missing_splits():
    plan = file_plan(["udpos", "xquad", "mlqa", "tydiqa", "tatoeba", "bucc", "mnli"],
                     ["en", "de", "th", "kk", "ar"])
    assert ("udpos", "train", "en") in plan
    assert ("udpos", "test", "th") in plan and ("udpos", "validation", "th") not in plan
    assert ("udpos", "validation", "kk") not in plan and ("udpos", "test", "kk") in plan
    # XQuAD and MLQA have no train files: they train on SQuAD (train_from)
    assert not [p for p in plan if p[0] in ("xquad", "mlqa") and p[1] == "train"]
    assert "squad" in tasks_for(["none"], ["xquad"]) and TASKS["xquad"].train_from == "squad"
    assert ("tydiqa", "train", "en") in plan and ("tydiqa", "validation", "ar") in plan
    assert ("tatoeba", "test", "en") not in plan and ("bucc", "test", "de") in plan
    assert ("mnli", "train", "en") in plan and ("mnli", "validation", "en") in plan
    with pytest.raises(HubError, match="not XTREME languages"):
        file_plan(["xnli"], ["en", "lat75"])
    with pytest.raises(HubError, match="translated"):
        file_plan(["mnli"], ["en"], translated=True)


def test_required_datasets_probe_xtreme_first():
    ids = required_datasets(ALL_TASKS)
    assert ids[0] == "google/xtreme"
    assert {"nyu-mll/glue", "facebook/anli", "stanfordnlp/snli", "rajpurkar/squad",
            "rajpurkar/squad_v2", "Rowan/hellaswag", "allenai/cosmos_qa",
            "tau/commonsense_qa"} <= set(ids)
    assert "stanfordnlp/snli" not in required_datasets(["anli"], anli_plus=False)


# --- the loaders, one file at a time -------------------------------------------------------

@pytest.mark.parametrize("task", sorted(set(ALL_TASKS)))
def test_every_task_downloads_in_the_registry_schema(hub, task):
    spec = TASKS[task]
    for t, split, lang in file_plan([task], STUDY_LANGS):
        records = download(t, split, lang, load=hub)
        assert records, (t, split, lang)
        for r in records:
            assert set(spec.required_fields) <= set(r), (t, split, lang, r)
        json.dumps(records)  # writable as JSON lines


def test_xnli_trains_on_mnli_and_filters_by_language(hub):
    train = download("xnli", "train", "en", load=hub)
    mnli = records_for("nyu-mll/glue", "mnli", "train")
    assert [r["sentence1"] for r in train] == [r["premise"] for r in mnli]
    assert [r["gold_label"] for r in train] == [NLI_LABELS[r["label"]] for r in mnli]
    de = download("xnli", "test", "de", load=hub)
    assert {r["language"] for r in de} == {"de"} and len(de) == 4
    # "contradictory" (as in XNLI's files) is XTREME's "contradiction"
    assert {r["gold_label"] for r in de} <= set(NLI_LABELS)
    assert "contradiction" in {r["gold_label"] for r in de}


def test_tydiqa_trains_on_its_english_part_split_by_id_prefix(hub):
    train = download("tydiqa", "train", "en", load=hub)
    assert train and all(r["id"].startswith("english-") for r in train)
    ar = download("tydiqa", "validation", "ar", load=hub)
    assert ar and all(r["id"].startswith("arabic-") for r in ar)
    with pytest.raises(HubError, match="no 'de' data"):
        download("tydiqa", "validation", "de", load=hub)


def test_anli_plus_adds_snli_and_mnli_and_drops_unlabelled(hub):
    plus = download("anli", "train", "en", load=hub)
    alone = download("anli", "train", "en", load=hub, anli_plus=False)
    snli = records_for("stanfordnlp/snli", "plain_text", "train")
    assert len(alone) == 6  # three rounds of two
    assert len(plus) == 6 + (len(snli) - 1) + 4  # SNLI's -1 record dropped, MNLI added
    assert all(r["label"] in (0, 1, 2) for r in plus)
    dev = download("anli", "validation", "en", load=hub)
    assert {r["uid"].split("-")[0] for r in dev} == {"dev_r1", "dev_r2", "dev_r3"}


def test_script_datasets_come_from_the_parquet_export(hub):
    before = len(hub.calls)
    records = download("hellaswag", "train", "en", load=hub)
    calls = hub.calls[before:]
    assert [c[3] for c in calls] == [None, PARQUET_EXPORT]
    assert records[0]["label"] in ("0", "1", "2", "3") and len(records[0]["endings"]) == 4


def test_tatoeba_and_bucc_records(hub):
    tatoeba = download("tatoeba", "test", "de", load=hub)
    assert tatoeba[0]["source_sentence"] == SENTENCES["de"][0]  # newline stripped
    assert tatoeba[0]["target_sentence"] == SENTENCES["en"][0]
    bucc = download("bucc", "validation", "de", load=hub)
    assert all(r["source_sentence"] and r["target_sentence"] for r in bucc)  # gold pairs only


def test_limit_keeps_the_first_records(hub):
    assert len(download("panx", "test", "de", load=hub, limit=2)) == 2


def test_schema_drift_fails_loudly(hub, tmp_path):
    drifted = LocalHub(tmp_path)
    drifted.add("google/xtreme", "PAWS-X.de", "test",
                [{"sentence1": "a", "sentence2": "b", "label": "maybe"}])
    with pytest.raises(HubError, match="label 'maybe'"):
        download("pawsx", "test", "de", load=drifted)
    with pytest.raises(HubError, match="no such config or split"):
        download("pawsx", "validation", "de", load=drifted)


def test_panx_manual_download_names_the_manual_step():
    from datasets.exceptions import ManualDownloadError

    def load(path, name=None, **_):
        raise ManualDownloadError("Manual download required: AmazonPhotos.zip in data_dir")

    with pytest.raises(HubError) as err:
        download("panx", "test", "de", load=load)
    text = str(err.value)
    assert "PAN-X.de" in text and "AmazonPhotos.zip" in text and "manual download" in text
    assert "data.source: synthetic" in text


# --- failing fast --------------------------------------------------------------------------

def test_unreachable_hub_and_missing_repos_are_named(monkeypatch):
    from huggingface_hub.errors import RepositoryNotFoundError

    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)

    class Api:
        def __init__(self, err):
            self.err = err

        def dataset_info(self, repo, timeout=None):
            raise self.err

        model_info = dataset_info

    with pytest.raises(HubError, match="cannot reach the Hugging Face hub.*data.source: "
                                       "synthetic"):
        check_hub(["google/xtreme"], api=Api(ConnectionError("Name or service not known")))
    missing = RepositoryNotFoundError.__new__(RepositoryNotFoundError)
    with pytest.raises(HubError, match="google/xtreme is not on the hub"):
        check_hub(["google/xtreme"], api=Api(missing))


def test_offline_variable_is_read_at_call_time(monkeypatch):
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(HubError, match="HF_DATASETS_OFFLINE=1"):
        check_hub(["google/xtreme"])


# --- CLIP captions -------------------------------------------------------------------------

def test_hub_captions_have_the_offline_caption_shape(tmp_path):
    from PIL import Image as PILImage

    local = LocalHub(tmp_path)
    rng = np.random.default_rng(0)
    images = [PILImage.fromarray(rng.integers(0, 255, (40 + 8 * i, 50, 3), dtype=np.uint8))
              for i in range(3)]
    local.add("lmms-lab/flickr30k", None, "test", [
        {"image": img, "caption": [f"{SENTENCES['en'][i]}", "second caption"],
         "sentids": ["0", "1"], "img_id": str(i), "filename": f"{i}.jpg"}
        for i, img in enumerate(images)])
    pairs = list(caption_pairs(CaptionSource(), n=2, image_size=32, load=local))
    assert len(pairs) == 2
    for (image, captions), text in zip(pairs, SENTENCES["en"]):
        assert image.shape == (3, 32, 32) and image.dtype == np.uint8
        assert captions == {"en": text}
    write_caption_dataset(tmp_path / "train", pairs)
    stored, caps = load_caption_dataset(tmp_path / "train")
    assert stored.shape == (2, 3, 32, 32) and caps[1] == {"en": SENTENCES["en"][1]}
