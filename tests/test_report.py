"""The report: XTREME and group scores, t-intervals and gaps against hand calculation, the
checks, valid PNG plots, DVC outputs, and the stage end to end on fake metrics files."""

import csv
import json
from pathlib import Path
from types import SimpleNamespace

import matplotlib.image
import pytest
import yaml

from xstilts.data.files import task_file, write_jsonl
from xstilts.report import export, paper, plots, tables
from xstilts.report.analysis import analyse
from xstilts.report.checks import run_checks
from xstilts.report.collect import Target, collect, guessing_score, language_scores
from xstilts.report.stats import estimate, gap, rank_correlation, task_score, xtreme_scores
from xstilts.stages import report
from xstilts.tasks import FINETUNE_TARGETS, RETRIEVAL_TARGETS

ROOT = Path(__file__).resolve().parents[1]
T975_DF1 = 12.706204736174698  # Student's t, 97.5% quantile, 1 degree of freedom (tables)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def write_metrics(path: Path, task: str, metric: str, by_lang: dict[str, float], **extra):
    """Add one task's scores to a metrics file as the pipeline writes it (one file holds
    every task of a stage), with their avg and gap entries."""
    metrics = json.loads(path.read_text())["metrics"] if path.exists() else {}
    metrics.update({f"{task}/{metric}/{lang}": v for lang, v in by_lang.items()})
    metrics[f"{task}/{metric}/avg"] = sum(by_lang.values()) / len(by_lang)
    metrics[f"{task}/{metric}/gap"] = -1.0  # never read: the report recomputes it
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"from_encoder": "xlmr", "seed": 0, **extra,
                                "metrics": metrics}))


def assert_png(path: Path):
    assert path.read_bytes()[:8] == PNG_MAGIC, path
    assert matplotlib.image.imread(path).ndim == 3  # decodes as an image


# --- pure statistics --------------------------------------------------------------------

def test_estimate_is_the_t_interval():
    e = estimate([65.0, 67.0])
    assert e.mean == 66.0 and e.n == 2
    # n = 2: s / sqrt(n) = |a - b| / 2, so the half-width is t * 1.
    assert e.half_width == pytest.approx(T975_DF1 * 1.0)
    three = estimate([1.0, 2.0, 6.0])  # s = sqrt(7), t(0.975, 2) = 4.302652729911275
    assert three.half_width == pytest.approx(4.302652729911275 * 7 ** 0.5 / 3 ** 0.5)
    one = estimate([70.0])
    assert one.half_width is None and one.fmt() == "70.0"
    assert e.fmt() == "66.0 ± 12.7" and estimate([2.5]).fmt(signed=True) == "+2.5"


def test_task_score_gap_and_xtreme_with_any_names():
    scores = {"en": 80.0, "aa": 70.0, "bb": 60.0}
    assert task_score(scores) == 70.0
    assert gap(scores) == 80.0 - 65.0
    assert gap({"aa": 1.0, "bb": 2.0}) is None  # retrieval: no English
    groups = {"t1": "classification", "t2": "classification", "t3": "qa", "t4": "retrieval",
              "t5": "structured"}
    x = xtreme_scores({"t1": 80.0, "t2": 70.0, "t3": 60.0, "t4": 40.0, "t5": 50.0}, groups)
    assert x == {"overall": 60.0, "classification": 75.0, "structured": 50.0, "qa": 60.0,
                 "retrieval": 40.0}
    assert rank_correlation([1, 2], [1, 2]) is None
    assert rank_correlation([1, 2, 3], [3, 5, 9]) == pytest.approx(1.0)


def test_qa_score_is_mean_of_em_and_f1():
    metrics = {"q/exact_match/en": 0.6, "q/f1/en": 0.8, "q/em_f1/xx": 0.5}
    assert language_scores(metrics, "q", "em_f1", ["en", "xx", "yy"]) == \
        pytest.approx({"en": 70.0, "xx": 50.0})


# --- the study with any task names ---------------------------------------------------------

LANGS = ["en", "l1", "l2", "l3"]
DIST = {"en": 0.0, "l1": 0.2, "l2": 0.5, "l3": 0.8}
SPECS = {  # nine targets as in XTREME, by group
    "cls_a": ("accuracy", "classification"), "cls_b": ("accuracy", "classification"),
    "tag_a": ("f1", "structured"), "tag_b": ("f1", "structured"),
    "qa_a": ("em_f1", "qa"), "qa_b": ("em_f1", "qa"), "qa_c": ("em_f1", "qa"),
    "ret_a": ("accuracy", "retrieval"), "ret_b": ("f1", "retrieval")}
BONUS = {"none": 0.0, "aa": 0.02, "squad": 0.05, "multi": 0.06}  # retrieval gains x4


def fake_value(inter, target, seed, lang):
    group = SPECS[target][1]
    bonus = BONUS[inter] * (4 if group == "retrieval" else 1)
    return 0.8 - 0.3 * DIST[lang] + bonus + 0.01 * seed


@pytest.fixture(scope="module")
def fake_study(tmp_path_factory):
    root = tmp_path_factory.mktemp("fake")
    fin, ret = root / "finetune", root / "retrieval"
    for inter in BONUS:
        for seed in (0, 1):
            for target, (metric, group) in SPECS.items():
                langs = [lang for lang in LANGS if group != "retrieval" or lang != "en"]
                by_lang = {lang: fake_value(inter, target, seed, lang) for lang in langs}
                folder = ret if group == "retrieval" else fin
                write_metrics(folder / f"{inter}-s{seed}.json", target, metric, by_lang)
    specs = {n: SimpleNamespace(metric=m, group=g, chance=0.1) for n, (m, g) in SPECS.items()}
    fine = [n for n, (_, g) in SPECS.items() if g != "retrieval"]
    retr = [n for n, (_, g) in SPECS.items() if g == "retrieval"]
    targets, notes = collect(fin, ret, list(BONUS), fine + ["unknown"], retr, [0, 1], LANGS,
                             specs, "xlmr")
    return analyse(targets, list(BONUS), DIST), notes


def test_collect_skips_unknown_targets_with_a_note(fake_study):
    study, notes = fake_study
    assert [t.name for t in study.targets] == list(SPECS)
    assert any("`unknown`" in n and "skipped" in n for n in notes)
    assert study.targets[-1].languages == ["l1", "l2", "l3"]  # retrieval: no English


def test_xtreme_and_group_scores_by_hand(fake_study):
    study, _ = fake_study
    mean_lang = sum(0.8 - 0.3 * DIST[lang] for lang in LANGS) / 4  # 0.7
    mean_ret = sum(0.8 - 0.3 * DIST[lang] for lang in LANGS[1:]) / 3  # 0.65
    for inter, bonus in BONUS.items():
        seed_mean = 0.005  # seeds 0 and 1 add 0 and 0.01
        non_ret = 100 * (mean_lang + bonus + seed_mean)
        ret = 100 * (mean_ret + 4 * bonus + seed_mean)
        assert study.est(inter, "classification").mean == pytest.approx(non_ret)
        assert study.est(inter, "qa").mean == pytest.approx(non_ret)
        assert study.est(inter, "retrieval").mean == pytest.approx(ret)
        assert study.est(inter, "overall").mean == pytest.approx((7 * non_ret + 2 * ret) / 9)
        # Seeds differ by 1 point everywhere: half-width t * |a - b| / 2.
        assert study.est(inter, "overall").half_width == pytest.approx(T975_DF1 * 0.5)
        cell = study.cells["cls_a"][inter]
        assert cell.gap.mean == pytest.approx(100 * 0.3 * (0.2 + 0.5 + 0.8) / 3)
        assert cell.gap.half_width == pytest.approx(0.0)  # the gap is the same in both seeds
    assert study.cells["ret_a"]["none"].gap is None
    # Paired by seed, the seed offset cancels: the gain has no spread.
    gain = study.gain("squad", "retrieval")
    assert gain.mean == pytest.approx(20.0) and gain.half_width == pytest.approx(0.0)


def test_checks_state_the_findings(fake_study):
    study, _ = fake_study
    checks = {c.name: c for c in run_checks(study)}
    assert all(c.verdict == "yes" for c in checks.values()), checks
    numbers = {k: v for c in checks.values() for k, v in c.numbers.items()}
    assert numbers["all_above_chance"] is True
    assert numbers["drop_distance_rho"]["cls_a"] == pytest.approx(1.0)
    assert numbers["group_gain"]["retrieval"] == pytest.approx(4 * 3.5)  # (2 + 5) / 2 x 4
    assert numbers["multi_minus_best_single"] == pytest.approx((7 * 1 + 2 * 4) / 9, abs=1e-3)
    assert numbers["top_matches_paper"] == 1  # squad
    assert numbers["best_per_target_gain"] == pytest.approx((7 * 6 + 2 * 24) / 9, abs=1e-3)


def target(name: str, group: str, shifts: dict[str, float], langs=LANGS) -> Target:
    """A target whose cells are a fixed language profile shifted per intermediate task."""
    base = {lang: 80.0 - 30 * DIST[lang] for lang in langs}
    t = Target(name, "accuracy", group, 10.0, list(langs))
    t.per_seed = {i: [{k: v + d for k, v in base.items()}] for i, d in shifts.items()}
    return t


def test_checks_say_no_and_not_applicable():
    shifts = {"none": 0.0, "aa": -2.0, "multi": -5.0}  # intermediate training hurts
    study = analyse([target("c", "classification", shifts),
                     target("r", "retrieval", shifts, LANGS[1:])], list(shifts), DIST)
    checks = {c.name: c for c in run_checks(study)}
    assert checks["Intermediate-task training helps"].verdict == "no"
    assert checks["Top intermediate tasks include the paper's best"].verdict == "no"
    multi = checks["Multi-task at least as good as the best single task"]
    assert multi.verdict == "no" and multi.numbers["multi_minus_best_single"] == -3.0
    assert "**: NO —" in multi.line()
    no_base = analyse([target("c", "classification", {"aa": 1.0})], ["aa"], DIST)
    verdicts = {c.name: c.verdict for c in run_checks(no_base)}
    assert verdicts["Intermediate-task training helps"] == "n/a"
    assert verdicts["Multi-task at least as good as the best single task"] == "n/a"
    assert verdicts["Retrieval gains most"] == "n/a"


def test_markdown_and_plots_with_any_names(fake_study, tmp_path):
    study, notes = fake_study
    pngs = plots.draw_all(study, tmp_path)
    assert set(pngs) >= {"matrix.png", "matrix_gain.png", "drop_vs_distance.png",
                         "languages_cls_a.png", "languages_ret_b.png"}
    for name in pngs:
        assert_png(tmp_path / name)
    text = tables.render(study, run_checks(study), "xlmr", [0, 1], notes, pngs)
    assert "| `squad` |" in text and "±" in text and "paper" in text
    assert paper.NOT_BUNDLED in text


# --- the stage end to end, with registered names --------------------------------------------

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


def test_real_data_report_is_titled_so(fake_study):
    study, notes = fake_study
    text = tables.render(study, run_checks(study), "xlmr", [0, 1], notes, [], source="hf")
    assert text.startswith("# X-STILTs on real data") and "offline" not in text


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


def test_summary_is_small(fake_study):
    study, _ = fake_study
    s = export.summary(study, run_checks(study))
    assert set(s["cls_a"]["none"]) == {"score", "ci", "gap"}
    assert set(s["xtreme"]["none"]) == {"overall", "classification", "structured", "qa",
                                        "retrieval"}


def write_xnli_test(data: Path, labels_by_lang: dict[str, list[str]]) -> None:
    for lang, labels in labels_by_lang.items():
        write_jsonl(task_file(data, "xnli", "test", lang),
                    [{"sentence1": "a", "sentence2": "b", "gold_label": y} for y in labels])


def test_guessing_score_is_the_most_frequent_labels_share(tmp_path):
    write_xnli_test(tmp_path, {"en": ["entailment"] * 3 + ["neutral"],
                               "xx": ["neutral"] * 2 + ["contradiction"] * 2})
    xnli = FINETUNE_TARGETS["xnli"]
    assert guessing_score(tmp_path, xnli, ["en", "xx", "absent"]) == 75.0
    assert guessing_score(tmp_path, xnli, ["xx"]) == 50.0
    assert guessing_score(tmp_path / "nowhere", xnli, ["en"]) is None
    assert guessing_score(tmp_path, FINETUNE_TARGETS["udpos"], ["en"]) is None  # F1


def test_guessing_a_retrieval_is_one_pick_among_the_candidates(tmp_path):
    tatoeba = RETRIEVAL_TARGETS["tatoeba"]
    for lang, n in (("xx", 4), ("yy", 5)):
        write_jsonl(task_file(tmp_path, "tatoeba", "test", lang),
                    [{"source_sentence": f"s{i}", "target_sentence": f"t{i}",
                      "source_lang": "en", "target_lang": lang} for i in range(n)])
    assert guessing_score(tmp_path, tatoeba, ["en", "xx", "yy"]) == 25.0
    assert guessing_score(tmp_path, RETRIEVAL_TARGETS["bucc"], ["xx"]) is None  # F1


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
    assert "at or below chance: 6 of 12 cells (xnli 6)" in results
