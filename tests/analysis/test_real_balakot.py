"""Balakot helpers: the results table, objects, the numbers behind the statements and the
reviewed network."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine

from fcad_lib.analysis.real_balakot import (
    BALAKOT_COLUMNS,
    balakot_frame,
    best_by_validation,
    objects_in_region,
    review_facts,
    split_mask,
    terrain_evidence,
    valley_window,
)
from fcad_lib.evaluation.result import ExperimentResult


def test_balakot_frame_columns_and_values():
    results = [{"spec": {"split": "blocked", "seed": 1}, "threshold": 0.3, "best_epoch": 2,
                "epochs_run": 3, "test": {"pre": 0.5, "rec": 0.25, "f1": 1 / 3, "kappa": 0.3,
                                          "miou": 0.6, "ap": 0.2}},
               {"spec": {"split": "random", "seed": 0}, "threshold": 0.5, "ap": 0.1,
                "test": {"pre": 0.1, "rec": 0.1, "f1": 0.1, "kappa": 0.1, "miou": 0.5}}]
    frame = balakot_frame([ExperimentResult.from_dict(r) for r in results],
                          ["FCN", "threshold rule"])
    assert tuple(frame.columns) == BALAKOT_COLUMNS
    assert frame.loc[0, "f1"] == 1 / 3 and frame.loc[1, "ap"] == 0.1  # top-level ap
    assert pd.isna(frame.loc[1, "best_epoch"])


def test_objects_on_a_known_square():
    transform = Affine(10.0, 0, 0.0, 0, -10.0, 200.0)
    prob = np.zeros((20, 20), np.float32)
    prob[2:6, 2:6] = 0.9  # one predicted 40 x 40 m square matching the first slide
    prob[12:14, 12:14] = 0.9  # one false alarm
    inventory = gpd.GeoDataFrame(geometry=[shapely.box(20, 140, 60, 180),
                                           shapely.box(150, 20, 170, 40)], crs="EPSG:32643")
    region = shapely.box(0, 0, 200, 200)
    scores = objects_in_region(prob, 0.5, transform, "EPSG:32643", inventory, region)
    assert scores.loc["all", "n_reference"] == 2 and scores.loc["all", "n_detected"] == 1
    assert scores.loc["all", "n_predicted"] == 2 and scores.loc["all", "n_false_alarms"] == 1


def test_valley_window_finds_the_landslides():
    label = np.zeros((100, 100), np.uint8)
    label[70:80, 60:75] = 1
    prob = np.full(label.shape, 0.1, np.float32)
    w = valley_window(label, prob, size=30)
    assert w.row_off <= 70 and w.row_off + 30 >= 80
    assert w.col_off <= 60 and w.col_off + 30 >= 75


def test_terrain_evidence_is_computed():
    frame = pd.DataFrame({
        "model": ["FCN", "rule", "FCN", "rule"], "split": ["random", "random", "blocked",
                                                            "blocked"],
        "f1": [0.2, 0.1, 0.15, 0.05], "ap": [0.05, 0.011, 0.04, 0.02]})
    ev = terrain_evidence(frame, 0.012)
    assert [(s.split, s.best_model, s.best_f1) for s in ev.splits] == [
        ("random", "FCN", 0.2), ("blocked", "FCN", 0.15)]
    assert (ev.splits[0].ap_min, ev.splits[0].ap_max) == (0.011, 0.05)
    assert ev.below_chance == (("rule", "random"),)  # its AP 0.011 is below the prevalence
    assert ev.blocked_best_f1 == 0.15
    assert ev.best_network is None and ev.best_baseline is None  # no networks named
    ev = terrain_evidence(frame, 0.012, networks=["FCN", "absent"])
    assert ev.best_network == ("FCN", pytest.approx(0.045))  # (0.05 + 0.04) / 2
    assert ev.best_baseline == ("rule", pytest.approx(0.0155))  # (0.011 + 0.02) / 2
    assert terrain_evidence(frame, 0.012, networks=["FCN", "rule"]).best_baseline is None
    # without a blocked split the best F1 is over every split
    assert terrain_evidence(frame[frame["split"] == "random"], 0.012).blocked_best_f1 == 0.2


def _run(model: str, split: str, seed: int, val_ap: float | None, test_ap: float,
         bundle: bool = True) -> ExperimentResult:
    return ExperimentResult.from_dict({
        "spec": {"model": model, "split": split, "seed": seed},
        "val": {} if val_ap is None else {"ap": val_ap}, "test": {"ap": test_ap},
        **({"bundle_dir": f"runs/{model}_{split}_{seed}"} if bundle else {})})


def test_best_by_validation_ignores_test_scores_and_baselines():
    results = [_run("fcn", "blocked", 0, 0.02, 0.90),  # best on test: must not matter
               _run("unet", "blocked", 0, 0.05, 0.01),
               _run("unet", "blocked", 1, 0.05, 0.02),  # a tie: the first one wins
               _run("fcn", "random", 0, 0.30, 0.30),  # other split
               _run("fcn", "blocked", 2, None, 0.50),  # no validation AP
               _run("gbt", "blocked", 0, 0.40, 0.40, bundle=False)]  # a baseline
    best = best_by_validation(results, split="blocked")
    assert (best.model, best.seed) == ("unet", 0)
    assert best_by_validation(results).split == "random"
    with pytest.raises(ValueError, match="no network run of the blocked split"):
        best_by_validation(results[-2:], split="blocked")


class _Patches:
    X = np.zeros((3, 4, 4, 1))
    origins = np.array([[0, 0], [0, 4], [6, 2]])


class _Data:
    patches = _Patches()
    splits = {"train": np.array([0]), "test": np.array([1, 2])}


def test_split_mask_covers_exactly_the_split_patches():
    mask = split_mask(_Data(), "test", (10, 8))
    expected = np.zeros((10, 8), bool)
    expected[0:4, 4:8] = True
    expected[6:10, 2:6] = True
    np.testing.assert_array_equal(mask, expected)
    assert split_mask(_Data(), "train", (10, 8)).sum() == 16


def network_result(ap: float, converged: bool, tp: int, fp: int) -> ExperimentResult:
    # 1000 test pixels of which 20 landslide: prevalence 0.02
    return ExperimentResult.from_dict({
        "spec": {"split": "blocked", "seed": 1}, "val": {"ap": 0.123}, "threshold": 0.4,
        "ap": ap, "test": {"ap": ap}, "test_prevalence": 0.02, "best_epoch": 3,
        "converged": converged,
        "test_counts": {"tp": tp, "fp": fp, "fn": 20 - tp, "tn": 980 - fp}})


def test_review_facts_read_the_run():
    facts = review_facts(network_result(0.10, True, 10, 30))
    assert (facts.split, facts.seed, facts.val_ap) == ("blocked", 1, 0.123)
    assert facts.learnt and facts.converged
    assert (facts.test_ap, facts.prevalence, facts.threshold) == (0.10, 0.02, 0.4)
    assert facts.predicted_share == pytest.approx(0.04)  # (10 + 30) / 1000
    # AP at the prevalence: chance, so not learnt; collapsed or not converged: neither
    assert not review_facts(network_result(0.02, True, 10, 30)).learnt
    assert not review_facts(network_result(0.10, True, 0, 0)).learnt
    assert not review_facts(network_result(0.10, False, 10, 30)).learnt
    bare = review_facts(ExperimentResult.from_dict({"spec": {"split": "random", "seed": 0},
                                                    "test": {"ap": 0.3}}))
    assert np.isnan(bare.val_ap) and bare.test_ap == 0.3
    assert bare.predicted_share is None and bare.converged is None and bare.prevalence is None
