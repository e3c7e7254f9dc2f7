"""Scenes rendered as captioned images: captions in every language that say only what the
image shows, every colour, size, relation and noun visible, and the dataset files that
round-trip and name their damage."""

import itertools
import random

import numpy as np
import pytest

from xstilts.data.files import DataFileError
from xstilts.world.concepts import NOUNS
from xstilts.world.images import (
    _shape,
    image_caption_pairs,
    load_caption_dataset,
    render,
    write_caption_dataset,
)
from xstilts.world.syntax import Locative, NounPhrase, realise, text


def test_captions_are_realised_in_every_language_and_deterministic(world):
    first = list(image_caption_pairs(world, "train", 5))
    again = list(image_caption_pairs(world, "train", 5))
    other = list(image_caption_pairs(world, "test", 5))
    for (img, caps), (img2, caps2) in zip(first, again, strict=True):
        assert img.shape == (3, 32, 32) and img.dtype == np.uint8
        assert np.array_equal(img, img2) and caps == caps2
        assert list(caps) == world.codes and all(caps.values())
        assert len(set(caps.values())) > 1  # languages differ
    assert not np.array_equal(first[0][0], other[0][0])  # splits draw their own scenes


def test_captions_say_only_what_the_image_shows(world):
    # No owners or places: every content word of a caption is a visible property.
    rng = random.Random(0)
    for _, caps in image_caption_pairs(world, "train", 20):
        assert "of" not in caps["en"].split() and "," not in caps["en"]
    scene = Locative(NounPhrase("ball", "red", "big"), "above", NounPhrase("box", "blue", "small"))
    assert render(scene, 32, rng).shape == (3, 32, 32)
    assert text(realise(scene, world.lexicons["en"])) == (
        "the big red ball is above the small blue box .")


def test_colours_sizes_relations_and_nouns_are_visible():
    def picture(**change):
        parts = {"noun": "ball", "colour": "red", "size": "big", "relation": "above"}
        parts.update(change)
        scene = Locative(NounPhrase(parts["noun"], parts["colour"], parts["size"]),
                         parts["relation"], NounPhrase("box", "green", "small"))
        return render(scene, 32, random.Random(1))  # same jitter and noise every time

    base = picture()
    for change in ({"colour": "blue"}, {"size": "small"}, {"relation": "near"},
                   {"relation": "behind"}, {"noun": "kite"}):
        assert not np.array_equal(base, picture(**change)), change
    # "X behind Y" and "Y before X" are one meaning, hence one picture; so are above / below.
    x, y = NounPhrase("ball", "red", "big"), NounPhrase("box", "green", "small")
    for relation, converse in (("behind", "before"), ("above", "below")):
        assert np.array_equal(render(Locative(x, relation, y), 32, random.Random(2)),
                              render(Locative(y, converse, x), 32, random.Random(2)))
    # Every noun has a shape of its own, by at least 10 pixels at the big size.
    grid = (np.arange(12) + 0.5) / 12 * 2 - 1
    u, v = np.meshgrid(grid, grid)
    masks = {n: _shape(u, v, n) for n in NOUNS}
    assert all((masks[a] ^ masks[b]).sum() >= 10 for a, b in itertools.combinations(NOUNS, 2))


def test_dataset_round_trip_and_damage(tmp_path, world):
    pairs = list(image_caption_pairs(world, "train", 4))
    assert write_caption_dataset(tmp_path, pairs) == 4
    images, caps = load_caption_dataset(tmp_path)
    assert np.array_equal(images, np.stack([p[0] for p in pairs]))
    assert caps == [p[1] for p in pairs]
    lines = (tmp_path / "captions.jsonl").read_text().splitlines()
    (tmp_path / "captions.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(DataFileError, match="lack"):
        load_caption_dataset(tmp_path)
