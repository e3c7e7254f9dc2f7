"""Stage entry points: light imports for the stages that train nothing, errors as messages."""

import subprocess
import sys

import pytest

from xstilts.data.files import DataFileError
from xstilts.errors import StageError
from xstilts.stages.cli import run
from xstilts.tracking import TrackingError


@pytest.mark.parametrize("stage", ["generate", "captions", "report", "download"])
def test_stages_that_train_nothing_do_not_import_torch(stage):
    code = (f"import sys, xstilts.stages.{stage}; "
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("error", [DataFileError("data/x.jsonl: truncated"),
                                   TrackingError("tracking.uri: cannot reach the store")])
def test_the_projects_errors_end_a_stage_with_their_message(error):
    assert isinstance(error, StageError)

    def main():
        raise error

    with pytest.raises(SystemExit) as exited:
        run(main)
    assert exited.value.code == f"error: {error}"


def test_other_errors_keep_their_traceback():
    def main():
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        run(main)
