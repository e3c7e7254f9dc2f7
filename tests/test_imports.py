"""Dependencies point one way: the import contracts of pyproject.toml ([tool.importlinter])
hold. They say the library never imports stages, tracking or publish, data never imports
training, no stage imports another, and no package imports a sibling that imports it back."""

import shutil
import subprocess

from tiny_profile import ROOT


def test_import_contracts_are_kept():
    lint = shutil.which("lint-imports")
    assert lint, "lint-imports missing: pip install -e '.[dev]'"
    proc = subprocess.run([lint, "--no-logo", "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
