"""Data files: a damaged JSON-lines record is named by file and line, and outputs are
published atomically: a failed run keeps the previous output, and what killed runs left
behind is cleared or put back."""

import json
import os
import subprocess
import sys

import pytest

from xstilts.data.files import DataFileError, publish, read_jsonl, write_json, write_jsonl


def test_read_jsonl_names_file_and_line_of_truncated_record(tmp_path):
    path = tmp_path / "test.en.jsonl"
    good = json.dumps({"sentence1": "a", "sentence2": "b", "gold_label": "neutral"})
    path.write_text(f"{good}\n{good}\n{good[:20]}\n")
    with pytest.raises(DataFileError, match="truncated") as info:
        read_jsonl(path)
    assert f"{path}:3:" in str(info.value)


def test_read_jsonl_checks_fields_and_presence(tmp_path):
    path = tmp_path / "x.jsonl"
    write_jsonl(path, [{"sentence1": "a", "sentence2": "b"}])
    with pytest.raises(DataFileError, match=r"x.jsonl:1: record lacks fields \['gold_label'\]"):
        read_jsonl(path, ("sentence1", "sentence2", "gold_label"))
    with pytest.raises(DataFileError, match="missing"):
        read_jsonl(tmp_path / "nowhere.jsonl")
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(DataFileError, match="empty"):
        read_jsonl(tmp_path / "empty.jsonl")


def test_read_jsonl_rejects_a_record_that_is_not_an_object(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"premise": "a"}\n42\n')
    with pytest.raises(DataFileError, match=":2:"):
        read_jsonl(path, ("premise",))


def test_publish_keeps_previous_directory_when_body_raises(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (final / "result.txt").write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with publish(final) as tmp:
            (tmp / "result.txt").write_text("half")
            raise RuntimeError("boom")
    assert (final / "result.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary left behind


def ended_pid() -> int:
    """The PID of a process that has ended, as a killed run's is."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_publish_clears_what_killed_runs_left_and_keeps_what_running_ones_write(tmp_path):
    final, dead = tmp_path / "out", ended_pid()
    final.mkdir()
    (tmp_path / f".out.tmp-{dead}").mkdir()
    running = tmp_path / f".out.tmp-{os.getppid()}"  # a live process's (another rank's)
    running.mkdir()
    other = tmp_path / f".outer.tmp-{dead}"  # another output's, swept when that one publishes
    other.mkdir()
    with publish(final) as tmp:
        (tmp / "result.txt").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", running.name,
                                                                  other.name])


def test_publish_puts_back_the_output_a_kill_between_its_renames_took_away(tmp_path):
    # killed after moving the previous output aside, before renaming the new one in
    dead = ended_pid()
    (tmp_path / f".out.old-{dead}").mkdir()
    (tmp_path / f".out.old-{dead}" / "result.txt").write_text("previous")
    (tmp_path / f".out.tmp-{dead}").mkdir()
    with pytest.raises(RuntimeError):
        with publish(tmp_path / "out"):
            raise RuntimeError("this run fails too")
    assert (tmp_path / "out" / "result.txt").read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_write_json_clears_temporary_files_of_killed_runs(tmp_path):
    stale = tmp_path / f".m.json.tmp-{ended_pid()}"
    stale.write_text("{")
    write_json(tmp_path / "m.json", {"acc": 1.0})
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_publish_replaces_directory_on_success(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (final / "stale.txt").write_text("old")
    with publish(final) as tmp:
        assert tmp != final and not (tmp / "stale.txt").exists()
        (tmp / "result.txt").write_text("new")
    assert sorted(p.name for p in final.iterdir()) == ["result.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_the_report_keeps_what_other_commands_wrote_beside_it(tmp_path):
    # reports/ holds compare's reports/compare too; the report replaces its own files only.
    final = tmp_path / "reports"
    (final / "compare").mkdir(parents=True)
    (final / "compare" / "clip_vs_xlmr.md").write_text("answer")
    (final / "results.md").write_text("old")
    with publish(final, keep_others=True) as tmp:
        (tmp / "results.md").write_text("new")
    assert (final / "results.md").read_text() == "new"
    assert (final / "compare" / "clip_vs_xlmr.md").read_text() == "answer"
