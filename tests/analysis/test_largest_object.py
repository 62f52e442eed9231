"""Tests of fcad_lib.analysis.largest_object: the test AP with and without the largest landslide."""

from types import SimpleNamespace

import numpy as np
import pytest

from fcad_lib.analysis import largest_object
from fcad_lib.analysis.largest_object import (
    ap_without_largest,
    label_objects,
    largest_object_table,
    split_object_ids,
)
from fcad_lib.evaluation.result import ExperimentResult


def test_label_objects_joins_diagonal_neighbours_and_keeps_background_zero():
    label = np.zeros((6, 6), np.uint8)
    label[0, 0] = label[1, 1] = 1  # touching at a corner: one object
    label[4:6, 4:6] = 1
    objects = label_objects(label)
    assert objects[0, 0] == objects[1, 1] != 0
    assert objects[4, 4] not in (0, objects[0, 0])
    assert (objects[label == 0] == 0).all()


def test_split_object_ids_follow_the_pixel_order_of_the_split():
    objects = np.arange(64).reshape(8, 8)
    valid = np.ones((2, 4, 4, 1), bool)
    valid[1, 0, 0, 0] = False  # an invalid pixel is skipped, as in baselines.pixels
    patches = SimpleNamespace(
        valid=valid, origins=np.array([[0, 0], [4, 4]]),
        subset=lambda idx: SimpleNamespace(valid=valid[idx],
                                           origins=np.array([[0, 0], [4, 4]])[idx]))
    data = SimpleNamespace(patches=patches, splits={"test": np.array([0, 1])})
    ids = split_object_ids(data, objects)
    assert ids.shape == (31,)
    assert list(ids[:4]) == [0, 1, 2, 3]  # first tile, first row
    assert ids[16] == objects[4, 5]  # second tile starts after its invalid corner


def test_ap_without_largest_leaves_out_only_the_largest_object():
    # object 1 (large) is found by the score, object 2 (small) is missed
    object_id = np.array([1] * 8 + [2] * 2 + [0] * 10)
    positive = object_id > 0
    score = np.where(object_id == 1, 0.9, np.where(object_id == 2, 0.1, 0.5))
    out = ap_without_largest(score, positive, object_id)
    assert out["largest_object"] == 1 and out["largest_px"] == 8
    assert out["share"] == pytest.approx(0.8)
    assert out["ap"] > 0.7  # the large body is ranked first
    # without it only the missed small body is left, below every background pixel
    assert out["ap_without_largest"] == pytest.approx(2 / 12, abs=0.05)


def test_ap_without_largest_without_labels_is_nan():
    out = ap_without_largest(np.ones(4), np.zeros(4, bool), np.zeros(4, int))
    assert out["largest_px"] == 0 and np.isnan(out["ap"])


def test_largest_object_table_scores_networks_and_the_pixel_gbt_only(monkeypatch):
    calls = []

    def fake_scores(result, data, batch_size):
        calls.append(result.model)
        if result.model == "threshold_rule":
            return None
        return np.array([0.9, 0.8, 0.1, 0.2]), np.array([True, True, True, False])

    monkeypatch.setattr(largest_object, "_scores", fake_scores)
    monkeypatch.setattr(largest_object, "split_object_ids",
                        lambda data, objects: np.array([1, 1, 2, 0]))
    results = [ExperimentResult({"spec": {"model": m, "split": "blocked", "seed": 0},
                                 "label": m, "ap": ap})
               for m, ap in (("unet", 11 / 12), ("pixel_gbt", 0.3), ("threshold_rule", 0.1))]
    table = largest_object_table(results, lambda split, seed: None, np.zeros((2, 2), int))
    assert calls == ["unet", "pixel_gbt", "threshold_rule"]
    assert list(table["method"]) == ["unet", "pixel_gbt"]
    assert (table["largest_px"] == 2).all()
    # ranked: 0.9 +, 0.8 +, 0.2 -, 0.1 +; without object 1: 0.2 -, 0.1 +
    assert table["ap"].iloc[0] == pytest.approx(11 / 12)
    assert table["ap_without_largest"].iloc[0] == pytest.approx(0.5)
    # the recomputed AP is checked against the run's own
    assert list(table["ap_matches_run"]) == [True, False]
