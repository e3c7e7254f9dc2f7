"""Records -> token ids and labels, by task type; the same for offline and hub records.

Each encoder returns one feature dict per model input: ``input_ids`` plus the training
targets of its head (``labels``, or ``start_positions``/``end_positions``). Span features
also carry ``example`` and ``offsets`` (not tensors: the collator leaves them out) so that
predictions map back to characters of the context.
"""

from pathlib import Path

from xstilts.data.files import DataFileError, read_jsonl, task_file
from xstilts.tasks import TaskSpec


def load_records(data_dir: Path, spec: TaskSpec, split: str, lang: str) -> list[dict]:
    return read_jsonl(task_file(data_dir, spec.name, split, lang), spec.required_fields)


def label_id(spec: TaskSpec, value, where: str = "") -> int:
    """Hub datasets store labels as ids (GLUE), names (XNLI) or digit strings (HellaSwag)."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and 0 <= value < spec.num_labels:
        return value
    if value in spec.labels:
        return spec.labels.index(value)
    raise DataFileError(f"{where or spec.name}: label {value!r} is not one of {spec.labels}")


def encode_classification(spec, records, tokenizer, max_length, **_):
    columns = [[r[f] for r in records] for f in spec.text_fields]
    ids = tokenizer(*columns, truncation=True, max_length=max_length)["input_ids"]
    return [{"input_ids": i, "labels": label_id(spec, r[spec.label_field])}
            for i, r in zip(ids, records)]


def encode_tagging(spec, records, tokenizer, max_length, **_):
    """Only the first subword of a word carries its tag (XTREME's run_tag.py does the same).
    A word the tokenizer turns into nothing (e.g. a lone zero-width character) is read as
    <unk>, as run_tag.py does, so every word keeps a position and its tag. A sentence longer
    than ``max_length`` is split into consecutive segments of whole words, each a feature
    with the ``example`` it came from, as XTREME's preprocessing splits them, so that every
    word is trained on and scored."""
    words = [r[spec.text_fields[0]] for r in records]
    vocab = sorted({w for ws in words for w in ws})
    pieces = tokenizer([[w] for w in vocab], is_split_into_words=True,
                       add_special_tokens=False)["input_ids"] if vocab else []
    width = {w: max(1, len(ids)) for w, ids in zip(vocab, pieces)}  # <unk> is one
    budget = max_length - tokenizer.num_special_tokens_to_add(pair=False)
    segments = []  # (example, first word, end word)
    for n, ws in enumerate(words):
        start, used = 0, 0
        for i, w in enumerate(ws):
            if used + width[w] > budget and i > start:
                segments.append((n, start, i))
                start, used = i, 0
            used += width[w]
        segments.append((n, start, len(ws)))
    if empty := {w for w, ids in zip(vocab, pieces) if not ids}:
        words = [[tokenizer.unk_token if w in empty else w for w in ws] for ws in words]
    enc = tokenizer([words[n][a:b] for n, a, b in segments], is_split_into_words=True,
                    truncation=True, max_length=max_length)
    features = []
    for f, (n, a, b) in enumerate(segments):
        tags, labels, previous = records[n][spec.label_field][a:b], [], None
        for word in enc.word_ids(f):
            labels.append(-100 if word is None or word == previous else int(tags[word]))
            previous = word
        features.append({"input_ids": enc["input_ids"][f], "labels": labels, "example": n})
    return features


def encode_multiple_choice(spec, records, tokenizer, max_length, **_):
    """Each example becomes C sequences "<context> </s></s> <choice>" scored by one head."""
    features = []
    for r in records:
        context, choices = spec.choices(r)
        ids = tokenizer([context] * len(choices), choices, truncation=True,
                        max_length=max_length)["input_ids"]
        features.append({"input_ids": ids, "labels": label_id(spec, r[spec.label_field])})
    return features


def encode_span(spec, records, tokenizer, max_length, stride: int = 128, **_):
    """SQuAD features: question first, context second and split into windows of
    ``max_length`` overlapping by ``stride`` tokens (XTREME: 384 and 128). An answer outside
    a window, or no answer (SQuAD v2), points at <s> (position 0)."""
    enc = tokenizer([r["question"] for r in records], [r["context"] for r in records],
                    truncation="only_second", max_length=max_length,
                    stride=min(stride, max_length // 2), return_overflowing_tokens=True,
                    return_offsets_mapping=True)
    features = []
    for f, example in enumerate(enc["overflow_to_sample_mapping"]):
        r, seq = records[example], enc.sequence_ids(f)
        offsets = [o if s == 1 else None for o, s in zip(enc["offset_mapping"][f], seq)]
        start = end = 0
        answers = r["answers"]
        if answers["text"]:
            a_start = answers["answer_start"][0]
            a_end = a_start + len(answers["text"][0])
            inside = [i for i, o in enumerate(offsets) if o and o[0] < a_end and o[1] > a_start]
            if inside and offsets[inside[0]][0] <= a_start and offsets[inside[-1]][1] >= a_end:
                start, end = inside[0], inside[-1]
        features.append({"input_ids": enc["input_ids"][f], "start_positions": start,
                         "end_positions": end, "example": example, "offsets": offsets})
    return features


ENCODERS = {
    "classification": encode_classification,
    "tagging": encode_tagging,
    "multiple_choice": encode_multiple_choice,
    "span": encode_span,
}


def encode(spec: TaskSpec, records: list[dict], tokenizer, max_length: int, **kwargs):
    """Features for ``spec``'s head; the encoder is chosen by the task's type."""
    if spec.type not in ENCODERS:
        raise ValueError(f"{spec.name}: task type {spec.type!r} has no encoder")
    return ENCODERS[spec.type](spec, records, tokenizer, max_length, **kwargs)
