"""Tests of fcad_lib.samples.patches: patch origins, patches, channel encoding."""

from __future__ import annotations

import numpy as np
import pytest

from fcad_lib import samples
from tests.samples.stacks import FACTORS, LITH_CODES, make_stack


def test_patch_origins_count_and_windows_inside():
    origins = samples.patch_origins((40, 50), size=16, stride=16)
    assert origins.shape == (2 * 3, 2)
    assert set(map(tuple, origins)) == {(r, c) for r in (0, 16) for c in (0, 16, 32)}
    assert (origins[:, 0] + 16 <= 40).all() and (origins[:, 1] + 16 <= 50).all()


def test_patch_origins_overlapping_stride_and_too_small():
    assert samples.patch_origins((32, 32), size=16, stride=8).shape == (9, 2)
    assert samples.patch_origins((10, 40), size=16).shape == (0, 2)


# ------------------------------------------------------------------------------ patches


def test_extract_patches_keeps_nan_and_valid_mask():
    ds = make_stack()
    p = samples.extract_patches(ds, FACTORS, size=8, stride=8, min_valid_fraction=0.0)
    assert len(p) == 5 * 6
    assert p.X.dtype == np.float32 and p.y.dtype == np.uint8 and p.valid.dtype == bool
    assert p.y.shape == p.valid.shape == (30, 8, 8, 1)
    first = int(np.flatnonzero((p.origins == [0, 0]).all(axis=1))[0])
    dr = p.channels.index("deformation_rate")
    assert np.isnan(p.X[first, 0:3, 0:5, dr]).all()  # NaN kept, never 0
    assert not p.valid[first, 0:3, 0:5, 0].any()
    assert p.valid[first, 5:, 5:, 0].all()
    # labels and values land at the window's position in the stack
    r, c = p.origins[7]
    np.testing.assert_array_equal(p.y[7, ..., 0], ds["label"].values[r : r + 8, c : c + 8])
    np.testing.assert_array_equal(
        p.X[7, ..., p.channels.index("slope")], ds["slope"].values[r : r + 8, c : c + 8]
    )
    assert p.positive.sum() == 2


def test_extract_patches_drops_mostly_invalid_windows():
    ds = make_stack()
    ds["deformation_rate"][0:8, 0:8] = np.nan
    ds["valid"][0:8, 0:8] = False
    p = samples.extract_patches(ds, FACTORS, size=8, stride=8, min_valid_fraction=0.5)
    assert len(p) == 29 and not ((p.origins == [0, 0]).all(axis=1)).any()


def test_lithology_onehot_vs_ordinal_channels():
    ds = make_stack()
    onehot = samples.extract_patches(ds, FACTORS, size=8, stride=8)
    ordinal = samples.extract_patches(ds, FACTORS, size=8, stride=8, lithology_encoding="ordinal")
    assert onehot.channels == ["deformation_rate", "elevation", "slope"] + [
        f"lithology_{c}" for c in LITH_CODES
    ]
    assert onehot.X.shape[-1] == 6 and ordinal.X.shape[-1] == 4
    assert ordinal.channels[-1] == "lithology" and onehot.lithology_codes == LITH_CODES
    oh = onehot.X[..., 3:]
    finite = np.isfinite(oh).all(axis=-1)
    np.testing.assert_array_equal(oh[finite].sum(axis=-1), 1.0)  # exactly one unit per pixel
    # the NaN-lithology pixel (10, 10) is NaN in the raw one-hot and masked
    i = int(np.flatnonzero((onehot.origins == [8, 8]).all(axis=1))[0])
    assert np.isnan(oh[i, 2, 2]).all() and not onehot.valid[i, 2, 2, 0]
    codes = np.array(LITH_CODES, dtype=np.float32)
    np.testing.assert_array_equal(codes[np.argmax(oh[finite], -1)], ordinal.X[..., 3][finite])


def test_extract_patches_default_factors_and_subset():
    ds = make_stack()
    p = samples.extract_patches(ds, size=16, stride=16)
    assert p.factors == ds.attrs["factors"]
    sub = p.subset([1, 1, 0])
    assert len(sub) == 3 and (sub.origins[0] == p.origins[1]).all()
    with pytest.raises(ValueError, match="B8"):
        samples.extract_patches(ds, ["B8"], size=8, stride=8)


# ------------------------------------------------------------------------------ splits


def test_lithology_codes_ignore_nan_and_come_sorted():
    values = np.array([[7.0, np.nan], [1.0, 3.0], [7.0, 1.0]], dtype=np.float32)
    assert samples.lithology_codes(values) == [1, 3, 7]
    assert samples.lithology_codes(np.full((2, 2), np.nan)) == []
