"""Sentence retrieval (Tatoeba): mean-pooled encoder states, cosine nearest neighbour."""

import torch
import torch.nn.functional as F

from xstilts.models.heads import mean_pool
from xstilts.train.batching import eval_batches


@torch.inference_mode()
def embed(encoder, tokenizer, sentences: list[str], layer: int, batch_size: int,
          max_length: int = 128) -> torch.Tensor:
    """L2-normalised mean-pooled states of hidden layer ``layer``: (N, H)."""
    encoder.eval()
    device = next(encoder.parameters()).device
    ids = tokenizer(sentences, truncation=True, max_length=max_length)["input_ids"]
    examples = [{"input_ids": i} for i in ids]
    out = torch.empty(len(examples), encoder.config.hidden_size)
    for idx, batch in eval_batches(examples, batch_size, tokenizer.pad_token_id):
        batch = {k: v.to(device) for k, v in batch.items()}
        states = encoder(**batch, output_hidden_states=True).hidden_states[layer]
        out[idx] = F.normalize(mean_pool(states, batch["attention_mask"]).float(), dim=-1).cpu()
    return out
