"""Reading and publishing stage files: JSON lines in, whole directories out atomically.

A stage writes everything into a temporary sibling of its output directory and renames it
into place only when complete, so a failed or killed stage leaves the previous output intact
and never a half-written one.
"""

import json
import os
import shutil
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from xstilts import ranks
from xstilts.errors import StageError


class DataFileError(StageError, ValueError):
    """A data file is missing, truncated or not in the expected shape; names the file."""


def task_file(data_dir: Path, task: str, split: str, lang: str) -> Path:
    return data_dir / task / f"{split}.{lang}.jsonl"


def write_jsonl(path: Path, records: Iterable[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    return n


def read_jsonl(path: Path, fields: Iterable[str] = ()) -> list[dict]:
    """Records of a JSON-lines file, each checked to have ``fields``."""
    if not path.is_file():
        raise DataFileError(f"{path}: missing (run `dvc repro` to generate the data)")
    records = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataFileError(f"{path}:{lineno}: not valid JSON ({err.msg}); the file "
                                    "is truncated or corrupted") from None
            if not isinstance(record, dict):
                raise DataFileError(f"{path}:{lineno}: not a JSON object")
            missing = [k for k in fields if k not in record]
            if missing:
                raise DataFileError(f"{path}:{lineno}: record lacks fields {missing}")
            records.append(record)
    if not records:
        raise DataFileError(f"{path}: empty")
    return records


def read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise DataFileError(f"{path}: missing (run `dvc repro` to generate the data)")
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise DataFileError(f"{path}: empty")
    return lines


def left_by_ended_run(path: Path) -> bool:
    """Whether ``path`` is a ``.<name>.tmp-<pid>`` or ``.<name>.old-<pid>`` leftover of a
    process that has ended (a killed run): running processes, such as other torchrun ranks,
    keep theirs."""
    stem, _, pid = path.name.rpartition("-")
    return (path.name.startswith(".") and pid.isdigit() and stem.endswith((".tmp", ".old"))
            and process_ended(int(pid)))


def process_ended(pid: int) -> bool:
    """Whether no process of this machine has the id ``pid`` any more."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process, so a running one
        pass
    return False


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def sweep_stale(final: Path) -> None:
    """Clear what killed runs left beside ``final``: their temporary copies, one per run,
    which would pile up with every kill; and where a kill fell between the two renames of
    ``publish``, put the previous output back in place."""
    for kind in ("tmp", "old"):
        for path in final.parent.glob(f".{final.name}.{kind}-*"):
            if not left_by_ended_run(path):
                continue
            if kind == "old" and not final.exists():
                os.replace(path, final)
            else:
                remove(path)


@contextmanager
def publish(final: Path, keep_others: bool = False):
    """Yield a fresh temporary directory; on success it replaces ``final`` in one rename.
    ``keep_others``: entries of ``final`` the stage did not write are copied over first (a
    directory other commands write into as well). Under torchrun only rank 0 publishes; the
    other ranks' directories are discarded."""
    final.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(final)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not ranks.is_main():
        shutil.rmtree(tmp, ignore_errors=True)
        return
    if keep_others and final.is_dir():
        for entry in final.iterdir():
            if not (tmp / entry.name).exists():
                copy = shutil.copytree if entry.is_dir() else shutil.copy2
                copy(entry, tmp / entry.name)
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def write_json(path: Path, obj) -> None:
    """Write JSON atomically (metrics files are read by dvc and by the report); rank 0 only
    under torchrun."""
    if not ranks.is_main():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
