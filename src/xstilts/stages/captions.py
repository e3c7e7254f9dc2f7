"""Stage `captions` (phase 0b data): scenes of the world rendered as images, each captioned
in every language (real mode: a hub image-caption dataset, ``hub.captions``).

Writes ``<out>/train`` (``clip.images`` pairs) and ``<out>/test`` (``world.eval_size`` pairs,
held out for retrieval), each ``images.npy`` + ``captions.jsonl`` + ``meta.json``
(see ``xstilts.world.images``). A pure function of the world seed, like ``generate``.
"""

from pathlib import Path

from xstilts.data.files import publish
from xstilts.stages.cli import parse, run
from xstilts.world.images import image_caption_pairs, write_caption_dataset
from xstilts.world.languages import LANGUAGES_BY_CODE, World


def from_hub(out: Path, params) -> None:
    """Real mode: the first ``train_images`` + ``test_images`` pairs of the hub dataset
    named in ``hub.captions``, split into train and test like the offline data."""
    from itertools import islice

    from xstilts.data.hub import caption_pairs, check_hub, hub_settings

    settings = hub_settings(params)
    source = settings.captions
    if source.dataset is None:
        with publish(out) as tmp:
            (tmp / "README.txt").write_text("No captions: hub.captions.dataset is null.\n")
        print("captions: none (hub.captions.dataset is null)")
        return
    load = None
    if settings.mirror:
        from xstilts.mirror import MirrorLoader

        load = MirrorLoader(Path(settings.mirror))
    else:
        check_hub(datasets=[source.dataset], timeout=settings.timeout_s)
    pairs = caption_pairs(source, source.train_images + source.test_images, source.image_size,
                          load=load)
    with publish(out) as tmp:
        write_caption_dataset(tmp / "train", islice(pairs, source.train_images))
        write_caption_dataset(tmp / "test", pairs)
    print(f"captions: {source.dataset} ({source.split}) in {out}")


def main(argv=None) -> None:
    args, params = parse(__doc__, argv, lambda p: p.add_argument("--out", type=Path,
                                                                 required=True))
    if params.data.source == "hf":
        from_hub(args.out, params)
        return
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
