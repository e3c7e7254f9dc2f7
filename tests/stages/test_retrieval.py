"""Stage `retrieval` (phase 3 for retrieval tasks): main() on the tiny world
(tests/stages/conftest.py) scores BUCC and Tatoeba from every intermediate checkpoint in every
language but English."""

import json


def test_main_scores_every_checkpoint_in_every_language(retrieved):
    ws = retrieved
    files = sorted(p.name for p in (ws.metrics / "retrieval").iterdir())
    assert files == ["mnli-s0.json", "none-s0.json"]
    for name in files:
        written = json.loads((ws.metrics / "retrieval" / name).read_text())
        assert written["intermediate"] == name.split("-")[0] and written["seed"] == 0
        expected = {f"{task}/{metric}/{lang}"
                    for task, metric in (("bucc", "f1"), ("tatoeba", "accuracy"))
                    for lang in ("lat75", "avg")}
        assert set(written["metrics"]) == expected  # no English: it is the side searched
        assert all(0 <= v <= 1 for v in written["metrics"].values())
    assert len(ws.tracked("retrieval")) == 2
