"""Stage `report` end to end on fake metrics files with registered names: the headline,
summary, CSV and PNG files and the Markdown report by hand calculation, the study recorded on
the MLflow report run, one seed, a missing file, and scores at chance."""

import csv
import json
from pathlib import Path

import pytest
import yaml

from fake_metrics import T975_DF1, assert_png, write_metrics, write_xnli_test
from tiny_profile import ROOT
from xstilts.stages import report

STAGE_LANGS = ["en", "lat75", "lat50n", "cyr25"]
XNLI = {"en": 0.80, "lat75": 0.70, "lat50n": 0.60, "cyr25": 0.50}  # none, seed 0
TATOEBA = {"lat75": 0.60, "lat50n": 0.50, "cyr25": 0.40}
# (inter, seed) -> added to every language: seed 1 +0.02 on XNLI, +0.04 on Tatoeba
XNLI_SHIFT = {("none", 0): 0.0, ("none", 1): 0.02, ("mnli", 0): 0.03, ("mnli", 1): 0.05}
TATOEBA_SHIFT = {("none", 0): 0.0, ("none", 1): 0.04, ("mnli", 0): 0.10, ("mnli", 1): 0.14}


def stage_inputs(tmp_path: Path, seeds: list[int]) -> list[str]:
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["seeds"] = seeds
    params["data"]["languages"] = STAGE_LANGS
    params["intermediate"]["tasks"] = ["none", "mnli"]
    params["finetune"]["targets"] = ["xnli"]
    params["eval"]["retrieval_tasks"] = ["tatoeba"]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    data = tmp_path / "data"
    data.mkdir()
    (data / "languages.json").write_text(json.dumps(
        {code: {"distance": d, "shared": 1 - d} for code, d in
         zip(STAGE_LANGS, [0.0, 0.175, 0.41, 0.625], strict=True)}))
    for (inter, seed), shift in XNLI_SHIFT.items():
        if seed in seeds:
            write_metrics(tmp_path / "ft" / f"{inter}-s{seed}.json", "xnli", "accuracy",
                          {k: v + shift for k, v in XNLI.items()}, intermediate=inter)
            write_metrics(tmp_path / "ret" / f"{inter}-s{seed}.json", "tatoeba", "accuracy",
                          {k: v + TATOEBA_SHIFT[inter, seed] for k, v in TATOEBA.items()})
    return ["--params", str(tmp_path / "params.yaml"), "--data", str(data),
            "--finetune-metrics", str(tmp_path / "ft"), "--retrieval-metrics",
            str(tmp_path / "ret"), "--out", str(tmp_path / "reports")]


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    """The report stage records its run in the MLflow store under the test's folder."""
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))


def test_stage_end_to_end(tmp_path, capsys):
    report.main(stage_inputs(tmp_path, [0, 1]))
    out = tmp_path / "reports"
    headline = json.loads((out / "headline.json").read_text())
    assert headline == pytest.approx({
        "xtreme/none": 59.0, "xtreme/mnli": (69.0 + 62.0) / 2, "gap/none": 20.0,
        "gap/mnli": headline["gap/mnli"], "xtreme_classification/none": 66.0,
        "xtreme_classification/mnli": 69.0, "xtreme_retrieval/none": 52.0,
        "xtreme_retrieval/mnli": 62.0, "xnli/avg/none": 66.0, "xnli/avg/mnli": 69.0,
        "tatoeba/avg/none": 52.0, "tatoeba/avg/mnli": 62.0})
    summary = json.loads((out / "summary.json").read_text())
    # XNLI none: seeds 65 and 67; gap 80 - 60 = 20 in both.
    assert summary["xnli"]["none"] == pytest.approx({"score": 66.0, "ci": round(T975_DF1, 3),
                                                     "gap": 20.0})
    assert summary["xnli"]["mnli"]["score"] == pytest.approx(69.0)
    # Tatoeba none: seeds 50 and 54, no English so no gap.
    assert summary["tatoeba"]["none"] == pytest.approx({"score": 52.0,
                                                        "ci": round(T975_DF1 * 2, 3)})
    # XTREME none: seeds (65 + 50) / 2 and (67 + 54) / 2.
    assert summary["xtreme"]["none"] == pytest.approx(
        {"overall": 59.0, "classification": 66.0, "retrieval": 52.0})
    assert summary["xtreme"]["mnli"]["overall"] == pytest.approx((69.0 + 62.0) / 2)
    assert summary["checks"]["group_gain"] == pytest.approx({"classification": 3.0,
                                                             "retrieval": 10.0})
    assert summary["checks"]["all_above_chance"] is True
    rows = list(csv.DictReader((out / "matrix.csv").open()))
    assert {(r["target"], r["intermediate"]) for r in rows} >= {("xnli", "none"),
                                                               ("xtreme", "mnli")}
    assert list(csv.DictReader((out / "xtreme.csv").open()))[0]["intermediate"] == "none"
    for png in (out / "plots").iterdir():
        assert_png(png)
    assert {p.name for p in (out / "plots").iterdir()} >= {"matrix.png", "languages_xnli.png",
                                                          "drop_vs_distance.png"}
    md = (out / "results.md").read_text()
    assert "66.0 ± 12.7" in md and "real-data" in md and "Retrieval gains most**: yes" in md
    assert md.startswith("# X-STILTs offline study")
    assert "results" in capsys.readouterr().out


def test_stage_records_the_study_on_the_report_run(tmp_path):
    """The MLflow report run holds the headline metrics and the report's files, and ends the
    experiment-level run, which spans the pipeline."""
    from mlflow import MlflowClient

    report.main(stage_inputs(tmp_path, [0, 1]))
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlruns/mlflow.db")
    exp = client.get_experiment_by_name("xstilts")
    run, = client.search_runs([exp.experiment_id], "attributes.run_name = 'report'")
    headline = json.loads((tmp_path / "reports" / "headline.json").read_text())
    assert run.data.metrics == pytest.approx(headline)
    files = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"results.md", "headline.json", "summary.json", "matrix.csv", "plots"} <= files
    assert [f.path for f in client.list_artifacts(run.info.run_id, "plots")
            if f.path.endswith(".png")]
    parent = client.get_run(run.data.tags["mlflow.parentRunId"])
    assert parent.info.run_name == "workspace" and parent.info.status == "FINISHED"
    assert parent.info.end_time >= run.info.end_time


def test_stage_with_one_seed_shows_means_only(tmp_path):
    report.main(stage_inputs(tmp_path, [0]))
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert summary["xnli"]["none"] == pytest.approx({"score": 65.0, "gap": 20.0})
    assert "±" not in (tmp_path / "reports" / "results.md").read_text()


def test_stage_names_a_missing_file(tmp_path):
    args = stage_inputs(tmp_path, [0])
    (tmp_path / "ft" / "mnli-s0.json").unlink()
    with pytest.raises(FileNotFoundError, match="mnli-s0.json"):
        report.main(args)
    assert not (tmp_path / "reports").exists()


def test_scores_at_the_most_frequent_labels_share_are_not_above_chance(tmp_path):
    args = stage_inputs(tmp_path, [0])
    # Test sets where one label is 90 %: always answering it beats every XNLI score here.
    write_xnli_test(tmp_path / "data", {lang: ["neutral"] * 9 + ["entailment"]
                                        for lang in STAGE_LANGS})
    report.main(args)
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert summary["checks"]["all_above_chance"] is False
    # Every XNLI cell (2 intermediate x 3 languages) is counted; Tatoeba's 6 are above chance.
    assert summary["checks"]["cells_at_or_below_chance"] == 6
    assert summary["checks"]["non_english_cells"] == 12
    results = (tmp_path / "reports" / "results.md").read_text()
    assert "### xnli (accuracy, classification; chance 90.0)" in results
    assert "at or below chance: 6 of 12 cells (xnli 6: " in results
    assert all(f"{inter}/{lang}" in results for inter in ("none", "mnli")
               for lang in STAGE_LANGS if lang != "en")  # each cell is named
