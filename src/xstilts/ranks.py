"""Which process this is under ``torchrun``, from the environment it sets (RANK, WORLD_SIZE).

No torch here: the stages that train nothing, and the data and tracking modules, ask
``is_main()`` before writing files, and must not pay torch's import (seconds) for it.
"""

import os


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    """torchrun's RANK for every process it starts; 0 without torchrun."""
    return int(os.environ.get("RANK", "0")) if world_size() > 1 else 0


def is_main() -> bool:
    """Only rank 0 writes checkpoints, outputs and tracking records."""
    return rank() == 0
