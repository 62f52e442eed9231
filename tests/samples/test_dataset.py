"""Tests of fcad_lib.samples.dataset: dihedral augmentation and tf.data."""

from __future__ import annotations

import numpy as np

from fcad_lib import samples


def test_augment_keeps_image_label_weight_aligned():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 6, 2)).astype(np.float32)
    y = (x[..., :1] > 0).astype(np.float32)  # the label is a function of the image ...
    w = (x[..., 1:] > 0.5).astype(np.float32)  # ... and so is the weight
    seen = set()
    for seed in range(24):
        xa, ya, wa = (t.numpy() for t in samples.augment(x, y, w, seed=seed))
        np.testing.assert_array_equal(ya, (xa[..., :1] > 0).astype(np.float32))
        np.testing.assert_array_equal(wa, (xa[..., 1:] > 0.5).astype(np.float32))
        np.testing.assert_array_equal(np.sort(xa, axis=None), np.sort(x, axis=None))
        seen.add(xa.tobytes())
        again = samples.augment(x, y, w, seed=seed)[0].numpy()
        np.testing.assert_array_equal(again, xa)
    assert len(seen) == 8  # all dihedral transforms occur, and only those


def test_make_dataset_shapes_dtypes_and_determinism():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(10, 8, 8, 3)).astype(np.float32)
    y = (rng.random((10, 8, 8, 1)) > 0.9).astype(np.uint8)
    w = np.ones((10, 8, 8, 1), dtype=bool)
    ds = samples.make_dataset(X, y, w, batch_size=4, augment=True, seed=5)
    batches = list(ds)
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    xb, yb, wb = batches[0]
    assert xb.shape == (4, 8, 8, 3) and yb.shape == wb.shape == (4, 8, 8, 1)
    assert xb.dtype == yb.dtype == wb.dtype == "float32"
    again = list(samples.make_dataset(X, y, w, batch_size=4, augment=True, seed=5))
    np.testing.assert_array_equal(batches[0][0].numpy(), again[0][0].numpy())
    plain = next(iter(samples.make_dataset(X, y, None, batch_size=10, shuffle=False)))
    np.testing.assert_array_equal(plain[0].numpy(), X)
    assert (plain[2].numpy() == 1).all()
    rep = samples.make_dataset(X, y, w, batch_size=4, repeat=True)
    assert len(list(rep.take(7))) == 7
