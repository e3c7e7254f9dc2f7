"""The documentation states design, not measurements.

Measured figures (scores, deltas, timings, cell counts) live in files the code generates and
stamps (``docs/results/``) and in dated notes with their provenance (``docs/notes/``). README.md
and the other docs pages must not hand-type them: a typed figure goes stale the moment the code
changes. These checks read text only: no torch, no pipeline.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
GENERATED = DOCS / "results"  # written and stamped by code (python -m xstilts.publish)
NOTES = DOCS / "notes"  # dated measurement logs, each with its provenance
README_MAX_CHARS = 12_000

# Fixed facts that look like measurements. Each entry is a regex removed from a line before
# it is checked; keep the list short, and add a fact here only if it cannot change with the
# code or the machine (a pinned version, a minimum, the confidence level of an interval).
ALLOWED = [
    r"torch 2\.14\.1",  # the pinned pair (pyproject.toml)
    r"torchvision 0\.29\.1",
    r"Python ≥ 3\.10",  # requires-python
    r"\bv\d+(?:\.\d+)+",  # dataset and tool versions: SQuAD v1.1
    r"\b95 %",  # the confidence level of compare's intervals
]

# What counts as a measured figure once fenced code, inline code, link targets and the
# generated blocks are set aside.
UNITS = (
    r"%|ms|s|sec|seconds?|min|minutes?|h|hours?|days?"
    r"|[KMGT]i?B|[KMGT]iB/s|FLOP/s|[GT]FLOP/s|tokens/s|it/s"
    r"|points?|pts"
)
FIGURES = {
    "decimal number": re.compile(r"(?<![\w.])[-+−±]?\d+\.\d+"),
    "number with a unit": re.compile(rf"(?<![\w.])\d[\d,]*(?:\.\d+)?\s?(?:{UNITS})(?![\w])"),
    "speed-up factor": re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?\s?(?:x|×)(?![\w])"),
    "device-hours": re.compile(r"(?<![\w.])\d[\d,.]*\s?[\w]+-(?:GPU-)?hours?\b"),
    "interval": re.compile(r"\d\s?±|±\s?\d"),  # "X ± Y", a template, is prose
    "count of cells": re.compile(r"\b\d+ of (?:the |its |their )?\d[\d,]*\b"),
    "range of scores": re.compile(r"(?<![\w.-])\d{2,3}-\d{2,3}(?![\w.-])"),  # not 1-3, not dates
}

# Blocks that code fills in README.md: their content is generated, not typed.
GENERATED_BLOCKS = ("results:quick", "compare-experiments")

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
LINK_TARGET = re.compile(r"\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
AUTOLINK = re.compile(r"<https?://[^>]+>|https?://\S+")
COMMENT = re.compile(r"<!--.*?-->")


def checked_pages() -> list[Path]:
    """README.md and every docs page a person writes (not the generated results or the notes)."""
    pages = [README]
    for page in sorted(DOCS.rglob("*.md")):
        if GENERATED in page.parents or NOTES in page.parents:
            continue
        pages.append(page)
    return pages


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) of the lines that are prose: no fenced code, no generated block."""
    lines, in_fence, in_block = [], False, None
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if in_block:
            if f"<!-- /{in_block} -->" in line:
                in_block = None
            continue
        opened = next((b for b in GENERATED_BLOCKS if f"<!-- {b} -->" in line), None)
        if opened:
            in_block = opened
            continue
        lines.append((number, line))
    return lines


def figures_in(line: str) -> list[str]:
    """The measured-looking figures of one prose line, after code, links and allowed facts."""
    text = INLINE_CODE.sub(" ", line)
    text = LINK_TARGET.sub("]", text)
    text = AUTOLINK.sub(" ", text)
    text = COMMENT.sub(" ", text)
    for allowed in ALLOWED:
        text = re.sub(allowed, " ", text)
    found = []
    for kind, pattern in FIGURES.items():
        found += [f"{kind}: {m.group(0).strip()!r}" for m in pattern.finditer(text)]
    return found


def test_no_measured_figures_outside_results_and_notes():
    offences = []
    for page in checked_pages():
        for number, line in prose_lines(page.read_text(encoding="utf-8")):
            for figure in figures_in(line):
                offences.append(f"{page.relative_to(ROOT)}:{number}: {figure} in: {line.strip()}")
    assert not offences, (
        "measured figures belong in docs/results/ (generated) or a dated note in docs/notes/; "
        "params and commands go in `inline code`; fixed facts in ALLOWED:\n" + "\n".join(offences)
    )


@pytest.mark.parametrize(
    "line, expected",
    [
        ("the matrix took 26.3 min", 2),  # a decimal, and a number with a unit
        ("about 1.4x faster", 2),
        ("gains 4 points", 1),
        ("71 of 72 cells", 1),
        ("English ended at 52-60", 1),
        ("4.4 ± 3.5", 3),
        ("CLIP reduces the gap by X ± Y points", 0),
        ("17 A100-hours per seed", 1),
        ("Python ≥ 3.10, torch 2.14.1 with torchvision 0.29.1", 0),
        ("SQuAD v1.1 and SQuAD v2", 0),
        ("a 95 % confidence interval", 0),
        ("`world.code_switch: 0.6` of the lines", 0),
        ("see [notes](notes/2026-12-07-speed-cpu.md)", 0),
        ("layer 7 of mBERT's 12, 13 of XLM-R Large's 24", 0),
        ("phases 1-3 and 2 + 3, a note of 2026-12-07", 0),
    ],
)
def test_figure_patterns(line, expected):
    assert len(figures_in(line)) == expected, figures_in(line)


def test_prose_lines_skip_code_and_generated_blocks():
    text = "a\n```bash\n1.5 s\n```\n<!-- results:quick -->\n2.5 s\n<!-- /results:quick -->\nb"
    assert [line for _, line in prose_lines(text)] == ["a", "b"]


def test_readme_is_short():
    chars = len(README.read_text(encoding="utf-8"))
    assert chars <= README_MAX_CHARS, f"README.md: {chars} characters, at most {README_MAX_CHARS}"


def test_readme_has_the_quick_start_and_generated_blocks_in_order():
    text = README.read_text(encoding="utf-8")
    markers = [
        "<!-- quick-start -->",
        "<!-- /quick-start -->",
        "<!-- results:quick -->",
        "<!-- /results:quick -->",
        "<!-- compare-experiments -->",
        "<!-- /compare-experiments -->",
    ]
    positions = [text.find(m) for m in markers]
    assert -1 not in positions, [m for m, p in zip(markers, positions) if p == -1]
    assert positions == sorted(positions), "markers out of order"
    quick = text[positions[0] : positions[1]]
    block = re.search(r"```bash\n(.*?)```", quick, re.S)
    assert block, "the quick-start markers must hold one ```bash block"
    assert "dvc exp run" in block.group(1) and "cat reports/results.md" in block.group(1)


def linked_pages() -> list[Path]:
    """README.md and every docs page but the generated results, whose links code writes."""
    return [README, *(p for p in sorted(DOCS.rglob("*.md")) if GENERATED not in p.parents)]


def relative_links() -> list[tuple[Path, int, Path, str]]:
    """(page, line, resolved target, anchor) of every relative link outside fenced code."""
    links = []
    for page in linked_pages():
        in_fence = False
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            if FENCE.match(line):
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            for target in LINK_TARGET.findall(INLINE_CODE.sub(" ", line)):
                path, _, anchor = target.partition("#")
                if re.match(r"^[a-z][a-z0-9+.-]*:", path):  # URLs
                    continue
                resolved = (page.parent / path).resolve() if path else page
                links.append((page, number, resolved, anchor))
    return links


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown page."""
    found, in_fence = set(), False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (heading := re.match(r"#{1,6}\s+(.*)", line)):
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            found.add(slug)
    return found


def test_relative_links_point_to_files():
    missing = [
        f"{page.relative_to(ROOT)}:{number}: {target.relative_to(ROOT)}"
        for page, number, target, _ in relative_links()
        if not target.exists() and GENERATED not in [target, *target.parents]
    ]
    assert not missing, "links to missing files:\n" + "\n".join(missing)


def test_links_into_generated_results_point_to_files():
    # docs/results/ is written by `python -m xstilts.publish`; until it has published, links
    # into it cannot resolve. Every other link is checked by the test above.
    missing = [
        f"{page.relative_to(ROOT)}:{number}: {target.relative_to(ROOT)}"
        for page, number, target, _ in relative_links()
        if GENERATED in [target, *target.parents] and not target.exists()
    ]
    if missing and not GENERATED.exists():
        pytest.skip("docs/results/ not generated yet: " + "; ".join(missing))
    assert not missing, "links to missing generated results:\n" + "\n".join(missing)


def test_links_to_headings_point_to_headings():
    broken = [
        f"{page.relative_to(ROOT)}:{number}: #{anchor} in {target.relative_to(ROOT)}"
        for page, number, target, anchor in relative_links()
        if anchor and target.suffix == ".md" and target.exists() and anchor not in anchors(target)
    ]
    assert not broken, "links to headings that do not exist:\n" + "\n".join(broken)


def test_every_note_states_its_provenance():
    notes = sorted(n for n in NOTES.glob("*.md") if n.name != "README.md")  # README: the index
    assert notes, "docs/notes/ holds no notes"
    for note in notes:
        assert re.match(r"\d{4}-\d{2}-\d{2}-[a-z0-9-]+\.md$", note.name), note.name
        head = note.read_text(encoding="utf-8")[:2000]
        assert "Provenance" in head, f"{note.relative_to(ROOT)} has no provenance header"
