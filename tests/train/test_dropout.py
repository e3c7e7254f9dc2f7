"""The loop's CPU dropout: the right rate and scale, the same attention as SDPA where nothing is
dropped, and a model left exactly as it was after training."""

import pytest
import torch
from torch import nn
from transformers import XLMRobertaConfig, XLMRobertaModel

from xstilts.train.dropout import Dropout, cheap_cpu_dropout, inverted_dropout


def encoder(p: float = 0.1) -> XLMRobertaModel:
    torch.manual_seed(0)
    return XLMRobertaModel(XLMRobertaConfig(
        vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=40, type_vocab_size=1, pad_token_id=1,
        hidden_dropout_prob=p, attention_probs_dropout_prob=p), add_pooling_layer=False)


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_drops_the_asked_share_and_keeps_the_expectation(p):
    torch.manual_seed(0)
    x = torch.ones(200_000)
    y = inverted_dropout(x, p)
    assert (y == 0).float().mean().item() == pytest.approx(p, abs=0.005)
    assert y.mean().item() == pytest.approx(1.0, abs=0.01)
    assert y.unique().tolist() == pytest.approx([0.0, 65536 / round((1 - p) * 65536)])


def test_masks_follow_the_seed_and_differ_between_calls():
    torch.manual_seed(1)
    a, b = inverted_dropout(torch.ones(1001), 0.1), inverted_dropout(torch.ones(1001), 0.1)
    torch.manual_seed(1)
    assert torch.equal(a, inverted_dropout(torch.ones(1001), 0.1))  # odd sizes too
    assert not torch.equal(a, b)


def test_attention_equals_sdpa_when_nothing_is_dropped():
    model = encoder(p=0.0).eval()
    ids = torch.tensor([[0, 5, 6, 7, 2], [0, 8, 2, 1, 1]])
    mask = (ids != 1).long()
    reference = model(input_ids=ids, attention_mask=mask).last_hidden_state
    model.train()  # dropout probabilities are 0: training mode drops nothing
    with cheap_cpu_dropout(model):
        ours = model(input_ids=ids, attention_mask=mask).last_hidden_state
    assert torch.allclose(ours, reference, atol=1e-5)


def test_padding_gets_no_attention_under_dropout():
    model = encoder(p=0.1).train()
    mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0]])
    outputs = []
    for filler in (1, 9):  # what sits in the padded positions must not matter
        ids = torch.tensor([[0, 5, 6, 7, 2, filler, filler]])
        with cheap_cpu_dropout(model):
            torch.manual_seed(0)  # the same dropout masks for both
            outputs.append(model(input_ids=ids, attention_mask=mask).last_hidden_state[:, :5])
    assert torch.allclose(outputs[0], outputs[1], atol=1e-6)


def test_model_is_restored_after_the_block():
    model = encoder()
    with cheap_cpu_dropout(model):
        assert any(type(m) is Dropout for m in model.modules())
        assert model.config._attn_implementation != "sdpa"
    assert not any(type(m) is Dropout for m in model.modules())
    assert sum(type(m) is nn.Dropout for m in model.modules()) == 7  # embeddings + 3 per layer
    assert model.config._attn_implementation == "sdpa"
