"""The objectives: the sparse masked LM computes the model's own MLM loss, and token-level
losses report the count of tokens they average over."""

import torch
from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM

from xstilts.train.objectives import SparseMLM, masked_lm


def tiny_mlm() -> XLMRobertaForMaskedLM:
    torch.manual_seed(0)
    config = XLMRobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
                              num_attention_heads=2, intermediate_size=32,
                              max_position_embeddings=40)
    return XLMRobertaForMaskedLM(config).eval()


def test_sparse_loss_equals_the_models_own():
    model = tiny_mlm()
    ids = torch.randint(4, 50, (3, 12))
    mask = torch.ones_like(ids)
    labels = ids.masked_fill(torch.rand(ids.shape) > 0.3, -100)
    own = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    sparse = SparseMLM(model)(ids, mask, labels)
    torch.testing.assert_close(sparse, own)
    sparse.backward()
    assert model.lm_head.decoder.weight.grad is not None


def test_nothing_masked_gives_a_zero_loss_not_nan():
    model = tiny_mlm()
    ids = torch.randint(4, 50, (2, 5))
    loss = SparseMLM(model)(ids, torch.ones_like(ids), torch.full_like(ids, -100))
    assert loss.item() == 0.0
    loss.backward()


def test_masked_lm_objective_runs_on_the_sparse_model():
    torch.manual_seed(1)
    ids = torch.randint(4, 50, (4, 20))
    out = masked_lm(mask_id=3, vocab_size=50, mask_prob=0.5)(
        SparseMLM(tiny_mlm()), {"input_ids": ids, "attention_mask": torch.ones_like(ids)})
    assert torch.isfinite(out.value) and out.value.item() > 0
    # The count DDP weighs a shard by: about half of the 80 tokens are predicted.
    assert 20 < out.tokens.item() < 60


def test_task_losses_count_tokens_for_tags_only():
    from xstilts.train.objectives import task_loss

    class Head(torch.nn.Module):
        def forward(self, name, batch):
            return {"loss": torch.tensor(1.0)}

    tags = {"labels": torch.tensor([[0, -100, 2], [1, 1, -100]])}
    assert task_loss("udpos")(Head(), tags).tokens.item() == 4
    assert task_loss("xnli")(Head(), {"labels": torch.tensor([0, 2])}).tokens is None
