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


def test_a_middle_layer_is_embedded_without_the_layers_above(model, tokenizer):
    """Truncating the layer stack gives the states the whole encoder computes at that layer,
    runs fewer layers, and leaves the encoder whole afterwards."""
    sentences = list(datasets.corpus(WORLD, "lat75", 6))
    encoder = model.encoder
    batch = tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.inference_mode():
        full = encoder(**batch, output_hidden_states=True).hidden_states
    ran = []
    hooks = [m.register_forward_hook(lambda *_: ran.append(1)) for m in encoder.encoder.layer]
    for layer in (0, 1):
        ran.clear()
        got = embed(encoder, tokenizer, sentences, layer=layer, batch_size=6)
        assert len(ran) == layer
        mask = batch["attention_mask"].unsqueeze(-1)
        want = torch.nn.functional.normalize((full[layer] * mask).sum(1) / mask.sum(1), dim=-1)
        assert torch.allclose(got, want, atol=1e-5)
    for h in hooks:
        h.remove()
    assert len(encoder.encoder.layer) == len(full) - 1
