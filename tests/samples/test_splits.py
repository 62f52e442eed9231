"""Tests of fcad_lib.samples.splits: random and blocked splits, oversampling."""

from __future__ import annotations

import numpy as np
import pytest

from fcad_lib import samples
from tests.samples.stacks import FACTORS, make_stack


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
    origins = samples.patch_origins((512, 512), size=32, stride=32)  # 16 x 16 tiles
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
    origins = samples.patch_origins((64, 64), size=32, stride=32)
    with pytest.raises(ValueError, match="too few blocks"):
        samples.split_blocked(origins, block_size_px=256)


def test_oversample_positive_repeats_only_positives():
    p = samples.extract_patches(make_stack(), FACTORS, size=8, stride=8)
    idx = np.arange(len(p))
    out = samples.oversample_positive(idx, p, factor=3)
    assert len(out) == len(p) + 2 * p.positive.sum()
    counts = np.bincount(out, minlength=len(p))
    np.testing.assert_array_equal(counts, np.where(p.positive, 3, 1))


def test_oversample_positive_takes_a_mask_too():
    positive = np.array([False, True, False, True, True])
    out = samples.oversample_positive(np.array([4, 0, 3]), positive, factor=3)
    np.testing.assert_array_equal(out, [4, 0, 3, 4, 3, 4, 3])
    with pytest.raises(ValueError, match="factor"):
        samples.oversample_positive(np.arange(3), positive, factor=0)
