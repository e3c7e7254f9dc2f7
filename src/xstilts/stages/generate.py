"""Stage `generate`: the offline world's corpora and task files, from the world seed.

Writes ``<out>/languages.json``, ``<out>/corpus/<lang>.txt`` and
``<out>/<task>/<split>.<lang>.jsonl`` for every task in the registry.
"""

from pathlib import Path

from xstilts.data.files import publish, write_json, write_jsonl
from xstilts.stages.common import parse
from xstilts.world import datasets
from xstilts.world.languages import LANGUAGES_BY_CODE, World


def generate(out: Path, world: World, sizes) -> dict[str, int]:
    """Write every file of the offline world into ``out``; returns line counts per file."""
    counts = {}

    def put(rel: str, records) -> None:
        counts[rel] = write_jsonl(out / rel, records)

    write_json(out / "languages.json",
               {code: datasets.lexicon_table(lex) for code, lex in world.lexicons.items()})
    (out / "corpus").mkdir()
    for lang in world.codes:
        lines = list(datasets.corpus(world, lang, sizes.corpus_sentences))
        (out / "corpus" / f"{lang}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        counts[f"corpus/{lang}.txt"] = len(lines)
    put("mnli/train.en.jsonl", datasets.mnli(world, "train", sizes.intermediate_size))
    put("mnli/validation.en.jsonl", datasets.mnli(world, "validation", sizes.eval_size))
    put("xnli/train.en.jsonl", datasets.xnli(world, "train", "en", sizes.train_size))
    for lang in world.codes:
        for split in ("validation", "test"):
            put(f"xnli/{split}.{lang}.jsonl", datasets.xnli(world, split, lang, sizes.eval_size))
        if lang != "en":
            put(f"tatoeba/test.{lang}.jsonl", datasets.tatoeba(world, lang, sizes.tatoeba_size))
    return counts


def main(argv=None) -> None:
    args, params = parse(__doc__, argv, lambda p: p.add_argument("--out", type=Path,
                                                                 required=True))
    world = World(tuple(LANGUAGES_BY_CODE[c] for c in params.data.languages), params.world.seed)
    with publish(args.out) as tmp:
        counts = generate(tmp, world, params.world)
        write_json(tmp / "manifest.json", counts)
    print(f"generate: wrote {len(counts)} files for {len(world.codes)} languages to {args.out}")


if __name__ == "__main__":
    main()
