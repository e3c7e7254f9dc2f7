"""`python -m xstilts.stages <stage>`: OpenMP threads spin briefly, then wait passively, unless
the user says otherwise, and an unknown stage is named with the list of stages."""

import os
import sys

import pytest

from tiny_profile import ROOT
from xstilts.stages import __main__ as entry


def run_params(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "argv", ["xstilts.stages", "params", "--params",
                                      str(ROOT / "params.yaml"), "--out", str(tmp_path)])
    entry.main()


def test_threads_spin_briefly_then_wait_passively_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    run_params(monkeypatch, tmp_path)
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    assert os.environ["GOMP_SPINCOUNT"] == "1000"
    assert (tmp_path / "generate.json").is_file()


def test_a_users_wait_policy_is_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    run_params(monkeypatch, tmp_path)
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
    assert "GOMP_SPINCOUNT" not in os.environ  # it would cut ACTIVE's spinning short


def test_an_unknown_stage_lists_the_stages(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["xstilts.stages", "pretrian"])
    with pytest.raises(SystemExit, match="stages: params, generate, pretrain"):
        entry.main()
