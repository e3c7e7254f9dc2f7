"""The held-out partition: a scene is held out whatever a minimal pair changes in it, the
same in every process, and draws land on their split's side."""

import random
import subprocess
import sys

from xstilts.world.heldout import HELD_OUT, admits, draw, held_out, scene_key
from xstilts.world.scenes import clause, locative
from xstilts.world.syntax import Attribute, Locative, NounPhrase

BALL, BOX = NounPhrase("ball", "red", "big", ("anna",)), NounPhrase("box", "blue")


def test_a_scene_is_the_same_whatever_a_minimal_pair_changes():
    scene = Locative(BALL, "above", BOX, ("valmora",))
    for same in (Locative(BOX, "below", BALL, ("valmora",)),  # the converse
                 Locative(BOX, "above", BALL, ("valmora",)),  # the objects swapped
                 Locative(BALL, "near", BOX, ("valmora",)),  # another relation
                 Locative(NounPhrase("ball", "blue", "big", ("anna",)), "above",
                          NounPhrase("box", "red"), ("valmora",))):  # colours traded
        assert scene_key(same) == scene_key(scene)
    assert scene_key(Locative(BALL, "above", BOX)) != scene_key(scene)  # no place
    said = Attribute(NounPhrase("ball", size="big"), "red")
    for same in (Attribute(NounPhrase("ball", colour="red"), "big"),
                 Attribute(NounPhrase("ball", size="big"), "red", negated=True)):
        assert scene_key(same) == scene_key(said)
    assert scene_key(Attribute(NounPhrase("ball"), "green")) != scene_key(said)


def test_the_partition_holds_its_share_and_is_the_same_in_every_process():
    rng = random.Random(0)
    meanings = [clause(rng) for _ in range(4000)]
    share = sum(held_out(0, m) for m in meanings) / len(meanings)
    assert abs(share - HELD_OUT) < 0.03
    assert [held_out(1, m) for m in meanings[:200]] != [held_out(0, m) for m in meanings[:200]]
    code = ("import random; from xstilts.world.heldout import held_out; "
            "from xstilts.world.scenes import clause; r = random.Random(0); "
            "print(''.join(str(int(held_out(0, clause(r)))) for _ in range(300)))")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, env={"PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2")}
    assert len(outputs) == 1


def test_draws_land_on_their_split_side():
    rng = random.Random(1)
    for split in ("train", "validation", "test"):
        for _ in range(200):
            item = draw(0, split, rng, lambda r: (locative(r), locative(r)),
                        lambda pair: [[pair[0]], [pair[1]]])
            held = [held_out(0, m) for m in item]
            assert held == ([False, False] if split == "train" else [True, True])
    assert admits(0, "test", [[m for m in (BALL,)]]) is False  # a bare NP is no scene
