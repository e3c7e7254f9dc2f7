"""Wall time and peak memory of every DVC stage of a `dvc repro`.

    python bench/pipeline.py            # dvc repro --force in this repository
    python bench/pipeline.py --quick    # the README's quick profile, as a `dvc exp run`
    python bench/pipeline.py -- -s report   # extra arguments go to dvc repro

Each stage prints "[xstilts] <stage>: <s> s, peak RSS <MiB> MiB" when it ends (and the
largest worker process's peak, for stages that run workers); the wall
time per stage is taken between DVC's "Running stage" lines (interpreter start included).
"""

import re
import subprocess
import sys
import time

STAGE = re.compile(r"Running stage '([^']+)'")
PEAK = re.compile(r"\[xstilts\] (\S+): .* peak RSS (\d+) MiB"
                  r"(?:, each worker's up to (\d+) MiB)?")
# The README's quick profile: 3 intermediate settings x 4 targets, one per XTREME group.
QUICK = ["-S", "intermediate.tasks=[none,mnli,squad]",
         "-S", "finetune.targets=[xnli,udpos,xquad]",
         "-S", "eval.retrieval_tasks=[tatoeba]"]


def main(argv: list[str]) -> None:
    split = argv.index("--") if "--" in argv else len(argv)
    quick, extra = "--quick" in argv[:split], argv[split + 1:]
    cmd = ["dvc", "exp", "run", "--force", *QUICK, *extra] if quick else \
        ["dvc", "repro", "--force", *extra]
    rows: list[list] = []  # [stage, seconds, peak MiB, a worker process's peak MiB]
    log: list[str] = []
    start = last = time.perf_counter()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as proc:
        for line in proc.stdout:
            log.append(line)
            now = time.perf_counter()
            if m := STAGE.search(line):
                if rows:
                    rows[-1][1] = now - last
                rows.append([m.group(1), 0.0, None, None])
                last = now
            elif (m := PEAK.search(line)) and rows:
                rows[-1][2] = int(m.group(2))
                rows[-1][3] = int(m.group(3)) if m.group(3) else None
    if rows:
        rows[-1][1] = time.perf_counter() - last
    if proc.returncode:
        sys.exit("".join(log[-30:]) + f"{' '.join(cmd[:3])} failed with exit code "
                 f"{proc.returncode}")
    total = time.perf_counter() - start
    print(f"{'stage':<45} {'wall s':>8} {'peak RSS MiB':>13} {'per worker':>11}")
    for stage, seconds, peak, worker in rows:
        print(f"{stage:<45} {seconds:8.1f} {peak if peak is not None else '-':>13} "
              f"{worker if worker is not None else '-':>11}")
    peaks = [p for _, _, p, _ in rows if p is not None]
    print(f"{'quick profile' if quick else 'pipeline'}: {len(rows)} stages, "
          f"{total / 60:.1f} min wall, largest peak RSS {max(peaks, default=0)} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
