"""Records -> token ids and labels, by task type; the same for offline and hub records."""

from pathlib import Path

from xstilts.data.files import DataFileError, read_jsonl, task_file
from xstilts.tasks import TaskSpec


def load_records(data_dir: Path, spec: TaskSpec, split: str, lang: str) -> list[dict]:
    fields = (*spec.text_fields, spec.label_field) if spec.labels else spec.text_fields
    return read_jsonl(task_file(data_dir, spec.name, split, lang), fields)


def label_id(spec: TaskSpec, value, path: str = "") -> int:
    """Hub datasets store labels as ids (GLUE) or names (XTREME); accept both."""
    if isinstance(value, int) and 0 <= value < spec.num_labels:
        return value
    if value in spec.labels:
        return spec.labels.index(value)
    raise DataFileError(f"{path or spec.name}: label {value!r} is not one of {spec.labels}")


def encode(spec: TaskSpec, records: list[dict], tokenizer, max_length: int) -> list[dict]:
    """Token ids (and labels) for the encoder; pairs are joined as XLM-R joins them."""
    if spec.type != "classification":
        raise NotImplementedError(f"{spec.name}: no encoder for task type {spec.type!r}")
    columns = [[r[f] for r in records] for f in spec.text_fields]
    ids = tokenizer(*columns, truncation=True, max_length=max_length)["input_ids"]
    return [{"input_ids": i, "labels": label_id(spec, r[spec.label_field], spec.name)}
            for i, r in zip(ids, records)]
