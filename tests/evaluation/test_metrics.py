"""Tests of fcad_lib.evaluation.metrics against scikit-learn, streaming and the threshold sweep."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    cohen_kappa_score,
    f1_score,
    jaccard_score,
    precision_score,
    recall_score,
)

from fcad_lib.evaluation import metrics


def _data(seed: int, shape=(6, 16, 16, 1), pos=0.2):
    rng = np.random.default_rng(seed)
    y = (rng.random(shape) < pos).astype("uint8")
    # Probabilities correlated with the labels, so the scores are not trivial.
    prob = np.clip(0.35 * y + rng.random(shape) * 0.75, 0, 1).astype("float32")
    valid = rng.random(shape) < 0.8
    return y, prob, valid


def _sklearn(y, prob, valid, threshold=0.5):
    yt, yp = y[valid].ravel(), (prob[valid] >= threshold).ravel().astype(int)
    return {
        "pre": precision_score(yt, yp, zero_division=0),
        "rec": recall_score(yt, yp, zero_division=0),
        "f1": f1_score(yt, yp, zero_division=0),
        "kappa": cohen_kappa_score(yt, yp),
        "miou": jaccard_score(yt, yp, average="macro"),
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8])
def test_scores_match_sklearn(seed, threshold):
    y, prob, valid = _data(seed)
    counts = metrics.ConfusionCounts().update(y, prob, threshold=threshold, valid=valid)
    assert counts.n == valid.sum()
    ours, ref = counts.scores(), _sklearn(y, prob, valid, threshold)
    for key in metrics.SCORES:
        assert ours[key] == pytest.approx(ref[key], abs=1e-12), key


def test_streaming_equals_one_shot():
    y, prob, valid = _data(3)
    one = metrics.ConfusionCounts().update(y, prob, valid=valid)
    streamed = metrics.ConfusionCounts()
    parts = [metrics.ConfusionCounts() for _ in range(3)]
    for i, idx in enumerate(np.array_split(np.arange(len(y)), 4)):
        streamed.update(y[idx], prob[idx], valid=valid[idx])
        parts[i % 3].update(y[idx], prob[idx], valid=valid[idx])
    assert streamed == one
    assert parts[0] + parts[1] + parts[2] == one
    # Sample weights work as the mask: weight 0 = not counted.
    weights = valid.astype("float32") * 0.5
    assert metrics.ConfusionCounts().update(y, prob, valid=weights) == one


def test_zero_division_gives_zero():
    empty = metrics.ConfusionCounts().scores()
    assert all(v == 0.0 for v in empty.values())
    # No positive predicted and none present: pre/rec/f1 0, Kappa 0 (pe = 1), MIoU = 1/2.
    all_neg = metrics.ConfusionCounts(tn=10).scores()
    assert all_neg == {"pre": 0.0, "rec": 0.0, "f1": 0.0, "kappa": 0.0, "miou": 0.5}


def test_paper_formulas_by_hand():
    s = metrics.ConfusionCounts(tp=8, fp=2, fn=4, tn=86).scores()
    n = 100
    po, pe = (8 + 86) / n, ((8 + 4) * (8 + 2) + (2 + 86) * (4 + 86)) / n**2
    assert s["pre"] == pytest.approx(0.8)
    assert s["rec"] == pytest.approx(8 / 12)
    assert s["f1"] == pytest.approx(2 * 0.8 * (8 / 12) / (0.8 + 8 / 12))
    assert s["kappa"] == pytest.approx((po - pe) / (1 - pe))
    assert s["miou"] == pytest.approx(0.5 * (8 / 14 + 86 / 92))


def test_sweep_equals_direct_counts():
    y, prob, valid = _data(4)
    sweep = metrics.ThresholdSweep()
    for idx in np.array_split(np.arange(len(y)), 3):
        sweep.update(y[idx], prob[idx], valid=valid[idx])
    # Probabilities exactly on a threshold must land on the positive side in both.
    prob_edge = prob.copy()
    prob_edge[0, 0, :5, 0] = [0.3, 0.5, 0.01, 0.99, 0.0]
    sweep_edge = metrics.ThresholdSweep().update(y, prob_edge, valid)
    for k in range(1, 100):
        t = k / 100
        assert sweep.counts_at(t) == metrics.ConfusionCounts().update(y, prob, t, valid), t
        assert sweep_edge.counts_at(t) == metrics.ConfusionCounts().update(
            y, prob_edge, t, valid), t
    table = sweep.table()
    assert len(table) == 99
    best = sweep.best_threshold("f1")
    assert table.loc[best, "f1"] == pytest.approx(table["f1"].max())
    with pytest.raises(KeyError):
        sweep.counts_at(0.505)


def test_sweep_without_positives_defaults():
    y = np.zeros((2, 4, 4, 1))
    sweep = metrics.ThresholdSweep().update(y, np.full(y.shape, 0.7))
    assert sweep.best_threshold() == 0.5


class _Half:
    """Stand-in model: probability = first input channel."""

    def predict_on_batch(self, x):
        return np.asarray(x)[..., :1]


def test_evaluate_arrays_and_dataset():
    import tensorflow as tf

    y, prob, valid = _data(5)
    w = valid.astype("float32")
    res = metrics.evaluate(_Half(), (prob, y, w), thresholds=(0.5, 0.3), batch_size=4)
    for t in (0.5, 0.3):
        direct = metrics.ConfusionCounts().update(y, prob, t, valid)
        assert res[t]["tp"] == direct.tp and res[t]["tn"] == direct.tn
        assert res[t]["f1"] == pytest.approx(direct.scores()["f1"])
    ds = tf.data.Dataset.from_tensor_slices((prob, y.astype("float32"), w)).batch(4)
    assert metrics.evaluate(_Half(), ds, thresholds=(0.5, 0.3)) == res
    # Without weights every pixel counts.
    res_all = metrics.evaluate(_Half(), (prob, y))
    assert res_all[0.5]["tp"] + res_all[0.5]["fp"] + res_all[0.5]["fn"] + res_all[0.5][
        "tn"] == y.size
