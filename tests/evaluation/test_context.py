"""Context features: smoothed neighbourhoods within each patch, and the contextual GBT."""

from __future__ import annotations

import numpy as np

from fcad_lib.evaluation.context import context_features, n_context_features


def test_context_features_shape_and_values() -> None:
    x = np.zeros((2, 16, 16, 3), dtype=np.float32)
    x[0, ..., 1] = 2.0
    f = context_features(x)
    assert f.shape == (2, 16, 16, n_context_features(3))
    per = n_context_features(3) // 3
    # a constant channel: every mean equals it and the local std is 0
    np.testing.assert_allclose(f[0, ..., per:2 * per - 1], 2.0, rtol=1e-6)
    np.testing.assert_allclose(f[0, ..., 2 * per - 1], 0.0, atol=1e-6)


def test_a_patch_features_ignore_the_other_patches() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 16, 16, 2)).astype(np.float32)
    alone = context_features(x[1:2])
    x[0] += 100.0  # a neighbour in the batch, not on the ground
    np.testing.assert_array_equal(context_features(x)[1:2], alone)
