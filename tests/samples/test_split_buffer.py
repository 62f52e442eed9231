"""The blocked split's buffer, and which stacks may be flipped and rotated."""

from __future__ import annotations

import numpy as np
import pytest

from fcad_lib.samples import augmentation_allowed, geometry_free, split_blocked

SIZE = 32
ORIGINS = np.array([(r, c) for r in range(0, 12 * SIZE, SIZE) for c in range(0, 12 * SIZE, SIZE)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_training_tile_borders_a_test_tile(seed: int) -> None:
    positive = np.random.default_rng(seed).random(len(ORIGINS)) < 0.5
    plain = split_blocked(ORIGINS, 3 * SIZE, seed=seed, positive=positive)
    buffered = split_blocked(ORIGINS, 3 * SIZE, seed=seed, positive=positive, buffer_px=SIZE)
    # the test blocks are the same; only training / validation tiles are dropped
    np.testing.assert_array_equal(plain["test"], buffered["test"])
    test_cells = {tuple(o // SIZE) for o in ORIGINS[buffered["test"]]}
    for name in ("train", "val"):
        assert set(buffered[name]) <= set(plain[name])
        for r, c in ORIGINS[buffered[name]] // SIZE:
            neighbours = {(r + dr, c + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)}
            assert not neighbours & test_cells
        # and every dropped tile did touch a test tile
        for r, c in ORIGINS[np.setdiff1d(plain[name], buffered[name])] // SIZE:
            neighbours = {(r + dr, c + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)}
            assert neighbours & test_cells


def test_buffer_zero_keeps_every_tile() -> None:
    split = split_blocked(ORIGINS, 3 * SIZE, seed=0, buffer_px=0)
    assert sum(len(v) for v in split.values()) == len(ORIGINS)
    with pytest.raises(ValueError, match="buffer_px"):
        split_blocked(ORIGINS, 3 * SIZE, buffer_px=-1)


def test_only_direction_free_stacks_are_flipped() -> None:
    assert geometry_free(["elevation", "slope", "curvature", "lithology_1"])
    for directional in ("aspect", "deformation_rate", "B4"):
        assert not geometry_free(["slope", directional])


def test_augmentation_modes() -> None:
    stack = ["deformation_rate", "slope"]
    assert not augmentation_allowed("physical", stack)
    assert augmentation_allowed("physical", ["slope"])
    assert augmentation_allowed("dihedral", stack) and not augmentation_allowed("none", ["slope"])
    with pytest.raises(ValueError, match="augmentation mode"):
        augmentation_allowed("flips", stack)
