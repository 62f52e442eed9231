"""Tests of fcad_lib.samples.normalize: the z-score of the training patches."""

from __future__ import annotations

import numpy as np
import pytest

from fcad_lib import samples
from tests.samples.stacks import FACTORS, make_stack


def test_normalizer_uses_training_statistics_only():
    ds = make_stack(height=32, width=64)
    p = samples.extract_patches(ds, FACTORS, size=16, stride=16)
    split = samples.split_random(len(p), test_fraction=0.3, val_fraction=0.0, seed=0)
    dr = p.channels.index("deformation_rate")
    p.X[split["test"], ..., dr] += 1000.0  # test patches far from the training ones
    train = p.subset(split["train"])
    norm = samples.Normalizer().fit(train)
    values = train.X[..., dr][train.valid[..., 0]]
    assert norm.mean[dr] == pytest.approx(np.nanmean(values), rel=1e-6)
    assert norm.std[dr] == pytest.approx(np.nanstd(values), rel=1e-5)
    everything = p.X[..., dr][p.valid[..., 0]]
    assert abs(norm.mean[dr] - np.nanmean(everything)) > 100
    onehot = [i for i, c in enumerate(p.channels) if c.startswith("lithology_")]
    assert (norm.mean[onehot] == 0).all() and (norm.std[onehot] == 1).all()


def test_normalizer_transform_zero_fills_masked_and_round_trips():
    p = samples.extract_patches(make_stack(), FACTORS, size=8, stride=8)
    norm = samples.Normalizer().fit(p)
    x = norm.transform(p.X, p.valid)
    assert x.dtype == np.float32 and np.isfinite(x).all()
    assert (x[~np.broadcast_to(p.valid, x.shape)] == 0).all()
    ok = p.valid[..., 0]
    assert abs(x[..., 0][ok].mean()) < 1e-4 and x[..., 0][ok].std() == pytest.approx(1, abs=1e-3)
    back = samples.Normalizer.from_dict(norm.to_dict())
    np.testing.assert_array_equal(back.transform(p.X, p.valid), x)
