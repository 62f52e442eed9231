"""Calibration: ECE and Brier per tile, temperature scaling, paired intervals, report tables."""

from __future__ import annotations

import numpy as np
import pytest

from fcad_lib.evaluation.calibration import (
    apply_temperature,
    fit_temperature,
    paired_calibration_bootstrap,
    reliability_table,
    tile_calibration,
)
from fcad_lib.evaluation.calibration_report import (
    calibration_intervals,
    calibration_table,
    reliability_curves,
)
from fcad_lib.evaluation.result import ExperimentResult


def _sample(n: int = 40_000, sharpen: float = 1.0, seed: int = 0):
    """Labels drawn from true probabilities; reported probabilities sharpened by ``sharpen``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(-3.0, 1.5, n)
    y = rng.random(n) < 1 / (1 + np.exp(-z))
    return 1 / (1 + np.exp(-sharpen * z)), y, rng.integers(0, 40, n)


def test_ece_is_small_when_calibrated_and_large_when_overconfident() -> None:
    p, y, t = _sample()
    good = tile_calibration(p, y, t, 40)
    bad = tile_calibration(*_sample(sharpen=3.0)[:2], t, 40)
    assert good.ece < 0.01 < bad.ece
    np.testing.assert_allclose(good.brier, np.mean((p - y) ** 2))
    table = reliability_table(good)
    assert table["count"].sum() == len(p)
    np.testing.assert_allclose(table["mean_prob"], table["frequency"], atol=0.03)


def test_temperature_scaling_undoes_a_known_sharpening() -> None:
    p, y, _ = _sample(sharpen=2.0)
    temperature = fit_temperature(p, y)
    assert temperature == pytest.approx(2.0, rel=0.1)
    np.testing.assert_allclose(apply_temperature(p, temperature), _sample()[0], atol=0.02)
    assert fit_temperature(p, np.zeros_like(y)) == 1.0  # nothing to fit on


def test_paired_interval_prefers_the_calibrated_method() -> None:
    p, y, t = _sample()
    good = tile_calibration(p, y, t, 40)
    bad = tile_calibration(_sample(sharpen=3.0)[0], y, t, 40)
    for metric in ("ece", "brier"):
        diff, low, high = paired_calibration_bootstrap([good], [bad], metric, n_boot=300)
        assert low <= diff <= high < 0
    with pytest.raises(ValueError, match="metric"):
        paired_calibration_bootstrap([good], [bad], "auc", n_boot=10)


def _result(label: str, calib, calibrated=None, seed: int = 0) -> ExperimentResult:
    detail = {"temperature": 1.5 if calibrated else None, "raw": calib.to_dict()}
    if calibrated is not None:
        detail["calibrated"] = calibrated.to_dict()
    return ExperimentResult.from_dict({
        "label": label, "spec": {"split": "random", "seed": seed, "model": label},
        "test": {"ece": calib.ece, "brier": calib.brier},
        "test_calibrated": ({"ece": calibrated.ece, "brier": calibrated.brier}
                            if calibrated else None), "calibration": detail})


def test_report_tables() -> None:
    p, y, t = _sample()
    good = tile_calibration(p, y, t, 40)
    bad = tile_calibration(_sample(sharpen=3.0)[0], y, t, 40)
    results = [_result("Net", bad, good), _result("GBT", good),
               ExperimentResult.from_dict({"label": "Rule", "spec": {"split": "random", "seed": 0},
                                           "test": {}})]
    table = calibration_table(results)
    assert set(table.index.get_level_values("method")) == {"Net", "GBT"}
    assert table.loc[("random", "Net"), "ECE"] > table.loc[("random", "Net"), "ECE calibrated"]
    intervals = calibration_intervals(results, [("Net (calibrated)", "Net"), ("Net", "GBT")],
                                      splits=("random",), n_boot=200)
    assert list(intervals["ECE: better calibrated"]) == ["A", "B"]
    assert intervals.iloc[0]["ECE A - B (95 % interval)"].startswith("-")
    curves = reliability_curves(results, "random")
    assert set(curves) == {"Net", "Net (calibrated)", "GBT"}
    assert curves["Net (calibrated)"][0].ece == pytest.approx(good.ece)
