"""Balakot helpers: the results table, objects, the statements and the reviewed network."""

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
    review_statement,
    split_mask,
    terrain_statement,
    valley_window,
)
from fcad_lib.predict.review import ErrorsBySide


def test_balakot_frame_columns_and_values():
    results = [{"spec": {"split": "blocked", "seed": 1}, "threshold": 0.3, "best_epoch": 2,
                "epochs_run": 3, "test": {"pre": 0.5, "rec": 0.25, "f1": 1 / 3, "kappa": 0.3,
                                          "miou": 0.6, "ap": 0.2}},
               {"spec": {"split": "random", "seed": 0}, "threshold": 0.5, "ap": 0.1,
                "test": {"pre": 0.1, "rec": 0.1, "f1": 0.1, "kappa": 0.1, "miou": 0.5}}]
    frame = balakot_frame(results, ["FCN", "threshold rule"])
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


def test_terrain_statement_is_computed():
    frame = pd.DataFrame({
        "model": ["FCN", "rule", "FCN", "rule"], "split": ["random", "random", "blocked",
                                                            "blocked"],
        "f1": [0.2, 0.1, 0.15, 0.05], "ap": [0.05, 0.011, 0.04, 0.02]})
    objects = pd.DataFrame({"n_reference": [10, 4, 6], "n_detected": [3, 0, 3],
                            "detection_rate": [0.3, 0.0, 0.5], "n_predicted": [8, 1, 7],
                            "n_false_alarms": [5, 1, 4]}, index=["all", "small", "large"])
    text = terrain_statement(frame, objects, 0.012, "FCN")
    assert "not: rule (random)" in text  # its AP 0.011 is below the prevalence 0.012
    assert "detects 3 of 10" in text and "small 0.00 of 4" in text
    assert "0.150" in text  # best blocked F1
    text = terrain_statement(frame, objects, 0.012, "FCN", networks=["FCN"])
    assert "best network's mean AP is 0.045 (FCN, 3.8 x" in text  # (0.05 + 0.04) / 2
    assert "best baseline's 0.015 (rule)" in text  # (0.011 + 0.02) / 2 = 0.01549999...


def _run(model: str, split: str, seed: int, val_ap: float | None, test_ap: float,
         bundle: bool = True) -> dict:
    return {"spec": {"model": model, "split": split, "seed": seed},
            "val": {} if val_ap is None else {"ap": val_ap}, "test": {"ap": test_ap},
            **({"bundle_dir": f"runs/{model}_{split}_{seed}"} if bundle else {})}


def test_best_by_validation_ignores_test_scores_and_baselines():
    results = [_run("fcn", "blocked", 0, 0.02, 0.90),  # best on test: must not matter
               _run("unet", "blocked", 0, 0.05, 0.01),
               _run("unet", "blocked", 1, 0.05, 0.02),  # a tie: the first one wins
               _run("fcn", "random", 0, 0.30, 0.30),  # other split
               _run("fcn", "blocked", 2, None, 0.50),  # no validation AP
               _run("gbt", "blocked", 0, 0.40, 0.40, bundle=False)]  # a baseline
    best = best_by_validation(results, split="blocked")
    assert (best["spec"]["model"], best["spec"]["seed"]) == ("unet", 0)
    assert best_by_validation(results)["spec"]["split"] == "random"
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


def _network(ap: float, converged: bool, tp: int, fp: int) -> dict:
    # 1000 test pixels of which 20 landslide: prevalence 0.02
    return {"spec": {"split": "blocked", "seed": 1}, "val": {"ap": 0.123}, "threshold": 0.4,
            "ap": ap, "test": {"ap": ap}, "test_prevalence": 0.02, "best_epoch": 3,
            "converged": converged,
            "test_counts": {"tp": tp, "fp": fp, "fn": 20 - tp, "tn": 980 - fp}}


def test_review_statement_says_whether_the_network_learnt():
    review = np.array([[0, 0, 1, 2], [3, 255, 0, 0]], np.uint8)
    text = review_statement(_network(0.10, True, 10, 30), "U-Net", review, 0.71, 0.64,
                            passes=4, n_runs=12)
    assert "**U-Net** (blocked split, seed 1): of 12 network runs" in text
    assert "validation AP (0.123)" in text
    assert "It **learnt**" in text and "not learn" not in text
    assert "test AP 0.100, 5.0 x the test prevalence 0.020" in text
    assert "4.0% of the test pixels predicted landslide" in text  # (10 + 30) / 1000
    assert "AUROC of 0.71" in text and "the AUROC is 0.64" in text
    assert "non-landslide 57.1%" in text  # 4 of the 7 valid pixels
    # AP at the prevalence: chance, so not learnt, and the statement says what that means
    text = review_statement(_network(0.02, True, 10, 30), "U-Net", review, 0.71, np.nan,
                            passes=4, n_runs=12)
    assert "did **not learn**" in text and "says little" in text
    assert "could not be computed" in text
    # collapsed (nothing predicted) or not converged: not learnt either
    for run in (_network(0.10, True, 0, 0), _network(0.10, False, 10, 30)):
        assert "did **not learn**" in review_statement(run, "FCN", review, 0.5, 0.5, 4, 12)


def test_review_statement_says_when_uncertainty_is_chance_within_a_side():
    review = np.array([[0, 1, 2, 3]], np.uint8)
    run = _network(0.10, True, 10, 30)
    chance = ErrorsBySide(false_alarm_auroc=0.47, miss_auroc=0.52, false_alarm_share=0.987)
    text = review_statement(run, "U-Net", review, 0.99, 0.99, 4, 12, by_side=chance)
    assert "99% of the wrong pixels are false alarms" in text
    assert "mapped landslide with an AUROC of 0.47" in text and "non-landslide with 0.52" in text
    assert "Both are chance (within 0.05 of 0.5)" in text
    informative = ErrorsBySide(false_alarm_auroc=0.70, miss_auroc=0.52, false_alarm_share=0.5)
    text = review_statement(run, "U-Net", review, 0.8, 0.8, 4, 12, by_side=informative)
    assert "AUROC of 0.70" in text and "chance (within" not in text
    one_side = ErrorsBySide(false_alarm_auroc=0.5, miss_auroc=np.nan, false_alarm_share=1.0)
    text = review_statement(run, "U-Net", review, 0.8, 0.8, 4, 12, by_side=one_side)
    assert "with not computable" in text and "That is chance" in text
    assert "pooled" not in review_statement(run, "U-Net", review, 0.8, 0.8, 4, 12)
