"""Batched inference of a task model under ``torch.inference_mode``."""

import torch

from xstilts.train.batching import eval_batches


@torch.inference_mode()
def predict_labels(model, task: str, examples: list[dict], batch_size: int,
                   pad_id: int) -> list[int]:
    """Argmax label of every example, in the examples' order."""
    model.eval()
    device = next(model.parameters()).device
    preds = [0] * len(examples)
    for idx, batch in eval_batches(examples, batch_size, pad_id):
        batch = {k: v.to(device) for k, v in batch.items() if k != "labels"}
        for i, p in zip(idx, model(task, batch)["logits"].argmax(-1).tolist()):
            preds[i] = p
    return preds
