"""Which precision the loop computes in: bf16 autocast only where the hardware has it.

Autocast to bf16 is a speed-up only on devices with bf16 arithmetic (GPUs from Ampere on,
CPUs with avx512_bf16 or AMX). Elsewhere the kernels emulate it: on an AVX2-only CPU a bf16
matrix product of the offline model's shapes took ~50x as long as the fp32 one.
"""

from typing import Literal

import torch

Bf16Setting = bool | Literal["auto"]


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 in hardware."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":
        capabilities = torch.cpu.get_capabilities()
        return bool(capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"))
    return False


def use_bf16(setting: Bf16Setting, device: torch.device) -> bool:
    """``train.bf16`` resolved for ``device``: "auto" is bf16 where the hardware has it."""
    return native_bf16(device) if setting == "auto" else setting
