"""The threshold-rule and per-pixel gradient-boosting baselines."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from fcad_lib.evaluation.baselines import best_cut, fit_threshold_rule, run_baseline
from fcad_lib.evaluation.result import result_path
from fcad_lib.samples import Patches


def test_best_cut_equals_brute_force() -> None:
    rng = np.random.default_rng(0)
    score = rng.integers(0, 20, size=300).astype(float)  # many ties
    positive = rng.random(300) < 0.3 + 0.03 * score
    cut, f1 = best_cut(score, positive)
    brute = {}
    for t in np.unique(score):
        pred = score >= t
        tp = np.sum(pred & positive)
        brute[t] = 2 * tp / (pred.sum() + positive.sum())
    assert f1 == pytest.approx(max(brute.values()))
    assert brute[cut] == pytest.approx(f1)


def test_threshold_rule_recovers_a_planted_threshold() -> None:
    rng = np.random.default_rng(1)
    n = 5000
    x = rng.normal(size=(n, 3))
    x[:, 1] = rng.uniform(0, 10, size=n)
    positive = x[:, 1] <= 2.5  # the landslides are the low values of channel "b"
    rule = fit_threshold_rule(x, positive, ["a", "b", "c"])
    assert (rule.channel, rule.direction, rule.absolute) == ("b", "<=", False)
    assert rule.threshold == pytest.approx(x[positive, 1].max())
    assert rule.f1_fit == 1.0
    assert rule.describe().startswith("b <= 2.")


def test_threshold_rule_uses_the_magnitude_of_the_deformation_rate() -> None:
    rng = np.random.default_rng(2)
    d = rng.normal(scale=6.0, size=4000)
    rule = fit_threshold_rule(d[:, None], np.abs(d) >= 8.0, ["deformation_rate"])
    assert rule.absolute and rule.direction == ">="
    assert rule.threshold == pytest.approx(np.abs(d)[np.abs(d) >= 8.0].min())
    assert rule.predict(d[:, None], ["deformation_rate"]).tolist() == (np.abs(d) >= 8).tolist()


@pytest.fixture(scope="module")
def prepared() -> SimpleNamespace:
    """12 patches of 8 x 8: a landslide where channel 0 >= 1, blurred by noise in channel 1."""
    rng = np.random.default_rng(3)
    n, s = 12, 8
    x = rng.normal(size=(n, s, s, 2)).astype("float32")
    y = (x[..., :1] >= 1.0).astype("uint8")
    valid = np.ones((n, s, s, 1), bool)
    valid[0, :2] = False
    patches = Patches(x, y, valid, np.zeros((n, 2), int), ["deformation_rate", "slope"],
                      ["deformation_rate", "slope"])
    splits = {"train": np.arange(0, 6), "val": np.arange(6, 8), "test": np.arange(8, 12)}
    return SimpleNamespace(patches=patches, splits=splits)


@pytest.mark.parametrize("name", ["threshold_rule", "pixel_gbt"])
def test_run_baseline_scores_the_test_tiles(name: str, prepared: SimpleNamespace,
                                            tmp_path: object) -> None:
    spec = {"model": "fcadensenet", "factors": ("deformation_rate", "slope"),
            "split": "random", "seed": 0, "tag": ""}
    r = run_baseline(name, prepared, spec, run_dir=tmp_path, n_pixels=400)
    tiles = r.tile_counts
    assert tiles.shape == (4, 4)
    assert dict(zip(("tp", "fp", "fn", "tn"), tiles.sum(0).tolist(), strict=True)) \
        == r.test_counts
    assert tiles.sum() == 4 * 64 and r.model == name
    assert r.curve is None and r.bundle_dir is None and r.best_epoch is None
    test_y = prepared.patches.y[8:12]
    assert r.record["n_positive_test_px"] == int(test_y.sum())
    if name == "threshold_rule":
        # the planted rule |x0| >= 1 is not the label (x0 <= -1 is no landslide): x0 >= 1 is
        assert r.rule["channel"] == "deformation_rate" and r.rule["direction"] == ">="
        assert not r.rule["absolute"] and r.scores["f1"] == 1.0
    else:
        assert r.scores["f1"] > 0.9
    # cached at the shared path, and read back equal
    assert result_path(tmp_path, r.slug).exists()
    again = run_baseline(name, prepared, spec, run_dir=tmp_path, n_pixels=400)
    assert again.slug == r.slug and again.scores == r.scores


def test_resolution_ceiling_of_blocks_and_specks() -> None:
    from fcad_lib.evaluation.baselines import resolution_ceiling

    big = np.zeros((64, 64))
    big[16:32, 16:32] = 1  # a 16-pixel landslide: only its edges blur at 1/8 resolution
    assert resolution_ceiling(big, np.ones_like(big, bool), 8) > 0.9
    specks = np.zeros((64, 64))
    specks[3::16, 3::16] = 1  # one-pixel landslides: 1/64 of an 8 x 8 cell, lost in the mean
    assert resolution_ceiling(specks, np.ones_like(specks, bool), 8) < 0.2
    assert resolution_ceiling(specks, np.ones_like(specks, bool), 1) == 1.0
