"""Tests of fcad_lib.samples: tiling, patches, splits, normaliser, preprocessing, augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from fcad_lib import samples

try:
    from fcad_lib.data.study_area import FACTOR_ORDER
except ImportError:  # the loader is written in parallel; the contract fixes the order
    FACTOR_ORDER = (
        "deformation_rate", "B2", "B3", "B4", "B8",
        "elevation", "slope", "aspect", "curvature", "lithology",
    )  # fmt: skip

FACTORS = ["deformation_rate", "elevation", "slope", "lithology"]
LITH_CODES = [1, 3, 7]


def make_stack(height: int = 40, width: int = 48, seed: int = 0) -> xr.Dataset:
    """A small aligned stack following the contract of ``load_study_area``."""
    rng = np.random.default_rng(seed)
    shape = (height, width)
    data = {
        "deformation_rate": rng.normal(-5.0, 10.0, shape),
        "elevation": rng.normal(1500.0, 300.0, shape),
        "slope": rng.uniform(0.0, 60.0, shape),
        "lithology": rng.choice(LITH_CODES, shape).astype(float),
    }
    data = {k: v.astype(np.float32) for k, v in data.items()}
    data["deformation_rate"][0:3, 0:5] = np.nan  # a hole of missing InSAR coherence
    data["lithology"][10, 10] = np.nan
    label = np.zeros(shape, dtype=np.uint8)
    label[4:7, 4:7] = 1
    label[25:28, 33:37] = 1
    valid = np.ones(shape, dtype=bool)
    for v in data.values():
        valid &= np.isfinite(v)
    variables = {k: (("y", "x"), v) for k, v in data.items()}
    variables["label"] = (("y", "x"), label)
    variables["valid"] = (("y", "x"), valid)
    coords = {"y": 1000.0 - 12.5 * np.arange(height), "x": 500.0 + 12.5 * np.arange(width)}
    return xr.Dataset(
        variables,
        coords=coords,
        attrs={"factors": [f for f in FACTOR_ORDER if f in data], "area": "test",
               "resolution_m": 12.5},
    )  # fmt: skip


# ------------------------------------------------------------------------------ tiling


def test_tile_origins_count_and_windows_inside():
    origins = samples.tile_origins((40, 50), size=16, stride=16)
    assert origins.shape == (2 * 3, 2)
    assert set(map(tuple, origins)) == {(r, c) for r in (0, 16) for c in (0, 16, 32)}
    assert (origins[:, 0] + 16 <= 40).all() and (origins[:, 1] + 16 <= 50).all()


def test_tile_origins_overlapping_stride_and_too_small():
    assert samples.tile_origins((32, 32), size=16, stride=8).shape == (9, 2)
    assert samples.tile_origins((10, 40), size=16).shape == (0, 2)


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


def _check_partition(split: dict[str, np.ndarray], n: int) -> None:
    parts = [split["train"], split["val"], split["test"]]
    assert sum(len(p) for p in parts) == n
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(n))


def test_split_random_proportions_disjoint_deterministic():
    split = samples.split_random(200, test_fraction=0.3, val_fraction=0.15, seed=3)
    _check_partition(split, 200)
    assert len(split["test"]) == 60
    assert len(split["val"]) == 21  # 15 % of the 140 non-test patches
    again = samples.split_random(200, seed=3)
    other = samples.split_random(200, seed=4)
    assert all(np.array_equal(split[k], again[k]) for k in split)
    assert not np.array_equal(split["test"], other["test"])


def test_split_random_stratifies_rare_positives():
    positive = np.zeros(50, dtype=bool)
    positive[[3, 17, 40]] = True
    for seed in range(5):
        split = samples.split_random(50, seed=seed, positive=positive)
        _check_partition(split, 50)
        for name in ("train", "val", "test"):
            assert positive[split[name]].sum() >= 1, name


def test_split_random_too_few_raises():
    with pytest.raises(ValueError, match="too few"):
        samples.split_random(1)
    split = samples.split_random(2)
    assert len(split["train"]) == 1 and len(split["test"]) == 1


def test_split_blocked_keeps_blocks_together():
    origins = samples.tile_origins((512, 512), size=32, stride=32)  # 16 x 16 tiles
    positive = np.zeros(len(origins), dtype=bool)
    positive[[5, 100, 200]] = True
    split = samples.split_blocked(origins, block_size_px=128, seed=1, positive=positive)
    _check_partition(split, len(origins))
    block = samples.block_ids(origins, 128)
    blocks_of = {k: set(block[v]) for k, v in split.items()}
    assert not blocks_of["train"] & blocks_of["test"]
    assert not blocks_of["train"] & blocks_of["val"]
    assert not blocks_of["val"] & blocks_of["test"]
    # every tile of a block ends in the split of the block's first tile
    where = np.empty(len(origins), dtype=object)
    for k, v in split.items():
        where[v] = k
    for b in np.unique(block):
        assert len(set(where[block == b])) == 1
    assert 0.2 < len(split["test"]) / len(origins) < 0.4
    assert positive[split["test"]].any()
    again = samples.split_blocked(origins, 128, seed=1, positive=positive)
    assert all(np.array_equal(split[k], again[k]) for k in split)


def test_split_blocked_single_block_raises():
    origins = samples.tile_origins((64, 64), size=32, stride=32)
    with pytest.raises(ValueError, match="too few blocks"):
        samples.split_blocked(origins, block_size_px=256)


def test_oversample_positive_repeats_only_positives():
    p = samples.extract_patches(make_stack(), FACTORS, size=8, stride=8)
    idx = np.arange(len(p))
    out = samples.oversample_positive(idx, p, factor=3)
    assert len(out) == len(p) + 2 * p.positive.sum()
    counts = np.bincount(out, minlength=len(p))
    np.testing.assert_array_equal(counts, np.where(p.positive, 3, 1))


# ------------------------------------------------------------------------------ normaliser


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


# ------------------------------------------------------------------------------ preprocessing


def test_preprocessing_json_round_trip_and_encode_matches_transform(tmp_path):
    ds = make_stack()
    p = samples.extract_patches(ds, FACTORS, size=8, stride=8)
    norm = samples.Normalizer().fit(p)
    prep = samples.Preprocessing.from_patches(p, norm, threshold=0.37, model_name="fcadensenet")
    prep.to_json(tmp_path / "preprocessing.json")
    loaded = samples.Preprocessing.from_json(tmp_path / "preprocessing.json")
    assert loaded == prep and loaded.threshold == 0.37 and loaded.patch_size == 8
    i = int(np.flatnonzero((p.origins == [8, 8]).all(axis=1))[0])
    r, c = p.origins[i]
    raw = {v: ds[v].values[r : r + 8, c : c + 8] for v in ds.data_vars}  # extra keys ignored
    x, valid = loaded.encode(raw)
    np.testing.assert_array_equal(valid, p.valid[i, ..., 0])
    np.testing.assert_allclose(x, norm.transform(p.X[i], p.valid[i]), rtol=0, atol=1e-6)
    assert (x[2, 2, 3:] == 0).all()  # NaN lithology -> all-zero one-hot


def test_preprocessing_encode_names_missing_factors():
    p = samples.extract_patches(make_stack(), FACTORS, size=8, stride=8)
    prep = samples.Preprocessing.from_patches(p, samples.Normalizer().fit(p))
    with pytest.raises(ValueError, match="deformation_rate"):
        prep.encode({"elevation": np.zeros((8, 8)), "slope": np.zeros((8, 8)),
                     "lithology": np.ones((8, 8))})  # fmt: skip


# ------------------------------------------------------------------------------ tf.data


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
