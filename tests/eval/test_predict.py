"""Predictions: labels in example order whatever the batch size, and answer spans decoded
over context windows (the best span; a null answer only where every window prefers it)."""

import pytest
import torch

from tiny_models import WORLD, xnli_model
from tiny_text import SENTENCES, SPAN, squad_record
from xstilts.data.features import encode
from xstilts.eval.predict import predict_labels, predict_spans
from xstilts.tasks import XNLI
from xstilts.tokenization import train_tokenizer
from xstilts.world import datasets


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(SENTENCES * 20, vocab_size=120)


@pytest.fixture(scope="module")
def model(tokenizer):
    """An XNLI model over the sentences' tokenizer: the order of its predictions is what the
    label test compares, whatever the words."""
    return xnli_model(tokenizer)


def test_predict_labels_keeps_example_order(model, tokenizer):
    records = list(datasets.xnli(WORLD, "test", "en", 10))
    examples = encode(XNLI, records, tokenizer, max_length=64)
    preds = predict_labels(model, "xnli", examples, batch_size=3,
                           pad_id=tokenizer.pad_token_id)
    with torch.no_grad():
        one_by_one = [int(model("xnli", {"input_ids": torch.tensor([e["input_ids"]]),
                                         "attention_mask": torch.ones(1, len(e["input_ids"]),
                                                                      dtype=torch.long)}
                                )["logits"].argmax()) for e in examples]
    assert preds == one_by_one


# --- spans ---------------------------------------------------------------------------------

class LogitsModel(torch.nn.Module):
    """A stand-in span model whose ``forward`` sets the logits; one parameter, so that the
    prediction code finds the model's device."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))


def test_predict_spans_decodes_the_highest_scoring_span(tokenizer):
    record = squad_record(SENTENCES[0], "velta corp")
    features = encode(SPAN, [record], tokenizer, max_length=64)
    target = features[0]

    class Oracle(LogitsModel):
        def forward(self, task, batch):
            b, t = batch["input_ids"].shape
            start = torch.full((b, t), -5.0)
            end = torch.full((b, t), -5.0)
            start[:, target["start_positions"]] = 5.0
            end[:, target["end_positions"]] = 5.0
            return {"start_logits": start, "end_logits": end}

    answers = predict_spans(Oracle(), "squad", features, [record["context"]], 4,
                            tokenizer.pad_token_id)
    assert answers == ["velta corp"]


def test_a_null_answer_needs_every_window_to_prefer_it(tokenizer):
    # SQuAD v2 (BERT's run_squad, HF's run_qa): the null score is the lowest over windows.
    long_context = " ".join([SENTENCES[1]] * 30 + [SENTENCES[0]])
    record = squad_record(long_context, "velta corp")
    features = encode(SPAN, [record], tokenizer, max_length=48, stride=16)
    hit = next(f for f in features if f["start_positions"] > 0)

    class TwoWindows(LogitsModel):
        """The answer's window: the answer scores 10, <s> 2; every other window: <s> 12."""

        def forward(self, task, batch):
            b, t = batch["input_ids"].shape
            start, end = torch.full((b, t), -20.0), torch.full((b, t), -20.0)
            for row in range(b):
                ids = batch["input_ids"][row].tolist()
                if ids[:len(hit["input_ids"])] == hit["input_ids"]:
                    start[row, hit["start_positions"]] = end[row, hit["end_positions"]] = 5.0
                    start[row, 0] = end[row, 0] = 1.0
                else:
                    start[row, 0] = end[row, 0] = 6.0
            return {"start_logits": start, "end_logits": end}

    answers = predict_spans(TwoWindows(), "squad", features, [long_context], 8,
                            tokenizer.pad_token_id, allow_null=True)
    assert answers == ["velta corp"]
