"""Tests of fcad_lib.evaluation.inference: one forward pass over chosen patches."""

from __future__ import annotations

import numpy as np

from fcad_lib.evaluation.inference import predict_patches
from fcad_lib.samples import Normalizer, Patches


class _MeanModel:
    """Probability = sigmoid of the channel mean: checkable by hand, batch-independent."""

    def __call__(self, x, training=False):
        return 1.0 / (1.0 + np.exp(-np.asarray(x).mean(axis=-1, keepdims=True)))


def test_predict_patches_matches_a_hand_forward_pass():
    rng = np.random.default_rng(0)
    X = rng.normal(2.0, 3.0, (5, 4, 4, 2)).astype(np.float32)
    valid = rng.random((5, 4, 4, 1)) > 0.2
    patches = Patches(X, np.zeros((5, 4, 4, 1), np.uint8), valid, np.zeros((5, 2), int),
                      ["a", "b"], ["a", "b"])
    norm = Normalizer(["a", "b"], np.array([2.0, 1.0]), np.array([3.0, 2.0]))
    prob = predict_patches(_MeanModel(), norm, patches, [4, 0, 2], batch_size=2)
    assert prob.shape == (3, 4, 4) and prob.dtype == np.float32
    for k, i in enumerate([4, 0, 2]):
        z = (X[i] - [2.0, 1.0]) / [3.0, 2.0]
        z[~valid[i, ..., 0]] = 0.0
        np.testing.assert_allclose(prob[k], 1 / (1 + np.exp(-z.mean(axis=-1))), rtol=1e-6)
