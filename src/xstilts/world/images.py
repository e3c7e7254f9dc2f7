"""Scenes of the world drawn as small RGB images, captioned in every language (CLIP data).

A scene is a ``Locative`` without owner or place (neither can be seen): two objects in a
relation. The picture encodes every word of its caption:

* noun   -> a shape of its own (16 masks on a square grid: disc, square, cup, ...);
* colour -> the fill colour;
* size   -> the area ("big" objects are 1.5x as wide as "small" ones);
* relation -> the layout: above / below stack the objects far apart vertically; near puts
  them side by side; behind / before overlap them, the object in front drawn last (occluding)
  and lower, as on a ground plane seen from above.

"X is above Y" and "Y is below X" are the same picture, as they are the same meaning.
Everything, from the meaning to the pixel jitter, comes from the world seed.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from xstilts.data.files import DataFileError, read_jsonl, write_jsonl
from xstilts.world.datasets import _rng
from xstilts.world.heldout import draw
from xstilts.world.languages import World
from xstilts.world.scenes import locative
from xstilts.world.syntax import Locative, NounPhrase, realise, text

RGB = {
    "red": (220, 30, 30), "blue": (30, 60, 220), "green": (30, 170, 50),
    "yellow": (240, 220, 30), "black": (15, 15, 15), "white": (245, 245, 245),
    "purple": (140, 40, 170), "orange": (245, 140, 20),
}
BACKGROUND = 120  # mid grey: distinct from both black and white objects
NOISE = 6  # background pixel noise (+-), so no two images are identical


def _shape(u: np.ndarray, v: np.ndarray, noun: str) -> np.ndarray:
    """Boolean mask of a noun's shape on coordinates u (right) and v (down) in [-1, 1]."""
    r = np.hypot(u, v)
    masks = {
        "ball": r <= 1.0,
        "box": np.ones(u.shape, dtype=bool),
        "cup": ~((np.abs(u) < 0.5) & (v < 0.2)),  # open at the top
        "book": np.abs(v) <= 0.5,
        "chair": (u <= -0.3) | (np.abs(v) <= 0.3),
        "lamp": np.abs(u) <= (v + 1.0) / 2.0 + 0.05,  # apex up
        "hat": (r <= 1.0) & (v <= 0.2),
        "shoe": (v >= 0.2) | (u <= -0.2),
        "bottle": np.abs(u) <= 0.4,
        "basket": (r >= 0.55) & (r <= 1.05),
        "kite": np.abs(u) + np.abs(v) <= 1.05,
        "drum": ~((np.abs(u) < 0.45) & (np.abs(v) < 0.45)),
        "clock": (np.abs(u) <= 0.35) | (np.abs(v) <= 0.35),
        "plate": np.abs(np.abs(u) - np.abs(v)) <= 0.4,
        "bag": np.abs(u) <= (1.0 - v) / 2.0 + 0.05,  # apex down
        "key": (u < 0) ^ (v < 0),
    }
    return masks[noun]


def _side(size: str | None, image_size: int) -> int:
    return round(image_size * (0.375 if size == "big" else 0.25))


def _draw(canvas: np.ndarray, np_: NounPhrase, cx: float, cy: float) -> None:
    """Paint one object centred at (cx, cy) onto a (H, W, 3) canvas, clipped to it."""
    side = _side(np_.size, canvas.shape[0])
    top, left = round(cy - side / 2), round(cx - side / 2)
    grid = (np.arange(side) + 0.5) / side * 2.0 - 1.0
    u, v = np.meshgrid(grid, grid)  # u along columns, v along rows
    mask = _shape(u, v, np_.noun)
    ys, xs = np.nonzero(mask)
    ys, xs = ys + top, xs + left
    inside = (ys >= 0) & (ys < canvas.shape[0]) & (xs >= 0) & (xs < canvas.shape[1])
    canvas[ys[inside], xs[inside]] = RGB[np_.colour]


def _layout(scene: Locative, size: int, rng) -> list[tuple[NounPhrase, float, float]]:
    """(object, centre x, centre y) in drawing order: later objects occlude earlier ones."""
    s, o = scene.subj, scene.obj
    mid = size / 2

    def jitter() -> float:
        return rng.uniform(-size / 16, size / 16)

    if scene.relation in ("above", "below"):
        top, bottom = (s, o) if scene.relation == "above" else (o, s)
        return [(top, mid + jitter(), size * 0.25 + jitter()),
                (bottom, mid + jitter(), size * 0.75 + jitter())]
    if scene.relation == "near":
        left, right = (s, o) if rng.random() < 0.5 else (o, s)
        return [(left, size * 0.27 + jitter(), mid + jitter()),
                (right, size * 0.73 + jitter(), mid + jitter())]
    # behind / before: the front object is drawn last and lower, overlapping the back one.
    back, front = (s, o) if scene.relation == "behind" else (o, s)
    dx = rng.uniform(-size / 8, size / 8)
    return [(back, mid - dx, mid - size / 8 + jitter()),
            (front, mid + dx, mid + size / 8 + jitter())]


def render(scene: Locative, image_size: int, rng) -> np.ndarray:
    """A (3, H, W) uint8 image of the scene; ``rng`` (a random.Random) jitters the layout."""
    noise = np.random.default_rng(rng.getrandbits(64))
    canvas = np.full((image_size, image_size, 3), BACKGROUND, dtype=np.int16)
    canvas += noise.integers(-NOISE, NOISE + 1, canvas.shape, dtype=np.int16)
    for obj, cx, cy in _layout(scene, image_size, rng):
        _draw(canvas, obj, cx, cy)
    return np.clip(canvas, 0, 255).astype(np.uint8).transpose(2, 0, 1)


def image_caption_pairs(world: World, split: str, n: int, image_size: int = 32,
                        languages: list[str] | None = None,
                        ) -> Iterator[tuple[np.ndarray, dict[str, str]]]:
    """``n`` (image, {language: caption}) pairs; every language captions the same scene."""
    rng = _rng(world, "captions", split)
    codes = languages or world.codes
    for _ in range(n):
        # Owners and places cannot be drawn, so captions mention only what the image shows.
        scene = draw(world.seed, split, rng, lambda r: locative(r, place_p=0.0, owner_p=0.0),
                     lambda c: [[c]])
        image = render(scene, image_size, rng)
        yield image, {lang: text(realise(scene, world.lexicons[lang])) for lang in codes}


# --- the stored dataset --------------------------------------------------------------------

IMAGES_FILE, CAPTIONS_FILE, META_FILE = "images.npy", "captions.jsonl", "meta.json"


def write_caption_dataset(directory: Path, pairs) -> int:
    """Store pairs as ``images.npy`` (N, 3, H, W uint8), ``captions.jsonl`` ({"image": i,
    "lang": ..., "caption": ...}) and ``meta.json``; returns N."""
    directory.mkdir(parents=True, exist_ok=True)
    images, records = [], []
    for i, (image, captions) in enumerate(pairs):
        images.append(image)
        records += [{"image": i, "lang": lang, "caption": c} for lang, c in captions.items()]
    if not images:
        raise ValueError("no image-caption pairs to write")
    stacked = np.stack(images)
    np.save(directory / IMAGES_FILE, stacked, allow_pickle=False)
    write_jsonl(directory / CAPTIONS_FILE, records)
    languages = list(dict.fromkeys(r["lang"] for r in records))
    (directory / META_FILE).write_text(json.dumps(
        {"images": len(images), "image_size": stacked.shape[-1], "languages": languages},
        indent=1) + "\n")
    return len(images)


def load_caption_dataset(directory: Path) -> tuple[np.ndarray, list[dict[str, str]]]:
    """(images (N, 3, H, W) uint8, per image {language: caption}); checks that every image
    has a caption in every language the dataset lists."""
    path = directory / IMAGES_FILE
    if not path.is_file():
        raise DataFileError(f"{path}: missing (run `dvc repro captions`)")
    try:
        images = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as err:
        raise DataFileError(f"{path}: unreadable ({err}); the file is truncated or "
                            "corrupted") from None
    if images.ndim != 4 or images.shape[1] != 3 or images.dtype != np.uint8:
        raise DataFileError(f"{path}: expected (N, 3, H, W) uint8, got {images.shape} "
                            f"{images.dtype}")
    captions: list[dict[str, str]] = [{} for _ in range(len(images))]
    for r in read_jsonl(directory / CAPTIONS_FILE, ("image", "lang", "caption")):
        if not 0 <= r["image"] < len(images):
            raise DataFileError(f"{directory / CAPTIONS_FILE}: image index {r['image']} out "
                                f"of range (0..{len(images) - 1})")
        captions[r["image"]][r["lang"]] = r["caption"]
    languages = set(captions[0])
    incomplete = [i for i, c in enumerate(captions) if set(c) != languages]
    if incomplete:
        raise DataFileError(f"{directory / CAPTIONS_FILE}: images {incomplete[:5]} lack "
                            f"captions in some of {sorted(languages)}")
    return images, captions
