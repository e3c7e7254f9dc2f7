"""Stamped reference results: run a profile of the study, or read a finished one, and write
``docs/results/<profile>.md``, the only place the documentation takes measured figures from.

    python -m xstilts.publish quick            # run the quick profile (dvc exp run), publish
    python -m xstilts.publish matrix           # run the default matrix (dvc repro), publish
    python -m xstilts.publish clip             # both encoders, 3 seeds, quick's cells; compare
    python -m xstilts.publish quick --no-run   # publish the finished study as it is (no timings)
    python -m xstilts.publish quick --check    # the finished study's scores equal the file's?

The file is headed by what made it (commit, date, CPU model and flags, torch, precision,
threads) and holds the stage timings of the run, the report (XTREME matrix, per-language
tables, checks), the CLIP comparison when ``reports/compare`` has one, and the shortcut
baselines of ``bench/shortcuts.py``. ``quick`` also refreshes the headline block of README.md.
``--check`` fails, showing the first difference, unless every score of the published file
equals the finished study's (timings aside): run it on a study of the stamped commit.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from xstilts.config import Params, load_params

# A profile: the commands that run it, and the cells its params must list.
QUICK_OVERRIDES = {"intermediate.tasks": ["none", "mnli", "squad"],
                   "finetune.targets": ["xnli", "udpos", "xquad"],
                   "eval.retrieval_tasks": ["tatoeba"]}
QUICK = ["dvc", "exp", "run", "--force",
         *[a for k, v in QUICK_OVERRIDES.items() for a in ("-S", f"{k}=[{','.join(v)}]")]]
CLIP_SEEDS = [0, 1, 2]  # the comparison's interval is over seeds
PROFILES = {
    "quick": [QUICK],
    "matrix": [["dvc", "repro", "--force"]],
    # The research question on quick's cells: both encoders, then `compare` (the workspace
    # ends as the CLIP experiment, whose report the page shows).
    "clip": [[*QUICK, "-S", f"encoder={encoder}", "-S", f"seeds={CLIP_SEEDS}".replace(" ", "")]
             for encoder in ("xlmr", "clip")]
            + [[sys.executable, "-m", "xstilts.stages", "compare", "--intermediate", "none",
                "--out", "reports/compare"]],
}
CPU_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16")  # what sets the speed
README_BLOCK = re.compile(r"(<!-- results:quick -->\n).*?(<!-- /results:quick -->)", re.S)
STAGE = re.compile(r"Running stage '([^']+)'")
PEAK = re.compile(r"\[xstilts\] (\S+): .* peak RSS (\d+) MiB"
                  r"(?:, each worker's up to (\d+) MiB)?")
SCORES, TIMINGS = "## Results", "## Time and memory per stage"


@dataclass
class StageTime:
    stage: str
    seconds: float = 0.0
    peak_mib: int | None = None
    worker_mib: int | None = None


def timed_run(cmd: list[str], cwd: Path | None = None) -> tuple[list[StageTime], float]:
    """Run a DVC command, echoing its log, and time each stage between DVC's "Running
    stage" lines (interpreter start included); peak memory comes from each stage's closing
    line. Returns the stages and the total wall seconds; a failed command ends the process."""
    rows: list[StageTime] = []
    log: list[str] = []
    start = last = time.perf_counter()
    with subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as proc:
        for line in proc.stdout:
            print(line, end="", file=sys.stderr)
            log.append(line)
            now = time.perf_counter()
            if m := STAGE.search(line):
                if rows:
                    rows[-1].seconds = now - last
                rows.append(StageTime(m.group(1)))
                last = now
            elif (m := PEAK.search(line)) and rows:
                rows[-1].peak_mib = int(m.group(2))
                rows[-1].worker_mib = int(m.group(3)) if m.group(3) else None
    if rows:
        rows[-1].seconds = time.perf_counter() - last
    if proc.returncode:
        raise SystemExit("".join(log[-30:]) + f"error: {' '.join(cmd[:3])} failed with exit "
                         f"code {proc.returncode}; nothing was published")
    return rows, time.perf_counter() - start


def timing_table(rows: list[StageTime], total: float) -> list[str]:
    lines = ["| stage | wall s | peak RSS MiB | per worker MiB |", "|---|---|---|---|"]
    lines += [f"| {r.stage} | {r.seconds:.1f} | {r.peak_mib if r.peak_mib else '-'} | "
              f"{r.worker_mib if r.worker_mib else '-'} |" for r in rows]
    peaks = [r.peak_mib for r in rows if r.peak_mib]
    return lines + ["", f"{len(rows)} stages, {total / 60:.1f} min wall, largest peak RSS "
                        f"{max(peaks, default=0)} MiB.", ""]


def machine(root: Path) -> dict[str, str]:
    """What made the numbers: commit, date, CPU, torch, precision and threads."""
    import torch

    from xstilts.stages.cli import threads
    from xstilts.train.precision import native_bf16, use_bf16

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              check=False).stdout.strip()

    commit = git("rev-parse", "--short=12", "HEAD") or "not a git checkout"
    if git("status", "--porcelain", "--untracked-files=no", "--", "src", "dvc.yaml"):
        commit += " (with uncommitted changes to src/ or dvc.yaml)"
    cpu, flags = platform.processor() or platform.machine(), set()
    info = Path("/proc/cpuinfo")
    if info.exists():
        text = info.read_text()
        if m := re.search(r"^model name\s*:\s*(.+)$", text, re.M):
            cpu = m.group(1).strip()
        if m := re.search(r"^flags\s*:\s*(.+)$", text, re.M):
            flags = set(m.group(1).split())
    train = load_params(root / "params.yaml").train
    device = torch.device("cpu")
    return {
        "commit": commit,
        "date": datetime.date.today().isoformat(),
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "CPU flags": " ".join(f for f in CPU_FLAGS if f in flags) or "none of " +
                     ", ".join(CPU_FLAGS),
        "torch kernels": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
        "precision": f"{'bf16' if use_bf16(train.bf16, device) else 'fp32'} (train.bf16: "
                     f"{train.bf16}; native bf16: {native_bf16(device)})",
        "threads": f"{threads()} per stage",
    }


def check_profile(root: Path, profile: str) -> None:
    """The finished study must be the profile's: its params list the profile's cells."""
    params, default = load_params(root / "params.yaml"), Params()
    if profile == "clip" and (params.encoder, params.seeds) != ("clip", CLIP_SEEDS):
        raise SystemExit(f"error: params.yaml: encoder {params.encoder}, seeds {params.seeds}, "
                         f"but the clip profile ends with encoder clip, seeds {CLIP_SEEDS}: run "
                         "`python -m xstilts.publish clip` first")
    for key in QUICK_OVERRIDES:
        section, name = key.split(".")
        have = getattr(getattr(params, section), name)
        value = QUICK_OVERRIDES[key] if profile != "matrix" else \
            getattr(getattr(default, section), name)
        if list(have) != list(value):
            raise SystemExit(f"error: params.yaml: {key} is {have}, but the {profile} profile "
                             f"runs {value}: run `python -m xstilts.publish {profile}` (or its "
                             f"DVC command) first")


def results_section(root: Path) -> list[str]:
    """The finished study's report, headings one level down, plots taken along."""
    report = (root / "reports" / "results.md").read_text().strip().splitlines()
    lines = [SCORES]
    for line in report[1:]:  # its title is the page's
        lines.append("#" + line if line.startswith("#") else line)
    compare = root / "reports" / "compare" / "clip_vs_xlmr.md"
    if compare.exists():
        lines += ["", "## CLIP compared with XLM-R (`reports/compare`)", ""]
        lines += ["#" + x if x.startswith("#") else x
                  for x in compare.read_text().rstrip().splitlines()[1:]]
    return lines + [""]


def shortcuts_section(root: Path) -> list[str]:
    data = root / "data" / "synthetic"
    if not data.is_dir():
        return []
    out = subprocess.run([sys.executable, str(root / "bench" / "shortcuts.py"), "--data",
                          str(data)], capture_output=True, text=True, check=True).stdout
    return ["## What answers the tasks without the skill (`bench/shortcuts.py`)", "",
            "```", out.rstrip(), "```", ""]


def render(root: Path, profile: str, stamp: dict[str, str], timings: list[str]) -> str:
    commands = [" ".join(a if re.fullmatch(r"[\w./=-]+", a) else f"'{a}'"
                         for a in cmd if a != "--force").replace(sys.executable, "python")
                for cmd in PROFILES[profile]]
    lines = [f"# Reference run: the {profile} profile", "",
             f"<!-- generated by `python -m xstilts.publish {profile}`: do not edit -->", "",
             *[f"Command: `{c}`" + ("  " if i < len(commands) - 1 else "")
               for i, c in enumerate(commands)], "",
             "| made with | |", "|---|---|", *[f"| {k} | {v} |" for k, v in stamp.items()], "",
             TIMINGS, "", *timings, *results_section(root), *shortcuts_section(root)]
    return "\n".join(lines).rstrip() + "\n"


def copy_plots(root: Path, target: Path) -> None:
    """The report's plots into ``target``, where the page's links point."""
    plots = root / "reports" / "plots"
    shutil.rmtree(target, ignore_errors=True)
    if plots.is_dir():
        shutil.copytree(plots, target)


def scores_of(text: str) -> str:
    """The part of a published page that holds scores (timings and stamp aside), without
    blank lines (layout, not scores)."""
    text = text[text.index(SCORES):] if SCORES in text else ""
    return "\n".join(line for line in text.splitlines() if line.strip())


def readme_block(root: Path, profile_page: Path) -> str:
    """The README's headline: the XTREME score and mean gap per intermediate setting."""
    headline = json.loads((root / "reports" / "headline.json").read_text())
    inters = [k.split("/", 1)[1] for k in headline if k.startswith("xtreme/")]
    page = profile_page.relative_to(root).as_posix()
    lines = ["| intermediate | " + " | ".join(f"`{i}`" for i in inters) + " |",
             "|---" * (len(inters) + 1) + "|",
             "| XTREME score | " + " | ".join(f"{headline[f'xtreme/{i}']:.1f}"
                                           for i in inters) + " |",
             "| mean gap (en - others) | " + " | ".join(
                 f"{headline[f'gap/{i}']:.1f}" if f"gap/{i}" in headline else ""
                 for i in inters) + " |", "",
             f"Generated from [{page}]({page}) by `python -m xstilts.publish quick`."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", choices=sorted(PROFILES))
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--no-run", action="store_true", help="publish the finished study")
    how.add_argument("--check", action="store_true",
                     help="compare the finished study's scores with the published page")
    parser.add_argument("--out", type=Path, help="default: docs/results/<profile>.md")
    args = parser.parse_args(argv)
    root = Path.cwd()
    if not (root / "dvc.yaml").exists():
        raise SystemExit("error: run from the repository root (no dvc.yaml here)")
    out = args.out or root / "docs" / "results" / f"{args.profile}.md"
    if args.check:
        check(root, args.profile, out)
        return
    if args.no_run:
        timings = ["Not measured: published from a finished study (`--no-run`).", ""]
    else:
        if args.profile == "matrix":  # `dvc repro` runs what params.yaml says
            check_profile(root, args.profile)
        runs = [timed_run(cmd, root) for cmd in PROFILES[args.profile]]
        timings = timing_table([row for rows, _ in runs for row in rows],
                               sum(total for _, total in runs))
    check_profile(root, args.profile)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = render(root, args.profile, machine(root), timings)
    out.write_text(text.replace("](plots/", f"]({out.stem}/plots/"))
    copy_plots(root, out.parent / out.stem / "plots")
    if args.profile == "quick" and (readme := root / "README.md").exists():
        block = readme_block(root, out)
        readme.write_text(README_BLOCK.sub(lambda m: m.group(1) + block + m.group(2),
                                           readme.read_text()))
    print(f"wrote {out.relative_to(root)}")


def check(root: Path, profile: str, page: Path) -> None:
    if not page.exists():
        raise SystemExit(f"error: {page}: nothing published yet")
    check_profile(root, profile)
    published = scores_of(page.read_text()).replace(f"]({page.stem}/plots/", "](plots/")
    finished = scores_of("\n".join(["", *results_section(root), *shortcuts_section(root)]))
    if published.rstrip() == finished.rstrip():
        print(f"{page.relative_to(root)}: every score equals the finished study's")
        return
    for n, (a, b) in enumerate(zip(published.splitlines(), finished.splitlines(),
                                   strict=False), 1):
        if a != b:
            raise SystemExit(f"error: {page.relative_to(root)} differs from the finished "
                             f"study at line {n} of its results:\n  published: {a}\n"
                             f"  finished:  {b}")
    raise SystemExit(f"error: {page.relative_to(root)}: the results differ in length")


if __name__ == "__main__":
    main()
