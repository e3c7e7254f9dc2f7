"""Dropout masks at a quarter of the cost on CPU, used by the loop while it trains there.

torch's CPU dropout draws one double per element from its mt19937 generator (``bernoulli_``):
17 % of an fp32 training step of the offline model and a quarter of a bf16 one. Here one 64-bit
draw of the same generator masks four elements (16 bits each, the keep probability rounded to
1/65,536 and the scale computed from the rounded value), so seeding and the RNG state saved in
checkpoints work as before. Attention dropout happens inside SDPA, out of reach of module
swaps, so the encoder's attention runs through a registered function that applies the same
masks. On other devices nothing changes: their dropout is already cheap.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import torch
from torch import nn
from transformers import AttentionInterface, PreTrainedModel
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

ATTENTION = "xstilts_cpu_dropout"


def inverted_dropout(x: torch.Tensor, p: float) -> torch.Tensor:
    """Inverted dropout of ``x`` (training mode) with 16-bit random draws."""
    threshold = round((1.0 - p) * 65536)
    words = torch.empty((x.numel() + 3) // 4, dtype=torch.int64, device=x.device)
    # random_(min, None) fills the whole int64 range: four uniform 16-bit draws per word.
    draws = words.random_(-2 ** 63, None).view(torch.int16)[:x.numel()].view(x.shape)
    keep = (draws < threshold - 32768).to(x.dtype).mul_(65536 / threshold)
    return x * keep


class Dropout(nn.Dropout):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        return inverted_dropout(x, self.p)


def _attention(module, query, key, value, attention_mask, dropout: float = 0.0,
               scaling: float | None = None, **kwargs):
    """SDPA without dropout; with it, the same product written out around our masks."""
    if dropout == 0.0:
        return sdpa_attention_forward(module, query, key, value, attention_mask,
                                      dropout=0.0, scaling=scaling, **kwargs)
    scores = torch.matmul(query, key.transpose(2, 3)) * (scaling or query.size(-1) ** -0.5)
    if attention_mask is not None:
        if attention_mask.dtype == torch.bool:  # SDPA's masks: True where attention is allowed
            scores = scores.masked_fill(~attention_mask, torch.finfo(scores.dtype).min)
        else:
            scores = scores + attention_mask
    weights = inverted_dropout(scores.softmax(-1), dropout)
    return torch.matmul(weights, value).transpose(1, 2).contiguous(), None


@cache
def _register() -> None:
    """Make the attention above known to transformers under ``ATTENTION``, on first use."""
    AttentionInterface.register(ATTENTION, _attention)
    AttentionMaskInterface.register(ATTENTION, sdpa_mask)


@contextmanager
def cheap_cpu_dropout(model: nn.Module) -> Iterator[None]:
    """Within the block, ``model``'s dropout modules and SDPA attention use the masks above;
    afterwards the model is as it was (nothing of this reaches saved configs or weights)."""
    if next(model.parameters()).device.type != "cpu":
        yield
        return
    _register()
    swapped = []
    for parent in list(model.modules()):
        for name, child in parent.named_children():
            if type(child) is nn.Dropout and child.p > 0:
                setattr(parent, name, Dropout(child.p, child.inplace))
                swapped.append((parent, name, child))
    # The outermost transformers models on SDPA (a CLIP's text tower, a task model's encoder).
    encoders = [m for m in model.modules() if isinstance(m, PreTrainedModel)
                and m.config._attn_implementation == "sdpa"]
    encoders = [m for m in encoders if not any(m is not o and m in set(o.modules())
                                               for o in encoders)]
    for encoder in encoders:
        encoder.set_attn_implementation(ATTENTION)
    try:
        yield
    finally:
        for parent, name, child in swapped:
            setattr(parent, name, child)
        for encoder in encoders:
            encoder.set_attn_implementation("sdpa")
