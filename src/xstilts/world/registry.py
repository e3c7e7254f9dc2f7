"""Which generator writes each task's offline records (signature: world, split, lang, n)."""

from xstilts.world import datasets, qa, tagging

GENERATORS = {
    "mnli": datasets.mnli,
    "squad": qa.squad,
    "squad_v2": qa.squad_v2,
    "xnli": datasets.xnli,
    "udpos": tagging.udpos,
    "panx": tagging.panx,
    "xquad": qa.xquad,
    "mlqa": qa.mlqa,
    "tydiqa": qa.tydiqa,
    "tatoeba": datasets.tatoeba,
}
