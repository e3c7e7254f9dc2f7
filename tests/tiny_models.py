"""A three-language world, a tokenizer trained on its corpus and a tiny XLM-R task model with
an XNLI head: what the tests of task models, predictions and zero-shot evaluation score."""

import torch
from transformers import XLMRobertaConfig, XLMRobertaModel

from xstilts.models.task_model import TaskModel
from xstilts.tokenization import train_tokenizer
from xstilts.world import datasets
from xstilts.world.languages import DEFAULT_LANGUAGES, World

WORLD = World(DEFAULT_LANGUAGES[:3], seed=0)
LANGS = WORLD.codes  # en, lat75, lat50n


def world_tokenizer():
    lines = [line for lang in LANGS for line in datasets.corpus(WORLD, lang, 100)]
    return train_tokenizer(lines, vocab_size=200)


def xnli_model(tokenizer) -> TaskModel:
    """An untrained task model over ``tokenizer``'s vocabulary, in eval mode."""
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=64,
                              max_position_embeddings=130, type_vocab_size=1,
                              pad_token_id=1, bos_token_id=0, eos_token_id=2)
    m = TaskModel(XLMRobertaModel(config), {"xnli": {"type": "classification",
                                                    "num_labels": 3}})
    return m.eval()
