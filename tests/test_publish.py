"""Stamped reference results: the page a finished study publishes, its stamp, the README's
generated block, and the check that the published scores are the study's."""

import json

import pytest
import yaml

from tiny_profile import ROOT
from xstilts import publish

RESULTS = """# X-STILTs offline study: results

## Scores: intermediate task x target

| intermediate | xnli | XTREME |
|---|---|---|
| `none` | 61.2 | 61.2 |
| `mnli` | 63.4 | 63.4 |

## Plots

![matrix.png](plots/matrix.png)
"""


@pytest.fixture
def study(tmp_path, monkeypatch):
    """A finished quick-profile study: params, report, headline, plots and a README."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    for key, value in publish.QUICK_OVERRIDES.items():
        section, name = key.split(".")
        params[section][name] = value
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    reports = tmp_path / "reports"
    (reports / "plots").mkdir(parents=True)
    (reports / "results.md").write_text(RESULTS)
    (reports / "plots" / "matrix.png").write_bytes(b"png")
    (reports / "headline.json").write_text(json.dumps(
        {"xtreme/none": 61.2, "gap/none": 20.25, "xtreme/mnli": 63.4, "gap/mnli": 18.0}))
    (tmp_path / "README.md").write_text("# x\n\n<!-- results:quick -->\nold\n"
                                        "<!-- /results:quick -->\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_publishes_a_stamped_page_and_the_readme_block(study):
    publish.main(["quick", "--no-run"])
    page = (study / "docs" / "results" / "quick.md").read_text()
    for field in ("commit", "date", "CPU", "CPU flags", "torch", "precision", "threads"):
        assert f"| {field} |" in page
    assert "| `mnli` | 63.4 | 63.4 |" in page
    assert "![matrix.png](quick/plots/matrix.png)" in page
    assert (study / "docs" / "results" / "quick" / "plots" / "matrix.png").is_file()
    readme = (study / "README.md").read_text()
    assert "old" not in readme and "| XTREME score | 61.2 | 63.4 |" in readme
    assert "| mean gap (en - others) | 20.2 | 18.0 |" in readme
    assert "docs/results/quick.md" in readme


def test_check_finds_the_published_scores_or_names_the_first_difference(study, capsys):
    publish.main(["quick", "--no-run"])
    publish.main(["quick", "--check"])
    assert "every score equals" in capsys.readouterr().out
    results = study / "reports" / "results.md"
    results.write_text(results.read_text().replace("63.4 | 63.4", "63.5 | 63.5"))
    with pytest.raises(SystemExit, match=r"differs .*\n  published: \| `mnli` \| 63.4"):
        publish.main(["quick", "--check"])


def test_refuses_a_study_of_another_profile(study):
    with pytest.raises(SystemExit, match="intermediate.tasks"):
        publish.main(["matrix", "--no-run"])


def test_the_clip_page_needs_the_clip_experiment_and_leaves_the_readme(study):
    """`publish clip` pages the CLIP experiment of three seeds (both encoders' commands named)
    and never touches the README's quick block."""
    with pytest.raises(SystemExit, match="the clip profile ends with encoder clip"):
        publish.main(["clip", "--no-run"])
    params = yaml.safe_load((study / "params.yaml").read_text())
    params["encoder"], params["seeds"] = "clip", publish.CLIP_SEEDS
    (study / "params.yaml").write_text(yaml.safe_dump(params))
    readme = (study / "README.md").read_text()
    publish.main(["clip", "--no-run"])
    page = (study / "docs" / "results" / "clip.md").read_text()
    assert "encoder=xlmr" in page and "encoder=clip" in page and "compare" in page
    assert (study / "README.md").read_text() == readme
