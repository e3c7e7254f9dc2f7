"""Every stage's process start: ``python -m xstilts.stages <stage> [args]``.

Process-level settings that the libraries read once, when they load, are applied here, before
the stage imports them, and nowhere else:

* OpenMP threads wait passively (``OMP_WAIT_POLICY=PASSIVE``): torch's threads otherwise spin
  at every barrier, and on a CPU shared with any other busy process (an editor, a browser, a
  second ``dvc exp run``) a spinning thread waits for its partner to be scheduled again, so a
  multi-threaded stage slows several-fold. Sleeping costs some speed on a CPU the stage has to
  itself (the measured trade-off is in the notes); ``OMP_WAIT_POLICY=ACTIVE dvc repro`` chooses
  spinning for such a machine.

The stage module then runs as ``python -m xstilts.stages.<stage>`` would run it.
"""

import os
import runpy
import sys

STAGES = ("params", "generate", "pretrain", "captions", "pretrain_clip", "intermediate",
          "finetune", "retrieval", "report", "compare")


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in STAGES:
        sys.exit(f"usage: python -m xstilts.stages <stage> [args]; stages: {', '.join(STAGES)}")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    stage = sys.argv.pop(1)
    runpy.run_module(f"xstilts.stages.{stage}", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
