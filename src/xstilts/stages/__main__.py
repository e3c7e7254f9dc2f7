"""Every stage's process start: ``python -m xstilts.stages <stage> [args]``.

Process-level settings that the libraries read once, when they load, are applied here, before
the stage imports them, and nowhere else:

* OpenMP threads wait passively (``OMP_WAIT_POLICY=PASSIVE``) after a short spin
  (``GOMP_SPINCOUNT=1000``, about 10 microseconds). torch's threads otherwise spin at every
  barrier for milliseconds, and on a CPU shared with any other busy process (an editor, a
  browser, a second ``dvc exp run``) a spinning thread waits for its partner to be scheduled
  again, so a multi-threaded stage slows several-fold. Sleeping at once costs a small model
  a fifth of its speed on a CPU it has to itself, because the partner thread usually arrives
  within a few microseconds and would find its partner asleep; the short spin catches those
  waits and gives up long before a descheduled partner returns. A user's own
  ``OMP_WAIT_POLICY`` (e.g. ``ACTIVE`` on a machine the study has to itself) decides alone.

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
    if "OMP_WAIT_POLICY" not in os.environ:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        os.environ.setdefault("GOMP_SPINCOUNT", "1000")  # GNU OpenMP, torch's on Linux
    stage = sys.argv.pop(1)
    runpy.run_module(f"xstilts.stages.{stage}", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
