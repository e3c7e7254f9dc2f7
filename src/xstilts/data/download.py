"""Real mode's data (``data.source: hf``): the XTREME target tasks and the paper's
intermediate tasks from the Hugging Face hub, in the layout the offline world is written in
(the `generate` stage writes one or the other).

Writes ``<out>/<task>/<split>.<lang>.jsonl`` for the tasks and languages of params.yaml,
``<out>/languages.json`` (the XTREME languages: name, family, script, and a coarse proxy
``distance`` from English, see ``xstilts.data.hub_tasks.proxy_distance``),
``<out>/corpus/README.txt`` (real mode pretrains nothing: the encoder is XLM-R, trained on
CC-100) and ``<out>/manifest.json``. The hub is checked before any work; the directory is
published atomically, so a failure (no network, a renamed dataset) leaves ``<out>`` as it was.
"""

from functools import lru_cache
from pathlib import Path

from xstilts.data.files import publish, task_file, write_json, write_jsonl
from xstilts.data.hub import (
    HubSettings,
    check_hub,
    download,
    file_plan,
    hub_settings,
    required_datasets,
    tasks_for,
)
from xstilts.data.hub_tasks import HUB_TASKS, LANGUAGES, proxy_distance

CORPUS_NOTE = ("Real mode (data.source: hf) trains no encoder: phase 0 fetches a released "
               "XLM-R (hub.encoder), pretrained on CC-100. This directory is intentionally "
               "empty of corpora.\n")


def language_table(languages: list[str]) -> dict[str, dict]:
    return {code: {"code": code, "name": LANGUAGES[code].name,
                   "family": LANGUAGES[code].family, "script": LANGUAGES[code].script,
                   "tatoeba": LANGUAGES[code].tatoeba, "distance": proxy_distance(code),
                   "distance_source": "proxy: family and script (hub_tasks.proxy_distance)"}
            for code in languages}


def study_tasks(params) -> list[str]:
    return tasks_for(params.intermediate.tasks, params.finetune.targets,
                     params.eval.retrieval_tasks)


def run_download(out: Path, params, *, load=None, check=check_hub,
                 settings: HubSettings | None = None) -> dict[str, int]:
    """Check the hub, then download every file of the study into ``out`` (atomically);
    returns line counts per file. ``load`` and ``check`` are injectable for tests."""
    settings = settings or hub_settings(params)
    tasks = study_tasks(params)
    plan = file_plan(tasks, list(params.data.languages), params.intermediate.translated)
    check(datasets=required_datasets(tasks, settings.anli_plus), timeout=settings.timeout_s)
    if load is None:
        from datasets import load_dataset

        load = load_dataset
    cached = lru_cache(maxsize=4)(load)  # XNLI, TyDiQA: one hub split feeds many files

    def memo_load(path, name=None, **kwargs):
        return cached(path, name, **kwargs)

    counts: dict[str, int] = {}
    with publish(out) as tmp:
        write_json(tmp / "languages.json", language_table(list(params.data.languages)))
        (tmp / "corpus").mkdir()
        (tmp / "corpus" / "README.txt").write_text(CORPUS_NOTE, encoding="utf-8")
        for task, split, lang in plan:
            records = download(task, split, lang, load=memo_load,
                               anli_plus=settings.anli_plus, limit=settings.max_examples)
            path = task_file(tmp, task, split, lang)
            counts[str(path.relative_to(tmp))] = write_jsonl(path, records)
            print(f"download: {task} {split} {lang}: {len(records)} records", flush=True)
        write_json(tmp / "manifest.json", {
            "source": "hf", "files": counts,
            "datasets": {t: sorted({p.dataset for ps in HUB_TASKS[t].splits.values()
                                    for p in ps if settings.anli_plus or not p.plus})
                         for t in tasks},
            "anli_plus": settings.anli_plus, "max_examples": settings.max_examples})
    return counts
