"""The task registry: label orders are the hub's ClassLabel orders (tests/local_hub.py)."""

from local_hub import SCHEMAS
from xstilts.tasks import PANX_TAGS, TASKS, UPOS_TAGS


def test_label_sets_are_the_hubs():
    """The registry's label orders are the hub's ClassLabel orders, so ids carry over."""
    assert tuple(SCHEMAS[("google/xtreme", "udpos")]["pos_tags"].feature.names) == UPOS_TAGS
    assert tuple(SCHEMAS[("google/xtreme", "PAN-X")]["ner_tags"].feature.names) == PANX_TAGS
    for key in (("nyu-mll/glue", "mnli"), ("facebook/anli", "plain_text"),
                ("stanfordnlp/snli", "plain_text")):
        assert tuple(SCHEMAS[key]["label"].names) == TASKS["mnli"].labels
    assert tuple(SCHEMAS[("nyu-mll/glue", "qqp")]["label"].names) == TASKS["qqp"].labels
    assert tuple(SCHEMAS[("nyu-mll/glue", "sst2")]["label"].names) == TASKS["sst2"].labels
