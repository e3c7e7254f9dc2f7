"""Stage `captions` (phase 0b data): scenes of the world rendered as images, each captioned
in every language.

Writes ``<out>/train`` (``clip.images`` pairs) and ``<out>/test`` (``world.eval_size`` pairs,
held out for retrieval), each ``images.npy`` + ``captions.jsonl`` + ``meta.json``
(see ``xstilts.world.images``). A pure function of the world seed, like ``generate``.
"""

from pathlib import Path

from xstilts.data.files import publish
from xstilts.stages.common import parse, run
from xstilts.world.images import image_caption_pairs, write_caption_dataset
from xstilts.world.languages import LANGUAGES_BY_CODE, World


def main(argv=None) -> None:
    args, params = parse(__doc__, argv, lambda p: p.add_argument("--out", type=Path,
                                                                 required=True))
    world = World(tuple(LANGUAGES_BY_CODE[c] for c in params.data.languages), params.world.seed)
    sizes = {"train": params.clip.images, "test": params.world.eval_size}
    with publish(args.out) as tmp:
        for split, n in sizes.items():
            write_caption_dataset(tmp / split, image_caption_pairs(
                world, split, n, params.clip.image_size))
    print(f"captions: {sizes} images of {params.clip.image_size}px, captioned in "
          f"{len(world.codes)} languages, in {args.out}")


if __name__ == "__main__":
    run(main)
