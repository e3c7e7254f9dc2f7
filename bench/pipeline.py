"""Wall time and peak memory of every DVC stage of a `dvc repro`, with the machine.

    python bench/pipeline.py            # dvc repro --force in this repository
    python bench/pipeline.py --quick    # the README's quick profile, as a `dvc exp run`
    python bench/pipeline.py -- -s report   # extra arguments go to dvc repro

Each stage prints "[xstilts] <stage>: <s> s, peak RSS <MiB> MiB" when it ends (and the
largest worker process's peak, for stages that run workers); the wall time per stage is taken
between DVC's "Running stage" lines (interpreter start included). `python -m xstilts.publish`
runs the same and stamps the result into docs/results/.
"""

import sys
from pathlib import Path

from xstilts.publish import PROFILES, machine, timed_run, timing_table


def main(argv: list[str]) -> None:
    split = argv.index("--") if "--" in argv else len(argv)
    quick, extra = "--quick" in argv[:split], argv[split + 1:]
    cmd = PROFILES["quick" if quick else "matrix"][0] + extra
    rows, total = timed_run(cmd)
    for key, value in machine(Path.cwd()).items():
        print(f"{key}: {value}")
    print("\n".join(timing_table(rows, total)))


if __name__ == "__main__":
    main(sys.argv[1:])
