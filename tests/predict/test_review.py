"""The review map and the error AUROC of the uncertainty (fcad_lib.predict.review)."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from fcad_lib.predict.review import (
    REVIEW_COLOURS,
    ErrorsBySide,
    computable_sides,
    error_auroc,
    error_auroc_by_side,
    review_map,
    review_shares,
    sides_at_chance,
    uncertainty_cutoff,
    write_review,
)
from tests.predict.helpers import CRS, RES


def test_review_rule_on_every_case():
    prob = np.array([[0.9, 0.9, 0.1, 0.1, np.nan, 0.5]])
    unc = np.array([[0.01, 0.30, 0.01, 0.30, 0.1, np.nan]])
    # landslide, false alarm?, non-landslide, miss?, nodata, nodata
    np.testing.assert_array_equal(review_map(prob, unc, threshold=0.5, cutoff=0.2),
                                  [[1, 3, 0, 2, 255, 255]])
    # at the threshold and at the cutoff counts as above
    np.testing.assert_array_equal(review_map([[0.5]], [[0.2]], 0.5, 0.2), [[3]])
    u = np.arange(11, dtype=float)
    u[0] = np.nan
    assert uncertainty_cutoff(u, 0.9) == np.quantile(np.arange(1, 11), 0.9)


def _auroc_by_pairs(score: np.ndarray, positive: np.ndarray) -> float:
    """Mann-Whitney: share of (positive, negative) pairs ordered right, ties count half."""
    pos, neg = score[positive], score[~positive]
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def test_error_auroc_is_the_auroc_of_uncertainty_for_wrong_pixels():
    rng = np.random.default_rng(0)
    prob = rng.random(400)
    truth = (rng.random(400) < 0.3).astype(float)
    wrong = (prob >= 0.5) != (truth == 1)
    unc = np.round(rng.random(400) + 0.5 * wrong, 2)  # errors more uncertain, with ties
    prob[:5] = np.nan
    truth[5:10] = 255  # not labelled: left out
    keep = np.isfinite(prob) & (truth != 255)
    expected = _auroc_by_pairs(unc[keep], wrong[keep])
    assert 0.6 < expected < 0.95
    assert abs(error_auroc(prob, unc, truth, 0.5) - expected) < 1e-12
    assert np.isnan(error_auroc(np.full(4, 0.9), np.arange(4.0), np.ones(4), 0.5))


def test_error_auroc_by_side_separates_what_pooling_mixes():
    # uncertainty = the probability itself: the pooled AUROC is high because the errors are
    # the high-probability false alarms, yet within the landslide side it ranks them last
    prob = np.array([0.2, 0.3, 0.6, 0.7, 0.8, 0.9, 0.1, 0.15, np.nan])
    truth = np.array([0, 0, 0, 0, 1, 1, 1, 0, 1])  # the last pixel is nodata
    unc = prob.copy()
    wrong = np.array([0, 0, 1, 1, 0, 0, 1, 0], bool)  # threshold 0.5, nodata left out
    assert abs(error_auroc(prob, unc, truth, 0.5) - _auroc_by_pairs(unc[:8], wrong)) < 1e-12
    sides = error_auroc_by_side(prob, unc, truth, 0.5)
    above = prob[:8] >= 0.5
    # among 0.6, 0.7 (false alarms) and 0.8, 0.9 (right): every false alarm is less uncertain
    assert sides.false_alarm_auroc == _auroc_by_pairs(unc[:8][above], wrong[above]) == 0.0
    # below: the miss 0.1 against the right 0.2, 0.3, 0.15
    assert sides.miss_auroc == _auroc_by_pairs(unc[:8][~above], wrong[~above]) == 0.0
    assert sides.false_alarm_share == 2 / 3
    none_below = error_auroc_by_side(np.array([0.9, 0.8]), np.array([0.1, 0.2]),
                                     np.array([1, 0]), 0.5)
    assert none_below.false_alarm_auroc == 1.0 and np.isnan(none_below.miss_auroc)


def test_write_review_has_classes_and_colour_table(tmp_path):
    transform = Affine(RES, 0, 500_000.0, 0, -RES, 3_000_000.0)
    prob = np.array([[0.9, 0.9], [0.1, 0.1]], "float32")
    unc = np.array([[0.0, 0.5], [0.0, 0.5]], "float32")
    for name, arr in (("p.tif", prob), ("u.tif", unc)):
        with rasterio.open(tmp_path / name, "w", driver="GTiff", width=2, height=2, count=1,
                           dtype="float32", crs=CRS, transform=transform, nodata=np.nan) as d:
            d.write(arr, 1)
    path, cutoff = write_review(tmp_path / "p.tif", tmp_path / "u.tif", tmp_path / "r.tif", 0.5,
                                quantile=0.5)
    assert cutoff == 0.25
    with rasterio.open(path) as src:
        np.testing.assert_array_equal(src.read(1), [[1, 3], [0, 2]])
        assert src.nodata == 255 and src.transform == transform
        assert src.colormap(1)[2] == (*REVIEW_COLOURS[2], 255)
        assert "potential miss" in src.descriptions[0]


def test_review_shares_are_shares_of_the_valid_pixels():
    review = np.array([[0, 0, 1, 2], [3, 255, 0, 0]], "uint8")
    shares = review_shares(review)
    assert list(shares) == ["non-landslide", "landslide", "potential miss",
                            "potential false alarm"]
    assert shares["non-landslide"] == pytest.approx(4 / 7)  # the nodata pixel left out
    assert shares["potential false alarm"] == pytest.approx(1 / 7)
    assert set(review_shares(np.full((2, 2), 255, "uint8")).values()) == {0.0}


def test_sides_at_chance_needs_every_computable_side_near_one_half():
    assert sides_at_chance(ErrorsBySide(0.47, 0.52, 0.99))
    assert not sides_at_chance(ErrorsBySide(0.47, 0.56, 0.99))
    assert sides_at_chance(ErrorsBySide(0.53, float("nan"), 1.0))  # one side, and chance
    assert not sides_at_chance(ErrorsBySide(float("nan"), float("nan"), float("nan")))
    assert computable_sides(ErrorsBySide(float("nan"), 0.6, 0.0)) == (0.6,)
