"""Tests of fcad_lib.analysis.factor_analysis: sampling, correlation, VIF / TOL, RF importance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from sklearn.linear_model import LinearRegression

from fcad_lib.analysis import factor_analysis as fa


def make_stack(seed: int = 0) -> xr.Dataset:
    """A 30 x 40 aligned stack with NaN holes and a few landslide pixels."""
    rng = np.random.default_rng(seed)
    shape = (30, 40)
    rate = rng.normal(0.0, 5.0, shape).astype(np.float32)
    elevation = rng.normal(1000.0, 100.0, shape).astype(np.float32)
    rate[:5, :5] = np.nan
    elevation[20, :] = np.nan
    label = np.zeros(shape, dtype=np.uint8)
    label[10:14, 10:16] = 1
    label[0:2, 0:2] = 1  # landslide pixels under the NaN hole must not be drawn
    valid = np.isfinite(rate) & np.isfinite(elevation)
    return xr.Dataset(
        {
            "deformation_rate": (("y", "x"), rate),
            "elevation": (("y", "x"), elevation),
            "label": (("y", "x"), label),
            "valid": (("y", "x"), valid),
        },
        coords={"y": np.arange(30.0), "x": np.arange(40.0)},
        attrs={"factors": ["deformation_rate", "elevation"], "area": "t", "resolution_m": 12.5},
    )


def test_sample_pixels_only_valid_and_counts():
    ds = make_stack()
    n_valid = int(ds["valid"].sum())
    df = fa.sample_pixels(ds, n=500, seed=1)
    assert list(df.columns) == ["deformation_rate", "elevation", "label"]
    assert len(df) == 500 and df.notna().all().all()
    assert df.attrs == {"n_valid": n_valid, "mask": "valid", "n_sampled": 500, "balanced": False}
    everything = fa.sample_pixels(ds, n=10**6)
    assert len(everything) == n_valid == everything.attrs["n_sampled"]
    assert everything["label"].sum() == 24  # the 4 labelled pixels in the hole are excluded
    pd.testing.assert_frame_equal(df, fa.sample_pixels(ds, n=500, seed=1))


def test_sample_pixels_balanced():
    df = fa.sample_pixels(make_stack(), n=40, balanced=True)
    assert (df["label"] == 1).sum() == 20 and (df["label"] == 0).sum() == 20
    capped = fa.sample_pixels(make_stack(), n=200, balanced=True)
    assert (capped["label"] == 1).sum() == 24 and (capped["label"] == 0).sum() == 100


def test_correlation_monotone_nonlinear():
    x = np.linspace(0.1, 5.0, 200)
    df = pd.DataFrame({"a": x, "b": np.exp(2 * x)})
    mats = fa.correlation_matrices(df, ["a", "b"])
    assert mats["spearman"].loc["a", "b"] == pytest.approx(1.0)
    assert mats["pearson"].loc["a", "b"] < 0.9
    assert mats["pearson"].loc["a", "a"] == pytest.approx(1.0)


def _vif_by_hand(df: pd.DataFrame, col: str) -> float:
    others = df.drop(columns=col)
    r2 = LinearRegression().fit(others, df[col]).score(others, df[col])
    return 1.0 / (1.0 - r2)


def test_vif_matches_hand_computed_and_is_one_for_independent():
    rng = np.random.default_rng(0)
    n = 2000
    a = rng.normal(50.0, 3.0, n)  # non-zero means: VIF without an intercept would be wrong
    b = rng.normal(-20.0, 2.0, n)
    c = 0.8 * a + 0.5 * b + rng.normal(0.0, 1.0, n) + 100.0
    collinear = pd.DataFrame({"a": a, "b": b, "c": c})
    table = fa.vif_table(collinear, ["a", "b", "c"])
    assert list(table.columns) == ["VIF", "TOL"]
    for col in "abc":
        assert table.loc[col, "VIF"] == pytest.approx(_vif_by_hand(collinear, col), rel=1e-8)
    assert table.loc["c", "VIF"] > 3
    np.testing.assert_allclose(table["TOL"], 1.0 / table["VIF"])

    independent = pd.DataFrame({k: rng.normal(100.0, 10.0, n) for k in "xyz"})
    vif = fa.vif_table(independent, list("xyz"))["VIF"]
    assert ((vif > 0.99) & (vif < 1.02)).all()


def test_rf_importance_ranks_informative_above_noise():
    rng = np.random.default_rng(0)
    n = 1500
    signal = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "noise": rng.normal(size=n),
            "signal": signal,
            "label": (signal + 0.3 * rng.normal(size=n) > 1.2).astype(np.uint8),
        }
    )
    imp = fa.rf_importance(df, ["noise", "signal"], n_estimators=30, seed=0)
    assert list(imp.columns) == ["gini", "gini_std", "permutation", "permutation_std"]
    assert list(imp.index) == ["signal", "noise"]  # sorted by Gini, descending
    assert imp.loc["signal", "permutation"] > imp.loc["noise", "permutation"] + 0.1
    assert imp["gini"].sum() == pytest.approx(1.0)
