"""Stage entry points: light imports for the stages that train nothing, errors as messages."""

import subprocess
import sys

import pytest

from xstilts.data.files import DataFileError
from xstilts.errors import StageError
from xstilts.stages.cli import run
from xstilts.tracking import TrackingError


@pytest.mark.parametrize("stage", ["params", "generate", "captions", "report"])
def test_stages_that_train_nothing_do_not_import_torch(stage, tmp_path):
    # Nor when they write their outputs, which only rank 0 does under torchrun.
    code = (f"import sys, xstilts.stages.{stage}\n"
            "from pathlib import Path\n"
            "from xstilts.data.files import publish, write_json\n"
            f"write_json(Path({str(tmp_path)!r}) / 'm.json', {{}})\n"
            f"with publish(Path({str(tmp_path)!r}) / 'out') as tmp:\n"
            "    (tmp / 'f').write_text('x')\n"
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
    assert (tmp_path / "out" / "f").exists() and (tmp_path / "m.json").exists()


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


def test_the_closing_line_names_worker_peaks_only_from_workers():
    # A helper forked for a moment (ctypes runs `ldconfig -p` so) is no worker.
    code = ("import ctypes.util, subprocess\n"
            "from xstilts.stages import cli\n"
            "def main():\n"
            "    subprocess.run(['true'])\n"
            "    ctypes.util.find_library('c')\n"
            "    if WORKER:\n"
            "        cli.note_worker_peak(700.0)\n"
            "        cli.note_worker_peak(640.0)\n"
            "cli.run(main)\n")
    lines = {}
    for worker in (False, True):
        lines[worker] = subprocess.run([sys.executable, "-c", f"WORKER = {worker}\n{code}"],
                                       capture_output=True, text=True, check=True).stderr
    assert "peak RSS" in lines[False] and "worker" not in lines[False]
    assert lines[True].rstrip().endswith("each worker's up to 700 MiB")


def test_under_torchrun_rank_0_alone_prints_the_summary(monkeypatch, capsys):
    def main():
        print("pretrain: MLM loss 1.234")

    monkeypatch.setenv("WORLD_SIZE", "2")
    for rank in ("0", "1"):
        monkeypatch.setenv("RANK", rank)
        run(main)
    out, err = capsys.readouterr()
    assert out.count("MLM loss") == 1
    closing = [line for line in err.splitlines() if line.startswith("[xstilts]")]
    assert len(closing) == 2 and "(rank 1)" in closing[1] and "rank" not in closing[0]


def test_train_nproc_restarts_a_training_stage_under_torchrun(monkeypatch, tmp_path):
    """With `train.nproc` > 1 a DDP stage replaces itself by torchrun running the same stage
    and arguments; under torchrun (or for other stages) it runs as it is."""
    import yaml

    from tiny_profile import ROOT
    from xstilts.stages import cli

    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["train"]["nproc"] = 2
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    argv = ["--params", str(tmp_path / "params.yaml")]
    monkeypatch.setattr(sys, "argv", ["/x/xstilts/stages/intermediate.py", *argv])
    started = []
    monkeypatch.setattr(cli.os, "execv", lambda path, cmd: started.append(cmd))
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    cli.parse("", None, ddp=True)
    assert started == [[sys.executable, "-m", "torch.distributed.run", "--standalone",
                        "--nproc_per_node=2", "-m", "xstilts.stages", "intermediate", *argv]]
    cli.parse("", None)  # a stage without DDP
    monkeypatch.setenv("WORLD_SIZE", "2")  # already under torchrun
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setattr(cli.distributed, "init", lambda: False)
    cli.parse("", None, ddp=True)
    assert len(started) == 1
