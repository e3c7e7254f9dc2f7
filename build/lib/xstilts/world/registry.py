"""Which generator writes each task's offline records (signature: world, split, lang, n)."""

from xstilts.world import choice, datasets, mining, pairs, qa, sentiment, tagging

GENERATORS = {
    "mnli": datasets.mnli,
    "anli": pairs.anli,
    "qqp": pairs.qqp,
    "sst2": sentiment.sst2,
    "hellaswag": choice.hellaswag,
    "cosmosqa": choice.cosmos_qa,
    "csqa": choice.commonsense_qa,
    "pawsx": pairs.paws_x,
    "bucc": mining.bucc,
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
