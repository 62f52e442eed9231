"""Published results: fixed schemas, provenance that matches profiles.yml, no hand-typed numbers."""

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml

from fcad_book import pipeline, publish
from fcad_book.pipeline import NotebookRun
from fcad_book.profiles import PROFILES_FILE, load_profile
from fcad_book.publish import SCHEMAS, profile_hash

RUN_COLUMNS = ["split", "seed", "pre", "rec", "f1", "kappa", "miou", "ap", "threshold",
               "best_epoch", "epochs_run", "converged", "val_ap", "test_prevalence", "ece",
               "brier", "ece_calibrated", "brier_calibrated"]
EXPECTED = {
    "comparison.csv": ["model", *RUN_COLUMNS],
    "ablation.csv": ["group", *RUN_COLUMNS],
    "balakot.csv": ["model", *RUN_COLUMNS],
    "hongkong.csv": ["label_set", "factors", "split", "fold", "pre", "rec", "f1", "kappa", "miou",
                     "ap"],
}
SCORES = {"pre": 0.5, "rec": 0.6, "f1": 0.55, "kappa": 0.4, "miou": 0.38, "ap": 0.61}


def _fake_run(run_dir: Path) -> Path:
    """The tables notebooks 05, 06, 09 and 10 write, in their own column orders."""
    run_dir.mkdir(parents=True, exist_ok=True)
    rows = [{"model": m, "tag": "", "split": s, "seed": k, "threshold": 0.4, **SCORES}
            for m in ("FCADenseNet", "threshold rule") for s in ("random", "blocked")
            for k in (0, 1)]
    pd.DataFrame(rows).to_csv(run_dir / "comparison.csv", index=False)  # no best_epoch yet
    pd.DataFrame([{**r, "model": "fcadensenet", "group": g, "best_epoch": 3, "epochs_run": 4}
                  for r in rows for g in ("RS-DR", "RS")]).to_csv(
        run_dir / "ablation.csv", index=False)
    pd.DataFrame([{**{c: r.get(c, 2) for c in EXPECTED["balakot.csv"]}, "model": r["model"]}
                  for r in rows]).to_csv(run_dir / "balakot.csv", index=False)
    pd.DataFrame([{"label_set": ls, "factors": f, "split": s, "fold": k, **SCORES}
                  for ls in ("independent", "insar_augmented",
                             "insar_augmented_tested_on_independent")
                  for f in ("with_dv", "without_dv", "dv_only") for s in ("random", "blocked")
                  for k in range(3)]).to_csv(run_dir / "hk_deformation_ablation.csv", index=False)
    pd.DataFrame([{"split": "random", "A": "FCADenseNet", "B": "threshold rule",
                   "verdict": "tie"}]).to_csv(run_dir / "comparison_verdicts.csv", index=False)
    return run_dir


def _publish(run_dir: Path, results: Path, complete: bool = True) -> dict:
    record = publish.RunRecord(started="2026-11-25T10:00:00+00:00",
                               finished="2026-11-25T11:52:00+00:00", wall_seconds=6720.0,
                               notebook_seconds={"05_model_comparison.ipynb": 3000.0},
                               complete=complete)
    return publish.publish(run_dir, results, "default", record,
                           git={"git_commit": "abc123", "git_dirty": False})


def test_published_tables_have_exactly_the_schema(tmp_path):
    results = tmp_path / "results" / "default"
    results.mkdir(parents=True)
    (results / "ablation_verdicts.csv").write_text("stale,from,an,older,run\n")
    _publish(_fake_run(tmp_path / "runs"), results)
    for name, columns in EXPECTED.items():
        assert list(pd.read_csv(results / name).columns) == columns, name
    comparison = pd.read_csv(results / "comparison.csv")
    assert comparison["best_epoch"].isna().all()  # absent in the source: NaN, not invented
    assert len(comparison) == 8
    assert pd.read_csv(results / "ablation.csv")["group"].tolist()[:2] == ["RS-DR", "RS"]
    assert pd.read_csv(results / "balakot.csv")["best_epoch"].eq(2).all()
    hk = pd.read_csv(results / "hongkong.csv")
    assert set(hk["label_set"]) == {"independent", "insar_augmented"}
    assert set(hk["factors"]) == {"with_dv", "without_dv", "dv_only"}
    held = pd.read_csv(results / "hongkong_held_out.csv")
    assert set(held["label_set"]) == {"insar_augmented_tested_on_independent"}
    assert (results / "comparison_verdicts.csv").exists()
    # a table this run did not write is not left behind from an older one
    assert not (results / "ablation_verdicts.csv").exists()
    assert not list(results.glob(".*tmp*"))


def test_provenance_names_the_run_and_the_profile_hash(tmp_path):
    results = tmp_path / "results"
    _publish(_fake_run(tmp_path / "runs"), results)
    text = (results / "provenance.json").read_text()
    prov = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in provenance.json"))
    assert set(publish.PROVENANCE_KEYS) <= set(prov)
    assert prov["profile_sha256"] == profile_hash(load_profile("default"))
    assert prov["complete"] is True
    assert prov["wall_seconds"] == 6720.0
    assert prov["notebook_seconds"] == {"05_model_comparison.ipynb": 3000.0}
    assert prov["cpu_count"] >= 1 and prov["python"].count(".") == 2
    assert prov["git_commit"] == "abc123" and prov["git_dirty"] is False
    assert re.fullmatch(r"[0-9a-f]{40}", publish.git_state()["git_commit"])

    _publish(tmp_path / "runs", results, complete=False)  # --only
    assert json.loads((results / "provenance.json").read_text())["complete"] is False
    (tmp_path / "runs" / "balakot.csv").unlink()  # a notebook did not write its table
    assert _publish(tmp_path / "runs", results)["complete"] is False
    assert not (results / "balakot.csv").exists()


def test_profile_hash_follows_the_settings_not_the_yaml_layout():
    profile = load_profile("default")
    reordered = replace(profile, parameters=dict(reversed(list(profile.parameters.items()))))
    assert profile_hash(reordered) == profile_hash(profile)
    changed = replace(profile, parameters={**profile.parameters, "epochs": 99})
    assert profile_hash(changed) != profile_hash(profile)
    # what the profile is for (flags, banner words) is not what it computes
    relabelled = replace(profile, publishes=not profile.publishes, smoke=not profile.smoke,
                         can_show="x", cannot_show="y")
    assert profile_hash(relabelled) == profile_hash(profile)
    assert profile_hash(load_profile("quick")) != profile_hash(profile)


def test_status_banner_and_staleness(tmp_path):
    results = tmp_path / "results"
    assert publish.published_status(results).banner == publish.NO_RESULTS
    assert publish.published_summary("comparison.csv", results) == (publish.NO_RESULTS, None)
    _publish(_fake_run(tmp_path / "runs"), results)
    status = publish.published_status(results)
    assert status.exists and status.complete and not status.stale
    for part in ("`abc123`", "2026-11-25 11:52 UTC", "1:52 (h:mm)", "CPU cores"):
        assert part in status.banner
    assert "STALE" not in status.banner
    profiles = yaml.safe_load(PROFILES_FILE.read_text())
    profiles["default"]["parameters"]["epochs"] += 1
    edited = tmp_path / "profiles.yml"
    edited.write_text(yaml.safe_dump(profiles))
    stale = publish.published_status(results, edited)
    assert stale.stale and "STALE" in stale.banner
    text, table = publish.published_summary("hongkong.csv", results, profile="default")
    assert "previous run" in text
    assert table.loc[("independent", "random", "with_dv"), "f1"] == "0.5500 ± 0.0000"
    assert table["folds"].eq(3).all()
    _, table = publish.published_summary("ablation.csv", results)
    assert list(table.index.names) == ["split", "group"]


def test_pipeline_publishes_default_and_only_runs_as_incomplete(monkeypatch, tmp_path):
    # the record of sittings goes to a temporary file, not to the checkout's runs/default/
    monkeypatch.setattr(pipeline, "SITTINGS_FILE", tmp_path / "sittings.json")
    calls = []
    runs = [NotebookRun(Path("05_x.ipynb"), pipeline.EXECUTED_DIR / "05_x.ipynb")]
    monkeypatch.setattr(pipeline, "plan_runs", lambda *a, **k: runs)
    monkeypatch.setattr(pipeline, "execute", lambda run: 2.5)
    monkeypatch.setattr(publish, "publish", lambda *a, **k: calls.append((a, k)))
    pipeline.main(["--profile", "default", "--no-book", "--only", "05"])
    (run_dir, results, profile, record), _ = calls.pop()
    assert results == pipeline.ROOT / "results" / "default" and profile == "default"
    assert run_dir == pipeline.ROOT / "runs" / "default"
    assert record.complete is False and record.notebook_seconds == {"05_x.ipynb": 2.5}
    assert record.started <= record.finished and record.wall_seconds >= 0
    pipeline.main(["--profile", "default", "--no-book"])
    assert calls.pop()[0][3].complete is True
    pipeline.main(["--profile", "default", "--no-book", "--no-publish"])
    pipeline.main(["--profile", "quick", "--no-book"])
    assert calls == []
    pipeline.main(["--profile", "quick", "--no-book", "--publish"])
    assert calls.pop()[0][1] == pipeline.ROOT / "results" / "quick"


needs_results = pytest.mark.skipif(
    not (publish.PUBLISHED_DIR / "provenance.json").exists(),
    reason="no results/default/ in this checkout: run "
           "`python -m fcad_book.pipeline --profile default` and commit results/default/")
_SUPERSEDED = publish.superseded_reason()
#: Freshness tests of results the code no longer computes: they wait for the next default run,
#: and meanwhile every page that shows them says SUPERSEDED (tested below).
needs_current_results = pytest.mark.skipif(
    _SUPERSEDED is not None,
    reason=f"results/default/ is marked superseded ({_SUPERSEDED}); rerun the default profile")


def test_superseded_results_are_named_so_on_every_page(tmp_path):
    results = tmp_path / "results"
    _publish(_fake_run(tmp_path / "run"), results)
    assert publish.superseded_reason(results) is None
    publish.mark_superseded(results, "the training recipe changed (issue 18)")
    assert publish.superseded_reason(results) == "the training recipe changed (issue 18)"
    status = publish.published_status(results)
    assert status.stale and "SUPERSEDED" in status.banner and "issue 18" in status.banner
    text, _ = publish.published_summary("comparison.csv", results)
    assert "SUPERSEDED" in text
    # a new publication replaces the mark
    _publish(_fake_run(tmp_path / "run"), results)
    assert publish.superseded_reason(results) is None


@needs_results
@needs_current_results
def test_committed_results_match_the_schema_and_profiles_yml():
    for name, columns in EXPECTED.items():
        frame = publish.load_published(name)
        assert frame is not None, f"results/default/{name} missing"
        assert list(frame.columns) == columns, name
        assert frame["f1"].between(0, 1).all(), name
    prov = json.loads((publish.PUBLISHED_DIR / "provenance.json").read_text())
    assert set(publish.PROVENANCE_KEYS) <= set(prov)
    assert prov["complete"] is True, "results/default/ comes from a partial (--only) run"
    assert prov["profile_sha256"] == profile_hash(load_profile("default")), (
        "profiles.yml's default profile changed since results/default/ was published: "
        "rerun the default profile or restore its settings")


#: Library code that decides the published numbers. Presentation (plots, pages, notebook
#: markdown) may change after a published run; these may not. The generated area's figure
#: lived in the generator before it moved to fcad_lib/plots/generated_area.py: a diff against
#: a run made before the move leaves it out.
RESULT_CODE = ("fcad_lib/training", "fcad_lib/evaluation", "fcad_lib/samples", "fcad_lib/models",
               "fcad_lib/data", ":(exclude)fcad_lib/data/generator/figure.py", "profiles.yml",
               "data_manifest.yml")


@needs_results
@needs_current_results
def test_published_run_used_the_result_code_of_this_checkout():
    """The code that computed results/default/ is the code here (else the results are stale)."""
    import subprocess

    commit = json.loads((publish.PUBLISHED_DIR / "provenance.json").read_text())["git_commit"]
    known = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"],
                           cwd=pipeline.ROOT, capture_output=True)
    if known.returncode != 0:
        pytest.skip(f"commit {commit[:8]} of the published run is not in this clone's history")
    changed = subprocess.run(["git", "diff", "--name-only", commit, "--", *RESULT_CODE],
                             cwd=pipeline.ROOT, capture_output=True, text=True, check=True)
    assert not changed.stdout.strip(), (
        f"result code changed since the published run ({commit[:8]}): "
        f"{changed.stdout.split()}; rerun the default profile")


#: Numbers with 3+ decimals that pages state and that are not results: the paper's Table 3/4,
#: generator constants (book/generated_area.md), timings (book/scaling.md) and example outputs of
#: the command-line tools (book/how_to_run.md). A collision with a published F1 is chance.
NOT_RESULTS = {"0.618", "0.131", "0.775", "0.005", "0.035", "0.012", "0.004", "0.006", "0.125",
               "0.127", "0.749035", "0.0264", "0.2655", "0.05671", "0.05659", "0.2625",
               "0.009",  # book/scaling.md: mean |plain - blended| of the blend figure
               "0.0107", "0.0000",  # book/how_to_run.md: fcad-train / fcad-evaluate outputs
               "0.0253", "0.0049",  # book/how_to_run.md: more of those example outputs
               # book/training_recipe.md: the recipe benchmark's AP values (recipe_choice.py)
               "0.072", "0.070", "0.089", "0.107",
               "0.013"}  # book/training_recipe.md: the test fixture's AP with BCE alone
NUMBER = re.compile(r"(?<![\d.])\d+\.\d{3,}(?!\d|\.\d)")


FENCED = re.compile(r"^```.*?^```", re.S | re.M)


def typed_results(texts: dict[str, str], f1: list[float]) -> list[str]:
    """``"<page>: <number>"`` for every 3+-decimal number equal, at its own precision, to an F1."""
    from fcad_lib.training.experiments import PAPER_TABLE3, PAPER_TABLE4

    paper = [float(v) for t in (PAPER_TABLE3, PAPER_TABLE4) for v in t.to_numpy().ravel()
             if math.isfinite(float(v))]

    def equal(number: str, values: list[float]) -> bool:
        decimals = len(number.split(".")[1])
        return any(f"{v:.{decimals}f}" == number for v in values)

    return [f"{page}: {number}" for page, text in texts.items()
            for number in NUMBER.findall(text)
            if number not in NOT_RESULTS and not equal(number, paper) and equal(number, f1)]


def _pages() -> dict[str, str]:
    # fenced blocks are transcripts of commands (e.g. a CLI's warning about 0.123 % of a
    # raster), not prose that states a result
    texts = {str(p.relative_to(pipeline.ROOT)): FENCED.sub("", p.read_text())
             for p in sorted((pipeline.ROOT / "book").glob("*.md"))}
    for p in sorted(pipeline.NOTEBOOK_DIR.glob("*.ipynb")):
        nb = nbformat.read(p, as_version=4)
        texts[p.name] = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return texts


def _published_f1() -> list[float]:
    """Every run's F1 and every mean over seeds or folds, as the pages show them."""
    values = []
    for name in EXPECTED:
        frame = publish.load_published(name)
        if frame is None:
            continue
        by = SCHEMAS[name][1][0] if name != "hongkong.csv" else "factors"
        keys = ["label_set", "split", by] if name == "hongkong.csv" else ["split", by]
        values += frame.groupby(keys)["f1"].mean().dropna().tolist()
        if name != "hongkong.csv":
            values += frame["f1"].dropna().tolist()
    return values


def test_the_scan_finds_a_typed_number():
    pages = {"page.md": "FCADenseNet reaches F1 0.7612 here, the paper 0.761; 10.1016/x"}
    assert typed_results(pages, [np.float64(0.76123)]) == ["page.md: 0.7612"]
    assert typed_results({"p": "F1 0.723."}, [0.7229]) == ["p: 0.723"]
    assert typed_results({"p": "F1 0.723."}, [0.7251]) == []
    assert typed_results({"p": "F1 0.618 (a generator constant)"}, [0.618]) == []


@needs_results
def test_no_page_types_the_published_numbers_by_hand():
    found = typed_results(_pages(), _published_f1())
    assert not found, ("numbers copied from results/default/ into page text (show them with "
                       f"fcad_book.publish.published_summary instead): {found}")
