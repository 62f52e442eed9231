"""The experiment grid of notebooks 05, 06 and 09: its runs, their labels, the cache, workers."""

import json

import pytest

from fcad_lib.evaluation.baselines import BASELINE_NAMES
from fcad_lib.evaluation.result import result_path
from fcad_lib.training import experiments
from fcad_lib.training.experiments import FACTOR_GROUPS
from fcad_lib.training.grid import data_key, grid_entries, run_grid
from tests.training.test_experiments import _stack

PARAMS = {"model_config": "tiny", "patch_size": 32, "stride": 32, "batch_size": 4, "epochs": 1,
          "steps_per_epoch": 2, "learning_rate": 1e-3, "recipe": "rare-foreground"}


def test_entries_follow_the_table_order_with_network_labels():
    entries = grid_entries(PARAMS, ["fcn", "unet"], {"RS-DR": FACTOR_GROUPS["RS-DR"]}, [0, 1])
    per_cell = 2 + len(BASELINE_NAMES)
    assert len(entries) == 2 * 2 * per_cell
    first = entries[:per_cell]
    assert [e.method for e in first] == ["fcn", "unet", *BASELINE_NAMES]
    assert [e.label for e in first[:2]] == ["FCN", "U-Net"]
    assert all(e.label is None and e.group is None for e in first[2:])  # their own labels
    assert [(e.spec.split, e.spec.seed) for e in entries[::per_cell]] == [
        ("random", 0), ("random", 1), ("blocked", 0), ("blocked", 1)]
    # a baseline shares the samples of the networks before it
    assert data_key(first[2].spec) == data_key(first[0].spec)
    assert first[0].spec.patch_size == 32 and first[0].spec.loss == "bce_dice"


def test_ablation_entries_are_labelled_by_group_and_baselines_only_where_asked():
    groups = {g: FACTOR_GROUPS[g] for g in ("RS-DR", "RS", "deformation")}
    entries = grid_entries(PARAMS, ["fcadensenet"], groups, [0], label_by="group",
                           baseline_groups=("RS-DR", "RS"), splits=("random",))
    labels = [e.label for e in entries]
    assert labels[:2] == ["RS-DR", "Threshold rule (RS-DR)"]
    assert "deformation" in labels and "Pixel GBT (deformation)" not in labels
    assert {e.group for e in entries} == set(groups)
    with pytest.raises(ValueError, match="label_by"):
        grid_entries(PARAMS, ["fcn"], groups, [0], label_by="seed")


@pytest.mark.slow
def test_grid_runs_once_then_reads_the_cache(tmp_path, monkeypatch):
    ds = _stack()
    entries = grid_entries(PARAMS, ["fcn"], {"RS-DR": FACTOR_GROUPS["RS-DR"]}, [0],
                           baselines=("threshold_rule",), splits=("random",))
    grid = run_grid(ds, entries, tmp_path, n_pixels=500)
    assert [r.label for r in grid.results] == ["FCN", "Threshold rule"]
    assert grid.data("random", 0) is grid.prepared[(None, "random", 0)]
    for entry, result in zip(entries, grid.results, strict=True):
        stored = tmp_path / "experiments" / entry.slug(500) / "result.json"
        assert result_path(tmp_path, entry.slug(500)) == stored
        assert json.loads(stored.read_text())["slug"] == result.slug
    monkeypatch.setattr(experiments.train, "train_model",
                        lambda *a, **k: pytest.fail("retrained a cached run"))
    again = run_grid(ds, entries, tmp_path, n_pixels=500)
    assert [r.slug for r in again.results] == [r.slug for r in grid.results]


@pytest.mark.slow
def test_workers_write_the_runs_that_the_grid_then_reads(tmp_path, monkeypatch):
    ds = _stack()
    entries = grid_entries(PARAMS, ["fcn", "unet"], {"RS-DR": FACTOR_GROUPS["RS-DR"]}, [0],
                           baselines=("threshold_rule",), splits=("random",))
    serial = run_grid(ds, entries, tmp_path / "serial", n_pixels=500)
    # the worker processes import the library afresh: only this process cannot train, so every
    # run must come from a worker
    monkeypatch.setattr(experiments.train, "train_model",
                        lambda *a, **k: pytest.fail("the grid trained outside its workers"))
    parallel = run_grid(ds, entries, tmp_path / "workers", n_pixels=500, workers=2,
                        progress=False)
    for a, b in zip(serial.results, parallel.results, strict=True):
        assert a.slug == b.slug and a.label == b.label
        assert a.n_patches == b.n_patches
        # the same seeds: the workers' runs are the serial ones (thread counts aside)
        assert a.scores["f1"] == pytest.approx(b.scores["f1"], abs=0.05)
