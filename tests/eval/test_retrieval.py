"""Sentence embeddings for retrieval: unit vectors that do not depend on batching."""

import torch

from tiny_models import WORLD
from xstilts.eval.retrieval import embed
from xstilts.world import datasets


def test_embeddings_do_not_depend_on_batching(model, tokenizer):
    sentences = list(datasets.corpus(WORLD, "lat50n", 9))
    one = embed(model.encoder, tokenizer, sentences, layer=-1, batch_size=1)
    many = embed(model.encoder, tokenizer, sentences, layer=-1, batch_size=4)
    assert torch.allclose(one, many, atol=1e-5)
    assert torch.allclose(one.norm(dim=1), torch.ones(len(sentences)))
