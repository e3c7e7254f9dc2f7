"""Real mode (``data.source: hf``): every registry task's records from the Hugging Face hub,
in the file schema the offline world writes, so later stages cannot tell the two apart.

Where each task lives (dataset ids, configs, split mapping, XTREME's language lists, with
sources) is data in ``xstilts.data.hub_tasks``; this module reads it:

* ``check_hub`` fails fast, before any work, when the hub cannot be reached (or
  ``HF_HUB_OFFLINE=1`` is set), naming the way back to the offline study;
* ``download(task, split, lang, load=...)`` returns one file's records. ``load`` is
  ``datasets.load_dataset`` by default; tests pass one that reads local parquet files written
  in the hub's schemas;
* ``file_plan`` / ``tasks_for`` say which files a study needs; ``caption_pairs`` reads
  image-caption pairs for the CLIP branch in the offline caption writer's shape.

Record conversions happen only where the hub differs from the registry's schema: MNLI as
XNLI's training set, XNLI's "contradictory" spelling, Tatoeba's trailing newlines, records
without a gold label (SNLI/GLUE -1, HellaSwag/CSQA test "") dropped, mixed-language splits
(XNLI by ``language``, TyDiQA by id prefix) filtered to one language.

Known gap: the hub's ``bucc18.<lang>`` holds BUCC's gold pairs only, not the unpaired
sentences of its mining pools, so real-mode BUCC mines among translations alone and its F1 is
higher than XTREME's; for the full task use the BUCC 2018 files from
comparable.limsi.fr/bucc2018 (XTREME's ``scripts/download_data.sh``).

Longer than the project's 300-line guide on purpose: the hub's conversions are one table of
special cases over one loader; the hub's layout lives in ``hub_tasks``.
"""

import io
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from xstilts.data.features import label_id
from xstilts.data.files import DataFileError
from xstilts.data.hub_tasks import (
    HUB_TASKS,
    INTERMEDIATES,
    LANGUAGES,
    PARQUET_EXPORT,
    XTREME,
    Part,
)
from xstilts.errors import StageError
from xstilts.tasks import INTERMEDIATE_TASKS, NLI_LABELS, TASKS, TaskSpec

OFFLINE_ADVICE = ("Real mode (data.source: hf) needs network access to the Hugging Face hub "
                  "(huggingface.co, or the mirror in HF_ENDPOINT), or a local mirror in "
                  "hub.mirror, filled on a machine with network by `python -m xstilts.mirror "
                  "fetch --mirror <dir>`; to run the offline study set data.source: synthetic "
                  "(the default) in params.yaml.")
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")

# Sequence lengths by task type in jiant's XTREME scripts, the X-STILTs code base: 256 for
# classification and tagging, 384 for QA (windows overlapping by a 128-token stride) and 512
# for retrieval (nyu-mll/jiant jiant/scripts/benchmarks/xtreme/subscripts/
# c_tokenize_and_cache.sh). XTREME's own baselines use 128 for the first two.
MAX_LENGTH = {"classification": 256, "tagging": 256, "multiple_choice": 256, "span": 384,
              "retrieval": 512}
DOC_STRIDE = 128


class HubError(StageError, RuntimeError):
    """The hub cannot serve what real mode needs; the message says what to do instead."""


# --- reachability --------------------------------------------------------------------------

def offline_reason() -> str | None:
    """Why the hub libraries are in offline mode, if they are (read from the environment at
    call time, as the libraries read it at import)."""
    for var in OFFLINE_VARIABLES:
        if os.environ.get(var, "").strip().upper() in {"1", "ON", "YES", "TRUE"}:
            return f"{var}={os.environ[var]} is set"
    return None


def unreachable(reason: str) -> HubError:
    return HubError(f"cannot reach the Hugging Face hub ({reason}). {OFFLINE_ADVICE}")


def check_hub(datasets: Iterable[str] = (), models: Iterable[str] = (), *,
              timeout: float = 10.0, api=None) -> None:
    """Raise ``HubError`` unless every named dataset and model repo answers within
    ``timeout`` seconds. Offline mode fails at once, with no network call."""
    reason = offline_reason()
    if reason:
        raise unreachable(reason)
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    repos = [("dataset", d) for d in datasets] + [("model", m) for m in models]
    for kind, repo in repos:
        info = api.dataset_info if kind == "dataset" else api.model_info
        page = f"https://huggingface.co/{'datasets/' if kind == 'dataset' else ''}{repo}"
        try:
            info(repo, timeout=timeout)
        except GatedRepoError:
            raise HubError(f"{kind} {repo} is gated on the hub: accept its terms at {page}, "
                           "log in with `hf auth login`, and re-run. "
                           f"{OFFLINE_ADVICE}") from None
        except RepositoryNotFoundError:
            raise HubError(f"{kind} {repo} is not on the hub (renamed or removed?); the "
                           "table in src/xstilts/data/hub_tasks.py names it. "
                           f"{OFFLINE_ADVICE}") from None
        except Exception as err:  # no network, DNS, timeout, proxy, TLS, 5xx...
            raise unreachable(f"{kind} {repo}: {type(err).__name__}: {err}") from None


# --- loading one hub split -----------------------------------------------------------------

Loader = Callable[..., Iterable[dict]]


def _default_loader() -> Loader:
    from datasets import load_dataset

    return load_dataset


def config_name(part: Part, lang: str) -> str | None:
    """The hub config of ``part`` for ``lang``: ``PAN-X.de``, ``udpos.German``,
    ``tatoeba.deu``, ``MLQA.de.de``..."""
    if part.config is None:
        return None
    spec = LANGUAGES[lang]
    return part.config.format(lang=lang, name=spec.name, iso3=spec.tatoeba)


def load_part(part: Part, lang: str, load: Loader | None = None) -> Iterable[dict]:
    """The records of one hub split. A dataset that is still a loading script (which
    ``datasets`` >= 4 refuses to run) is read from the viewer's parquet export instead."""
    load = load or _default_loader()
    name = config_name(part, lang)
    where = f"{part.dataset}" + (f" (config {name})" if name else "") + f" split {part.split}"
    try:
        try:
            return load(part.dataset, name, split=part.split)
        except RuntimeError as err:
            if "scripts are no longer supported" not in str(err):
                raise
            return load(part.dataset, name, split=part.split, revision=PARQUET_EXPORT)
    except HubError:
        raise
    except Exception as err:
        explained = _explain(err, part, name, where)
        if explained is None:
            raise
        raise explained from err


def _explain(err: Exception, part: Part, name: str | None, where: str) -> HubError | None:
    kind, text = type(err).__name__, str(err)
    if kind == "ManualDownloadError" or "manual" in text.lower():
        return HubError(_manual_download_message(where, name))
    if (isinstance(err, ConnectionError) or kind in ("OfflineModeIsEnabled", "ConnectError",
                                                     "ConnectTimeout", "TimeoutException")
            or "couldn't reach" in text.lower()):
        return unreachable(f"{where}: {kind}: {text}")
    if kind in ("DatasetNotFoundError", "RepositoryNotFoundError", "GatedRepoError"):
        return HubError(f"{where}: {text} The table in src/xstilts/data/hub_tasks.py names "
                        f"this dataset. {OFFLINE_ADVICE}")
    if isinstance(err, ValueError) and ("split" in text.lower() or "config" in text.lower()):
        return HubError(f"{where}: the hub has no such config or split ({text}); check the "
                        "table in src/xstilts/data/hub_tasks.py against the dataset card.")
    return None


def _manual_download_message(where: str, name: str | None) -> str:
    panx = (name or "").startswith("PAN-X")
    what = ("PAN-X (WikiANN as split by XTREME) was once distributed only as AmazonPhotos.zip "
            "on Amazon Cloud Drive, which the old google/xtreme loading script read from "
            "`data_dir`; the hub now serves every PAN-X.<lang> config as parquet files. "
            if panx else "")
    return (f"{where}: the loader asks for a manual download. {what}Install the pinned "
            "`datasets` (`pip install -e .`), delete stale copies under "
            "~/.cache/huggingface/datasets (for XTREME: google___xtreme) and re-run. If the hub "
            "copy stays unavailable, download the data by hand as XTREME's README explains "
            "(github.com/google-research/xtreme#download-the-data"
            + (", panx_dataset" if panx else "") + ") or leave the task out of "
            f"finetune.targets. {OFFLINE_ADVICE}")


# --- record conversions (only where the hub's schema differs from ours) -------------------

def _mnli_as_xnli(r: dict, lang: str) -> dict | None:
    """XTREME trains XNLI on English MNLI (glue/mnli: premise, hypothesis, label id)."""
    if not 0 <= r["label"] < len(NLI_LABELS):
        return None
    return {"sentence1": r["premise"], "sentence2": r["hypothesis"], "language": lang,
            "gold_label": NLI_LABELS[r["label"]]}


def _xnli(r: dict, lang: str) -> dict:
    """XNLI's files spell one label "contradictory" in places; XTREME maps it (utils_
    preprocess.py: ``"contradiction" if label == "contradictory"``)."""
    label = r["gold_label"]
    return {**r, "gold_label": "contradiction" if label == "contradictory" else label}


def _strip_pair(r: dict, lang: str) -> dict:
    """The Tatoeba script read lines with their newline; the hub's sentences keep it."""
    return {**r, "source_sentence": r["source_sentence"].strip(),
            "target_sentence": r["target_sentence"].strip()}


CONVERTERS: dict[str, Callable[[dict, str], dict | None]] = {
    "mnli_as_xnli": _mnli_as_xnli,
    "xnli": _xnli,
    "strip_pair": _strip_pair,
}


def _keeper(part: Part, lang: str) -> Callable[[dict], bool] | None:
    if part.keep == "language":  # XNLI: every language in one split
        return lambda r: r["language"] == lang
    if part.keep == "id_prefix":  # TyDiQA: ids "english-...", as XTREME splits them
        prefix = LANGUAGES[lang].name.lower() + "-"
        return lambda r: r["id"].startswith(prefix)
    return None


def _labelled(spec: TaskSpec, r: dict) -> bool:
    """False for records without a gold label: -1 (SNLI, GLUE test) or "" (test splits)."""
    if not spec.labels or spec.type == "tagging":
        return True
    return r.get(spec.label_field) not in (-1, "", None)


# --- one file's records --------------------------------------------------------------------

def download(task: str, split: str, lang: str, *, load: Loader | None = None,
             anli_plus: bool = True, limit: int | None = None) -> list[dict]:
    """Records of ``task``'s ``split`` in ``lang`` (our split names), in our file schema,
    checked against the registry. ``anli_plus`` adds SNLI and MNLI to ANLI's training rounds
    (the paper's "ANLI+"); ``limit`` keeps the first records only (smoke runs)."""
    if task not in HUB_TASKS:
        raise HubError(f"{task}: no hub source is known; known: {sorted(HUB_TASKS)}")
    source, spec = HUB_TASKS[task], TASKS[task]
    if lang not in source.languages:
        raise HubError(f"{task}: the hub has no {lang!r} data; XTREME's languages for it: "
                       f"{list(source.languages)}")
    if split not in source.splits or split in source.missing.get(lang, ()):
        raise HubError(f"{task}: the hub has no {split!r} split for {lang!r}")
    records: list[dict] = []
    for part in source.splits[split]:
        if part.plus and not anli_plus:
            continue
        keep, convert = _keeper(part, lang), CONVERTERS.get(part.convert or "")
        for r in load_part(part, lang, load):
            if keep is not None and not keep(r):
                continue
            r = convert(dict(r), lang) if convert else dict(r)
            if r is not None and _labelled(spec, r):
                records.append(r)
                if limit and len(records) >= limit:
                    break
        if limit and len(records) >= limit:
            break
    check_records(spec, records, f"{task} {split} {lang}")
    return records


def check_records(spec: TaskSpec, records: list[dict], where: str) -> None:
    """Fail loudly when hub records no longer match the registry (fields, label sets,
    shapes) instead of training on something else."""
    if not records:
        raise HubError(f"{where}: the hub returned no records")
    for n, r in enumerate(records):
        at = f"{where}, record {n}"
        missing = [k for k in spec.required_fields if k not in r]
        if missing:
            raise HubError(f"{at}: lacks fields {missing} (has {sorted(r)})")
        try:
            if spec.type in ("classification", "multiple_choice"):
                label_id(spec, r[spec.label_field], at)
        except DataFileError as err:
            raise HubError(str(err)) from None
        if spec.type == "multiple_choice" and len(spec.choices(r)[1]) != spec.num_labels:
            raise HubError(f"{at}: {len(spec.choices(r)[1])} choices, expected "
                           f"{spec.num_labels}")
        if spec.type == "tagging":
            words, tags = r[spec.text_fields[0]], r[spec.label_field]
            if len(words) != len(tags) or any(not 0 <= t < spec.num_labels for t in tags):
                raise HubError(f"{at}: tags {tags} do not fit {len(words)} words and the "
                               f"{spec.num_labels} labels {spec.labels}")
        if spec.type == "span":
            answers = r["answers"]
            if (not isinstance(answers, dict)
                    or len(answers.get("text", ())) != len(answers.get("answer_start", ()))):
                raise HubError(f"{at}: answers {answers!r} are not {{text: [...], "
                               "answer_start: [...]}}")
        if spec.type == "retrieval" and not all(isinstance(r[f], str)
                                                for f in spec.text_fields):
            raise HubError(f"{at}: sentences are not strings")


# --- what a study needs ----------------------------------------------------------------------

def tasks_for(intermediate: Iterable[str], targets: Iterable[str],
              retrieval: Iterable[str] = ()) -> list[str]:
    """Registry tasks whose files a study needs: the intermediate tasks named (all nine for
    ``multi``), the targets, and the tasks targets train on (SQuAD for XQuAD and MLQA)."""
    intermediate, targets = list(intermediate), [*targets, *retrieval]
    names = list(INTERMEDIATES) if "multi" in intermediate else [
        t for t in intermediate if t in INTERMEDIATE_TASKS]
    names += [TASKS[t].train_from for t in targets if TASKS[t].train_from]
    return list(dict.fromkeys([*names, *targets]))


def task_languages(task: str, languages: Iterable[str]) -> list[str]:
    """The study's languages in which ``task`` exists on the hub, in the study's order."""
    return [lang for lang in languages if lang in HUB_TASKS[task].languages]


def file_plan(tasks: Iterable[str], languages: list[str],
              translated: bool = False) -> list[tuple[str, str, str]]:
    """(task, split, language) of every file, as ``generate``'s plan: intermediate tasks in
    English (train, validation); targets their English train set (unless trained on another
    task's) and every split in every study language they exist in; retrieval tasks every
    non-English language. Splits the hub lacks for a language (UD-POS kk, th, tl, yo) are
    left out."""
    if translated:
        raise HubError("intermediate.translated: the hub serves no machine-translated "
                       "training sets for these tasks (XTREME publishes its translations on "
                       "Google Cloud Storage); set intermediate.translated: false in real mode")
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise HubError(f"data.languages: {unknown} are not XTREME languages; allowed: "
                       f"{sorted(LANGUAGES)}")
    plan = []
    for task in tasks:
        spec, source = TASKS[task], HUB_TASKS[task]
        if task in INTERMEDIATE_TASKS:
            plan += [(task, "train", "en"), (task, "validation", "en")]
            continue
        if spec.type != "retrieval" and spec.train_from is None:
            plan.append((task, "train", "en"))
        for split in spec.splits:
            plan += [(task, split, lang) for lang in task_languages(task, languages)
                     if not (spec.type == "retrieval" and lang == "en")
                     and split not in source.missing.get(lang, ())]
    return plan


def required_datasets(tasks: Iterable[str], anli_plus: bool = True) -> list[str]:
    """Hub dataset ids the tasks read, google/xtreme first (the reachability probe)."""
    ids = {part.dataset for task in tasks for parts in HUB_TASKS[task].splits.values()
           for part in parts if anli_plus or not part.plus}
    return sorted(ids, key=lambda d: (d != XTREME, d))


# --- settings (params.yaml ``hub:``) ---------------------------------------------------------

@dataclass(frozen=True)
class CaptionSource:
    """A hub image-caption dataset for the CLIP branch: which split, which column holds the
    image, and which column holds the caption in each language. A column may hold one caption
    or a list (the first is used). Default: Flickr30k (31,783 images, five English captions
    each; features image, caption: list of strings; one split "test"; CARD:lmms-lab/flickr30k).
    For captions in several languages pick a dataset with one column per language."""

    dataset: str = "lmms-lab/flickr30k"
    config: str | None = None
    split: str = "test"
    image_column: str = "image"
    captions: dict[str, str] = field(default_factory=lambda: {"en": "caption"})
    train_images: int = 4000  # the first records, for the train split
    test_images: int = 500  # the next ones, held out
    image_size: int = 224  # stored square side


@dataclass(frozen=True)
class HubSettings:
    encoder: str = "xlm-roberta-large"  # or xlm-roberta-base
    anli_plus: bool = True  # the paper's ANLI+ (ANLI rounds + SNLI + MNLI)
    max_examples: int | None = None  # keep the first N records of each file (smoke runs)
    timeout_s: float = 10.0  # reachability check, per repo
    clip_model: str = "xlm-roberta-large-ViT-H-14"  # open_clip's, text tower `encoder`
    clip_pretrained: str = "frozen_laion5b_s13b_b90k"
    captions: CaptionSource = field(default_factory=CaptionSource)
    mirror: str | None = None  # a local mirror (xstilts.mirror) instead of the hub


def hub_settings(params) -> HubSettings:
    """``params.hub`` (a pydantic section or a dict) as settings; defaults where absent."""
    raw = getattr(params, "hub", None)
    if raw is None:
        return HubSettings()
    raw = dict(raw.model_dump() if hasattr(raw, "model_dump") else raw)
    captions = raw.pop("captions", None)
    if hasattr(captions, "model_dump"):
        captions = captions.model_dump()
    return HubSettings(**raw, captions=CaptionSource(**captions) if captions
                       else CaptionSource())


# --- image-caption pairs for the CLIP branch ---------------------------------------------------

def image_array(image, size: int) -> np.ndarray:
    """A hub image (PIL image, ``{"bytes", "path"}`` dict or (H, W, 3) array) as the offline
    writer's (3, size, size) uint8 array: RGB, centre-cropped to a square, resized."""
    from PIL import Image

    if isinstance(image, dict):
        image = (Image.open(io.BytesIO(image["bytes"])) if image.get("bytes")
                 else Image.open(image["path"]))
    elif isinstance(image, np.ndarray):
        image = Image.fromarray(image.astype(np.uint8))
    image = image.convert("RGB")
    w, h = image.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    image = image.crop((left, top, left + side, top + side)).resize(
        (size, size), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.uint8).transpose(2, 0, 1).copy()


def caption_part(source: CaptionSource) -> Part:
    return Part(source.dataset, source.config, source.split)


def caption_pairs(source: CaptionSource, n: int, image_size: int, *,
                  load: Loader | None = None) -> Iterator[tuple[np.ndarray, dict[str, str]]]:
    """Up to ``n`` (image (3, H, W) uint8, {language: caption}) pairs, the shape
    ``xstilts.world.images.write_caption_dataset`` stores; rows lacking a caption in one of
    the languages are skipped."""
    part = caption_part(source)
    count = 0
    for r in load_part(part, "en", load):
        captions = {}
        for lang, column in source.captions.items():
            value = r[column]
            if isinstance(value, list | tuple):
                value = value[0] if value else None
            if not value or not str(value).strip():
                break
            captions[lang] = str(value).strip()
        else:
            yield image_array(r[source.image_column], image_size), captions
            count += 1
            if count >= n:
                return
    if count == 0:
        raise HubError(f"{source.dataset} split {source.split}: no image has captions in "
                       f"columns {source.captions}")
