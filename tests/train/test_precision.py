"""Precision: ``train.bf16: auto`` takes bf16 only where the CPU computes it, and an explicit
setting wins over the hardware."""

import pytest
import torch

from xstilts.train import precision

CPU = torch.device("cpu")


@pytest.mark.parametrize("capabilities,native", [
    ({"avx2": True, "avx512_bf16": False, "amx_bf16": False}, False),
    ({"avx2": True, "avx512_bf16": True, "amx_bf16": False}, True),
    ({"avx2": True, "avx512_bf16": False, "amx_bf16": True}, True),
    ({"asimd": True}, False),  # keys of another architecture
])
def test_auto_takes_bf16_only_where_the_cpu_computes_it(monkeypatch, capabilities, native):
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: capabilities)
    assert precision.native_bf16(CPU) is native
    assert precision.use_bf16("auto", CPU) is native


@pytest.mark.parametrize("native", [False, True])
def test_an_explicit_setting_wins_over_the_hardware(monkeypatch, native):
    monkeypatch.setattr(precision, "native_bf16", lambda device: native)
    assert precision.use_bf16(True, CPU) is True
    assert precision.use_bf16(False, CPU) is False
