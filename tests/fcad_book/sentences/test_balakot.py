"""Balakot in words: what terrain alone can do, and the reviewed network
(fcad_book.sentences.balakot)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fcad_book.sentences.balakot import review_statement, terrain_statement
from fcad_lib.predict.review import ErrorsBySide
from tests.analysis.test_real_balakot import network_result


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


def test_review_statement_says_whether_the_network_learnt():
    review = np.array([[0, 0, 1, 2], [3, 255, 0, 0]], np.uint8)
    text = review_statement(network_result(0.10, True, 10, 30), "U-Net", review, 0.71, 0.64,
                            passes=4, n_runs=12)
    assert "**U-Net** (blocked split, seed 1): of 12 network runs" in text
    assert "validation AP (0.123)" in text
    assert "It **learnt**" in text and "not learn" not in text
    assert "test AP 0.100, 5.0 x the test prevalence 0.020" in text
    assert "4.0% of the test pixels predicted landslide" in text  # (10 + 30) / 1000
    assert "AUROC of 0.71" in text and "the AUROC is 0.64" in text
    assert "non-landslide 57.1%" in text  # 4 of the 7 valid pixels
    # AP at the prevalence: chance, so not learnt, and the statement says what that means
    text = review_statement(network_result(0.02, True, 10, 30), "U-Net", review, 0.71, np.nan,
                            passes=4, n_runs=12)
    assert "did **not learn**" in text and "says little" in text
    assert "could not be computed" in text
    # collapsed (nothing predicted) or not converged: not learnt either
    for run in (network_result(0.10, True, 0, 0), network_result(0.10, False, 10, 30)):
        assert "did **not learn**" in review_statement(run, "FCN", review, 0.5, 0.5, 4, 12)


def test_review_statement_says_when_uncertainty_is_chance_within_a_side():
    review = np.array([[0, 1, 2, 3]], np.uint8)
    run = network_result(0.10, True, 10, 30)
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
