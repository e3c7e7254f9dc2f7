"""Sentence retrieval (Tatoeba): mean-pooled encoder states, cosine nearest neighbour."""

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F

from xstilts.models.heads import mean_pool
from xstilts.train.batching import EvalBatch, eval_batches


@contextmanager
def layers_up_to(encoder, layer: int) -> Iterator[bool]:
    """Within the block, an HF encoder runs its transformer layers up to ``layer`` only (the
    layers above would compute states nobody reads: retrieval reads a middle layer), so its
    last hidden state is that layer's; yields whether it was cut. A negative or the last
    layer, or a model without ``encoder.layer``, runs whole."""
    layers = getattr(getattr(encoder, "encoder", None), "layer", None)
    if not isinstance(layers, torch.nn.ModuleList) or not 0 <= layer < len(layers):
        yield False
        return
    encoder.encoder.layer = layers[:layer]
    try:
        yield True
    finally:
        encoder.encoder.layer = layers


@torch.inference_mode()
def embed(encoder, tokenizer, sentences: list[str], layer: int, batch_size: int | EvalBatch,
          max_length: int = 128) -> torch.Tensor:
    """L2-normalised mean-pooled states of hidden layer ``layer``: (N, H)."""
    encoder.eval()
    device = next(encoder.parameters()).device
    ids = tokenizer(sentences, truncation=True, max_length=max_length)["input_ids"]
    examples = [{"input_ids": i} for i in ids]
    out = torch.empty(len(examples), encoder.config.hidden_size)
    with layers_up_to(encoder, layer) as cut:
        for idx, batch in eval_batches(examples, batch_size, tokenizer.pad_token_id):
            batch = {k: v.to(device) for k, v in batch.items()}
            states = (encoder(**batch).last_hidden_state if cut else
                      encoder(**batch, output_hidden_states=True).hidden_states[layer])
            out[idx] = F.normalize(mean_pool(states, batch["attention_mask"]).float(),
                                   dim=-1).cpu()
    return out
