"""Experiment specs, data shared by the ablations, result tables, one tiny end-to-end run."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from fcad_lib.evaluation.result import ExperimentResult, result_path
from fcad_lib.factors import FACTOR_ORDER
from fcad_lib.jsonio import dumps
from fcad_lib.training import experiments
from fcad_lib.training.experiments import (
    FACTOR_GROUPS,
    ExperimentSpec,
    channel_names,
    prepare_data,
    run_experiment,
    summary_table,
)


def _stack(size: int = 96, seed: int = 0) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    label = np.zeros((size, size), np.uint8)
    for _ in range(12):
        r, c = rng.integers(4, size - 8, 2)
        label[r:r + 5, c:c + 4] = 1
    data = {}
    for name in FACTOR_ORDER:
        values = rng.normal(size=(size, size)).astype("float32")
        if name == "deformation_rate":
            values = values - 20.0 * label  # landslides move: the channel is informative
            values[:6, :6] = np.nan  # a decorrelation hole
        if name == "lithology":
            values = rng.integers(1, 4, (size, size)).astype("float32")
        data[name] = (("y", "x"), values)
    valid = np.ones((size, size), bool)
    valid[:6, :6] = False
    data["label"] = (("y", "x"), label)
    data["valid"] = (("y", "x"), valid)
    return xr.Dataset(
        data,
        coords={"y": 1000.0 - 12.5 * np.arange(size), "x": 12.5 * np.arange(size)},
        attrs={"area": "test", "factors": list(FACTOR_ORDER), "resolution_m": 12.5},
    )


def test_slug_is_stable_and_tells_specs_apart():
    a = ExperimentSpec(model="fcadensenet", factors=FACTOR_GROUPS["RS-DR"])
    assert a.slug == ExperimentSpec(model="fcadensenet", factors=FACTOR_GROUPS["RS-DR"]).slug
    assert a.slug != ExperimentSpec(model="fcadensenet", factors=FACTOR_GROUPS["RS"]).slug
    assert a.slug != ExperimentSpec(model="fcadensenet", factors=FACTOR_GROUPS["RS-DR"],
                                    seed=1).slug
    assert a.slug.startswith("fcadensenet_random_seed0_")


def test_factor_groups_share_patches_and_splits():
    """RS and RS-DR are scored on the same test patches and pixels (a fair ablation)."""
    ds = _stack()
    full = prepare_data(ds, ExperimentSpec("fcadensenet", FACTOR_GROUPS["RS-DR"], patch_size=32,
                                           stride=32))
    rs = prepare_data(ds, ExperimentSpec("fcadensenet", FACTOR_GROUPS["RS"], patch_size=32,
                                         stride=32))
    assert "deformation_rate" in full.preprocessing.channels
    assert "deformation_rate" not in rs.preprocessing.channels
    np.testing.assert_array_equal(full.patches.origins, rs.patches.origins)
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(full.splits[split], rs.splits[split])
        np.testing.assert_array_equal(full.arrays[split][2], rs.arrays[split][2])
    assert channel_names(ds, FACTOR_GROUPS["RS-DR"]) == full.preprocessing.channels


def test_normalisation_uses_the_training_split_only():
    ds = _stack()
    data = prepare_data(ds, ExperimentSpec("unet", ("elevation",), patch_size=32, stride=32))
    train = data.patches.subset(data.splits["train"])
    values = train.X[..., 0][train.valid[..., 0]]
    assert data.preprocessing.mean[0] == pytest.approx(float(values.mean()), rel=1e-6)
    everything = data.patches.X[..., 0][data.patches.valid[..., 0]]
    assert data.preprocessing.mean[0] != pytest.approx(float(everything.mean()), rel=1e-9)


def test_summary_table_mean_and_std_over_seeds():
    frame = pd.DataFrame({"model": ["A", "A", "B"], "pre": [0.5, 0.7, 0.2], "rec": [0.1, 0.3, 0.4],
                          "f1": [0.2, 0.4, 0.3], "kappa": [0.1, 0.1, 0.1],
                          "miou": [0.5, 0.5, 0.5]})
    table = summary_table(frame, ["model"])
    assert table.loc["A", "pre"] == f"{0.6:.4f} ± {np.std([0.5, 0.7], ddof=1):.4f}"
    assert table.loc["B", "f1"] == "0.3000"  # one seed: no spread to show
    assert table.loc["A", "seeds"] == 2


def test_unknown_split_is_an_error():
    with pytest.raises(ValueError, match="unknown split"):
        prepare_data(_stack(), ExperimentSpec("unet", ("elevation",), split="nope",
                                              patch_size=32, stride=32))


@pytest.mark.slow
def test_run_experiment_end_to_end_and_reuse(tmp_path, monkeypatch):
    ds = _stack()
    spec = ExperimentSpec("fcadensenet", FACTOR_GROUPS["RS-DR"], model_config="tiny",
                          patch_size=32, stride=32, epochs=1, steps_per_epoch=2,
                          learning_rate=1e-3)
    result = run_experiment(ds, spec, tmp_path, verbose=0)
    path = tmp_path / "experiments" / spec.slug / "result.json"
    assert result_path(tmp_path, spec.slug) == path
    # the record on disk is the result's, written as every JSON file of the package
    assert path.read_text() == dumps(result.to_dict(), indent=2)
    stored = json.loads(path.read_text())
    assert stored["slug"] == result.slug == spec.slug
    for key in ("pre", "rec", "f1", "kappa", "miou"):
        assert 0.0 <= result.scores[key] <= 1.0
    # every valid test pixel is counted once, no masked one
    assert sum(result.test_counts.values()) == int(prepare_data(ds, spec).arrays["test"][2].sum())
    assert 0.0 < result.threshold < 1.0
    assert result.bundle_dir == tmp_path / "experiments" / spec.slug
    assert len(result.curve["epoch"]) == result.epochs_run
    # A finished spec is read back, not retrained.
    monkeypatch.setattr(experiments.train, "train_model",
                        lambda *a, **k: pytest.fail("retrained a finished experiment"))
    again = run_experiment(ds, spec, tmp_path)
    assert isinstance(again, ExperimentResult) and again.to_dict() == stored


def test_split_footprint_covers_exactly_the_split_tiles():
    import rioxarray  # noqa: F401
    from affine import Affine

    ds = _stack()
    transform = Affine(12.5, 0, 0, 0, -12.5, 1000.0)
    data = prepare_data(ds, ExperimentSpec("unet", ("elevation",), patch_size=32, stride=32))
    region = experiments.split_footprint(data, "test", transform)
    assert region.area == pytest.approx(len(data.splits["test"]) * (32 * 12.5) ** 2)
    r, c = data.patches.origins[data.splits["test"][0]]
    x, y = transform * (c + 16, r + 16)  # centre of a test tile
    import shapely

    assert region.contains(shapely.Point(x, y))
    r, c = data.patches.origins[data.splits["train"][0]]
    assert not region.contains(shapely.Point(*(transform * (c + 16, r + 16))))


def test_spec_round_trips_through_its_dict():
    from dataclasses import asdict

    spec = ExperimentSpec("fcn", FACTOR_GROUPS["RS"], seed=3)
    assert ExperimentSpec.from_dict(json.loads(json.dumps(asdict(spec)))) == spec


def test_spec_from_params_reads_only_the_budget():
    params = {"patch_size": 64, "stride": 32, "epochs": 3, "learning_rate": 0.01,
              "model_config": "tiny", "seed": 7, "seeds": [7], "loss": "dice", "area": "x"}
    spec = ExperimentSpec.from_params(params, model="unet", factors=["B2", "B3"], seed=2)
    assert spec == ExperimentSpec("unet", ("B2", "B3"), seed=2, patch_size=64, stride=32,
                                  epochs=3, learning_rate=0.01, model_config="tiny")
    assert spec.loss == "bce_dice"  # not a budget field: the notebook's globals cannot set it


def test_spec_from_params_applies_the_named_recipe():
    params = {"recipe": "paper", "epochs": 3, "learning_rate": 1e-4}
    spec = ExperimentSpec.from_params(params, model="unet", factors=["B2"])
    assert (spec.loss, spec.sampling, spec.lr_schedule, spec.monitor) == (
        "bce", "grid", "constant", "val_loss")
    assert spec.learning_rate == 1e-4  # the budget wins over the recipe
    # a field given by the notebook wins over the recipe
    assert ExperimentSpec.from_params(params, model="unet", factors=["B2"],
                                      loss="dice").loss == "dice"
    modern = ExperimentSpec.from_params({"recipe": "rare-foreground"}, model="unet",
                                        factors=["B2"])
    assert (modern.loss, modern.sampling, modern.monitor) == ("bce_dice", "foreground", "val_ap")
    with pytest.raises(ValueError, match="unknown training recipe"):
        ExperimentSpec.from_params({"recipe": "magic"}, model="unet", factors=["B2"])
    with pytest.raises(TypeError, match="no field"):
        ExperimentSpec.from_params(params, model="unet", factors=(), sead=2)
