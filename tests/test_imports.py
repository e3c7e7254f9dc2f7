"""Dependencies point one way: the import contracts of pyproject.toml ([tool.importlinter])
hold. They say the library never imports stages, tracking, publish or recovery, data never
imports training, no stage imports another, and no package imports a sibling that imports it
back. And modules stay small: one over 300 lines says why at its top."""

import shutil
import subprocess

from tiny_profile import ROOT


def test_import_contracts_are_kept():
    lint = shutil.which("lint-imports")
    assert lint, "lint-imports missing: pip install -e '.[dev]'"
    proc = subprocess.run([lint, "--no-logo", "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_a_long_module_says_why_at_its_top():
    for path in sorted((ROOT / "src" / "xstilts").rglob("*.py")):
        text = path.read_text()
        if text.count("\n") > 300:
            head = text.split('"""')[1] if text.startswith('"""') else ""
            assert "300-line guide" in head, f"{path.relative_to(ROOT)}: split it or say why"


def test_training_stages_stay_slim():
    for stage in ("finetune", "intermediate"):
        lines = (ROOT / "src" / "xstilts" / "stages" / f"{stage}.py").read_text().count("\n")
        assert lines <= 150, f"stages/{stage}.py: {lines} lines"
