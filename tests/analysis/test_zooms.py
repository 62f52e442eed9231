"""Tests of fcad_lib.analysis.zooms: which landslides the zooms show, and each model's map."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from fcad_lib.analysis import zooms
from fcad_lib.analysis.zooms import pick_examples, predict_zooms
from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.samples import Normalizer


def _prepared(labels: list[np.ndarray]) -> SimpleNamespace:
    y = np.stack(labels)[..., None].astype(np.uint8)
    n, size = y.shape[0], y.shape[1]
    patches = SimpleNamespace(
        X=np.zeros((n, size, size, 1), np.float32), y=y, valid=np.ones_like(y, bool),
        origins=np.arange(n)[:, None] * np.array([[0, size]]), channels=["elevation"],
    )
    return SimpleNamespace(patches=patches, splits={"test": np.arange(n)})


def test_pick_examples_prefers_whole_landslides_and_orders_sizes():
    a = np.zeros((32, 32), np.uint8)
    a[10:20, 10:20] = 1  # 100 px, inside
    a[0:3, 0:3] = 1  # 9 px, cut by the patch edge
    b = np.zeros((32, 32), np.uint8)
    b[5:7, 5:8] = 1  # 6 px, inside
    b[20:25, 20:25] = 1  # 25 px, inside
    examples = {e["name"]: e for e in pick_examples(_prepared([a, b]), margin=2)}
    assert examples["small"]["size_px"] == 6  # not the 9 px one cut by the edge
    assert examples["medium"]["size_px"] >= examples["small"]["size_px"]
    r0, r1, c0, c1 = examples["small"]["bbox"]
    assert (r0, r1, c0, c1) == (3, 9, 3, 10)


def test_pick_examples_without_landslides_is_empty():
    assert pick_examples(_prepared([np.zeros((16, 16), np.uint8)])) == []


class _ChannelModel:
    """Probability = the first channel: which patch a model saw can be read off its output."""

    def __call__(self, x, training=False):
        return np.asarray(x)[..., :1]


def test_predict_zooms_runs_each_model_on_its_own_patches(monkeypatch):
    a = np.zeros((8, 8), np.uint8)
    a[2:5, 2:5] = 1
    b = np.zeros((8, 8), np.uint8)
    b[1:3, 4:6] = 1
    data = _prepared([a, b])
    data.patches.X[:] = np.arange(2)[:, None, None, None]  # patch 1 holds 1.0
    other = _prepared([a, b])
    other.patches.X[:] = 5.0 + np.arange(2)[:, None, None, None]  # the ablation's own channels
    examples = pick_examples(data, margin=1)
    identity = SimpleNamespace(normalizer=Normalizer(["elevation"], np.zeros(1), np.ones(1)))
    loaded = []

    def fake_load(path):
        loaded.append(path)
        return _ChannelModel(), identity

    monkeypatch.setattr(zooms, "load_bundle", fake_load)
    out = predict_zooms(data, examples, {
        "M": ExperimentResult.from_dict({"bundle_dir": "m", "threshold": 0.3}),
        "N": ExperimentResult.from_dict({"bundle_dir": "n", "threshold": 0.7})},
        prepared_by_name={"N": other})
    assert loaded == [Path("m"), Path("n")] and list(out) == ["M", "N"]
    assert out["M"].threshold == 0.3 and out["N"].threshold == 0.7
    # one map per example, in their order, from the patch at each example's origin
    origins = [ex["origin"] for ex in examples]
    expected = [float(np.flatnonzero((data.patches.origins == o).all(axis=1))[0]) for o in origins]
    assert out["M"].probability.shape == (len(examples), 8, 8)
    np.testing.assert_array_equal(out["M"].probability[:, 0, 0], expected)
    np.testing.assert_array_equal(out["N"].probability[:, 0, 0], np.add(expected, 5.0))
