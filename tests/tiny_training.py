"""A tiny XLM-R task model with an NLI head, random token sequences and a copy of a model's
weights: what the tests of the training loop, checkpoints, batching and frozen layers train."""

import torch
from transformers import XLMRobertaConfig, XLMRobertaModel

from xstilts.models.task_model import TaskModel

PAD = 1
VOCAB = 64


def tiny_model(init_seed: int = 0) -> TaskModel:
    torch.manual_seed(init_seed)
    config = XLMRobertaConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=64,
                              max_position_embeddings=40, type_vocab_size=1,
                              pad_token_id=PAD, bos_token_id=0, eos_token_id=2)
    return TaskModel(XLMRobertaModel(config), {"nli": {"type": "classification",
                                                      "num_labels": 3}})


def examples(n: int = 40, seed: int = 0) -> list[dict]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(n):
        length = int(torch.randint(3, 20, (1,), generator=g))
        ids = torch.randint(4, VOCAB, (length,), generator=g).tolist()
        out.append({"input_ids": [0, *ids, 2], "labels": i % 3})
    return out


def params_of(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
