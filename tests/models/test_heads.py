"""Task heads: mean pooling ignores padding."""

import torch

from xstilts.models.heads import mean_pool


def test_mean_pool_ignores_padding():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [1e6, -1e6]],
                           [[5.0, 6.0], [7.0, 8.0], [9.0, 10.0]],
                           [[1e6, 1e6], [1e6, 1e6], [1e6, 1e6]]])
    mask = torch.tensor([[1, 1, 0], [1, 1, 1], [0, 0, 0]])
    pooled = mean_pool(hidden, mask)
    assert torch.allclose(pooled, torch.tensor([[2.0, 3.0], [7.0, 8.0], [0.0, 0.0]]))
