"""The papermill pipeline: which parameters go to which notebook, and (in CI) what it produced."""

import json
import os

import nbformat
import pytest

from fcad_book import pipeline


def test_quick_plan_passes_only_declared_parameters():
    runs = pipeline.plan_runs("quick")
    names = [r.output.name for r in runs]
    notebooks = sorted(p.name for p in pipeline.NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    assert set(notebooks) <= set(names)
    assert "01_study_area_balakot.ipynb" in names
    for run in runs:
        declared = pipeline.declared_parameters(run.notebook)
        assert set(run.parameters) <= declared
        assert run.parameters.get("profile") == "quick"
    first = next(r for r in runs if r.output.name == "01_study_area.ipynb")
    assert first.parameters["area"] == "generated_quick"
    balakot = next(r for r in runs if r.output.name == "01_study_area_balakot.ipynb")
    assert balakot.parameters["area"] == "balakot"


def test_unknown_profile_is_a_clear_error():
    with pytest.raises(KeyError, match="no profile"):
        pipeline.load_profile("nope")


def test_every_notebook_has_a_parameters_cell_and_a_toc_entry():
    toc = (pipeline.ROOT / "_toc.yml").read_text()
    for nb_path in pipeline.NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, nb_path
        assert f"book/executed/{nb_path.stem}" in toc
        # notebooks are committed without outputs: the book renders papermill's copies
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), nb_path


executed = pytest.mark.skipif(
    os.environ.get("FCAD_REQUIRE_EXECUTED") != "1",
    reason="checks what `python -m fcad_book.pipeline` wrote; "
           "make test sets FCAD_REQUIRE_EXECUTED",
)


@executed
def test_executed_notebooks_have_no_errors_and_the_book_was_built():
    for run in pipeline.plan_runs("quick"):
        assert run.output.exists(), f"{run.output} was not executed"
        nb = nbformat.read(run.output, as_version=4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                assert out.get("output_type") != "error", f"{run.output.name}: {out}"
    assert (pipeline.ROOT / "_build" / "html" / "index.html").exists()
    for run in pipeline.plan_runs("quick"):
        page = pipeline.ROOT / "_build" / "html" / "book" / "executed" / f"{run.output.stem}.html"
        assert page.exists(), page


@executed
def test_quick_run_wrote_its_results():
    run_dir = pipeline.ROOT / "runs" / "quick"
    training = json.loads((run_dir / "training.json").read_text())
    for key in ("pre", "rec", "f1", "miou"):
        assert 0.0 <= training["test"][key] <= 1.0
    assert -1.0 <= training["test"]["kappa"] <= 1.0  # worse than chance is negative
    assert 0.0 < training["threshold"] < 1.0
    for name in ("comparison.csv", "ablation.csv", "model_complexity.csv",
                 "factor_analysis/vif_tol.csv", "map/object_scores.csv",
                 "map/object_scores_test_tiles.csv", "ablation_recall_by_type.csv",
                 "comparison_verdicts.csv", "ablation_verdicts.csv", "balakot.csv",
                 "balakot_objects.csv", "hk_deformation_ablation.csv", "hk_gains.csv"):
        assert (run_dir / name).exists(), name


def test_a_run_spanning_two_sittings_sums_them(tmp_path) -> None:
    from fcad_book.pipeline import Sittings

    first = Sittings(tmp_path / "sittings.json")
    first.record("2026-01-01T10:00:00+00:00", "2026-01-01T11:00:00+00:00", 3600.0,
                 {"01.ipynb": 100.0, "05.ipynb": 3500.0})
    # the first sitting was killed; the second re-executes (cached experiments: fast)
    second = Sittings(tmp_path / "sittings.json")
    second.record("2026-01-02T09:00:00+00:00", "2026-01-02T09:30:00+00:00", 1800.0,
                  {"01.ipynb": 90.0, "05.ipynb": 60.0, "06.ipynb": 1650.0})
    assert len(second.entries) == 2 and second.wall_seconds == 5400.0
    assert second.started == "2026-01-01T10:00:00+00:00"
    assert second.notebook_seconds == {"01.ipynb": 190.0, "05.ipynb": 3560.0, "06.ipynb": 1650.0}
    second.clear()
    assert Sittings(tmp_path / "sittings.json").entries == []
