"""`python -m xstilts.release --check`: the shipped encoder belongs to this study, and not to
one whose phase-0 params differ."""

import pytest
import yaml

from tiny_profile import ROOT
from world_reference import default_corpus
from xstilts import release


@pytest.fixture
def study(tmp_path, monkeypatch):
    """A workspace holding the default corpus, params.yaml and the shipped encoder."""
    corpus = tmp_path / "data" / "synthetic" / "corpus"
    corpus.mkdir(parents=True)
    for lang, lines in default_corpus().items():
        (corpus / f"{lang}.txt").write_text("\n".join(lines) + "\n")
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    (tmp_path / "assets").symlink_to(ROOT / "assets")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_passes_for_this_study(study, capsys):
    release.main(["--check"])
    assert "belongs to this study" in capsys.readouterr().out


def test_check_fails_for_other_phase_0_params(study):
    params = yaml.safe_load((study / "params.yaml").read_text())
    params["pretrain"]["steps"] = 10
    (study / "params.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(SystemExit, match="pretrain.source=train"):
        release.main(["--check"])
