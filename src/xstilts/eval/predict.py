"""Batched inference of a task model under ``torch.inference_mode``."""

import torch

from xstilts.train.batching import EvalBatch, eval_batches


def _outputs(model, task: str, features: list[dict], batch_size: int | EvalBatch, pad_id: int):
    """Yield (feature indices, head outputs) batch by batch, in length order."""
    model.eval()
    device = next(model.parameters()).device
    for idx, batch in eval_batches(features, batch_size, pad_id):
        inputs = {k: v.to(device) for k, v in batch.items()
                  if k not in ("labels", "start_positions", "end_positions")}
        yield idx, batch, model(task, inputs)


@torch.inference_mode()
def predict_labels(model, task: str, features: list[dict], batch_size: int | EvalBatch,
                   pad_id: int) -> list[int]:
    """Argmax label of every example (classification, multiple choice), in input order."""
    preds = [0] * len(features)
    for idx, _, out in _outputs(model, task, features, batch_size, pad_id):
        for i, p in zip(idx, out["logits"].argmax(-1).tolist()):
            preds[i] = p
    return preds


@torch.inference_mode()
def predict_tags(model, task: str, features: list[dict], batch_size: int | EvalBatch,
                 pad_id: int) -> list[list[int]]:
    """Predicted tag of every word (its first subword's), per example, in input order."""
    preds: list[list[int]] = [[] for _ in features]
    for idx, batch, out in _outputs(model, task, features, batch_size, pad_id):
        best = out["logits"].argmax(-1).cpu()  # (B, T)
        for row, i in enumerate(idx):
            keep = batch["labels"][row] != -100
            preds[i] = best[row][keep].tolist()
    return preds


@torch.inference_mode()
def predict_spans(model, task: str, features: list[dict], contexts: list[str],
                  batch_size: int | EvalBatch, pad_id: int, allow_null: bool = False,
                  max_answer_tokens: int = 30) -> list[str]:
    """Best answer text per example over all its windows: the highest start + end logit
    with start <= end inside the context. With ``allow_null`` (SQuAD v2) the answer is ""
    when the <s> position scores higher than every span, in the window where it scores
    lowest (as BERT's run_squad and HF's run_qa: a window that holds the answer should not
    be outvoted by one that does not)."""
    best: list[tuple[float, str]] = [(-float("inf"), "")] * len(contexts)
    null: list[float] = [float("inf")] * len(contexts)
    for idx, _, out in _outputs(model, task, features, batch_size, pad_id):
        starts, ends = out["start_logits"].float().cpu(), out["end_logits"].float().cpu()
        for row, i in enumerate(idx):
            f = features[i]
            example, offsets = f["example"], f["offsets"]
            s, e = starts[row, :len(offsets)], ends[row, :len(offsets)]
            null[example] = min(null[example], (s[0] + e[0]).item())
            valid = torch.tensor([o is not None for o in offsets])
            # (T, T) scores of every span; mask spans outside the context, reversed or long.
            scores = s[:, None] + e[None, :]
            span_ok = valid[:, None] & valid[None, :]
            span_ok &= torch.ones_like(span_ok).triu() & ~torch.ones_like(span_ok).triu(
                max_answer_tokens)
            scores = scores.masked_fill(~span_ok, -float("inf"))
            flat = scores.argmax().item()
            a, b = divmod(flat, scores.shape[1])
            score = scores[a, b].item()
            if score > best[example][0]:
                text = contexts[example][offsets[a][0]:offsets[b][1]]
                best[example] = (score, text.strip())
    return ["" if allow_null and null[n] > score else text
            for n, (score, text) in enumerate(best)]
