"""Stage `generate`: the offline world's corpora and task files, from the world seed
(with ``data.source: hf``, the hub's files in the same layout: see data/download.py).

Writes ``<out>/languages.json``, ``<out>/corpus/<lang>.txt`` and
``<out>/<task>/<split>.<lang>.jsonl`` for every task in the registry.
"""

from functools import partial
from pathlib import Path

from xstilts.data.files import publish, task_file, write_json, write_jsonl
from xstilts.stages.cli import parse, run, threads
from xstilts.tasks import INTERMEDIATE_TASKS, MNLI, TASKS, TaskSpec
from xstilts.workers import pool
from xstilts.world import datasets
from xstilts.world.languages import LANGUAGES_BY_CODE, World
from xstilts.world.registry import GENERATORS


def intermediate_sizes(sizes) -> dict[str, int]:
    """Each intermediate training set in its hub dataset's proportion to MNLI's (MNLI has
    ``world.intermediate_size``), within ``intermediate_floor`` and ``intermediate_cap``: so
    multi-task sampling by size and its temperature act as on the real sets."""
    scale = sizes.intermediate_size / MNLI.train_examples
    return {name: min(sizes.intermediate_cap,
                      max(sizes.intermediate_floor, round(spec.train_examples * scale)))
            for name, spec in INTERMEDIATE_TASKS.items()}


def plan(spec: TaskSpec, languages: list[str], sizes, translated: bool):
    """(split, language, size) of every file of a task."""
    if spec.name in INTERMEDIATE_TASKS:
        train_langs = languages if translated else ["en"]
        size = intermediate_sizes(sizes)[spec.name]
        return ([("train", lang, size) for lang in train_langs]
                + [("validation", "en", sizes.eval_size)])
    if spec.type == "retrieval":
        return [(split, lang, sizes.tatoeba_size) for split in spec.splits
                for lang in languages if lang != "en"]
    train = [("train", "en", sizes.train_size)] if spec.train_from is None else []
    return train + [(split, lang, sizes.eval_size) for split in spec.splits
                    for lang in languages]


def write_part(part: str, out: Path, world: World, sizes, translated: bool) -> dict[str, int]:
    """One share of the world's files: the corpora (``part`` "corpus") or one task's files;
    their line counts."""
    counts = {}
    if part == "corpus":
        for lang in world.codes:
            lines = list(datasets.corpus(world, lang, sizes.corpus_sentences,
                                         sizes.code_switch, sizes.parallel,
                                         usual=sizes.corpus_scenes == "usual"))
            (out / "corpus" / f"{lang}.txt").write_text("\n".join(lines) + "\n",
                                                        encoding="utf-8")
            counts[f"corpus/{lang}.txt"] = len(lines)
        return counts
    generator = GENERATORS[part]
    for split, lang, n in plan(TASKS[part], world.codes, sizes, translated):
        path = task_file(out, part, split, lang)
        counts[str(path.relative_to(out))] = write_jsonl(path, generator(world, split, lang, n))
    return counts


def generate(out: Path, world: World, sizes, translated: bool = False,
             workers: int = 1) -> dict[str, int]:
    """Write every file of the offline world into ``out``; returns line counts per file.
    ``workers`` processes share the tasks: every file is a pure function of the world seed,
    so the files are the same whatever their number."""
    write_json(out / "languages.json",
               {code: datasets.lexicon_table(lex) for code, lex in world.lexicons.items()})
    (out / "corpus").mkdir()
    parts = ["corpus", *TASKS]
    job = partial(write_part, out=out, world=world, sizes=sizes, translated=translated)
    with pool(min(workers, len(parts)), None) as executor:
        done = executor.map(job, parts) if executor else map(job, parts)
        return {name: n for counts in done for name, n in counts.items()}


def main(argv=None) -> None:
    args, params = parse(__doc__, argv, lambda p: p.add_argument("--out", type=Path,
                                                                 required=True))
    if params.data.source == "hf":  # real mode: the hub's files, in this stage's layout
        download_real(args.out, params)
        return
    world = World(tuple(LANGUAGES_BY_CODE[c] for c in params.data.languages), params.world.seed,
                  params.world.nli)
    with publish(args.out) as tmp:
        counts = generate(tmp, world, params.world, params.intermediate.translated,
                          workers=threads())
        write_json(tmp / "manifest.json", counts)
    print(f"generate: wrote {len(counts)} files for {len(world.codes)} languages to {args.out}")


def download_real(out: Path, params) -> None:
    from xstilts.data.download import run_download
    from xstilts.data.hub import HubError

    local = {}
    if params.hub.mirror:
        from xstilts import mirror

        where = Path(params.hub.mirror)
        local = {"load": mirror.MirrorLoader(where),
                 "check": lambda **_: mirror.check(params, where)}
    try:
        counts = run_download(out, params, **local)
    except HubError as err:
        raise SystemExit(f"error: {err}") from None
    print(f"generate: downloaded {len(counts)} files for {len(params.data.languages)} "
          f"languages to {out}")


if __name__ == "__main__":
    run(main)
