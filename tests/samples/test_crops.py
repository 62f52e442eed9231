"""Foreground-centred crops stay inside the training tiles and hold landslides as asked."""

from __future__ import annotations

import numpy as np
import pytest

from fcad_lib import samples
from fcad_lib.samples.crops import CropSampler, window_sums
from tests.samples.stacks import make_stack


def test_window_sums_counts_every_window() -> None:
    mask = np.random.default_rng(0).random((9, 11)) > 0.5
    got = window_sums(mask, 4)
    want = np.array([[mask[r:r + 4, c:c + 4].sum() for c in range(8)] for r in range(6)])
    np.testing.assert_array_equal(got, want)


def _sampler(fg_fraction: float = 0.5, seed: int = 0, tiles: tuple = (0, 1, 4)):
    ds = make_stack(height=40, width=48)
    patches = samples.extract_patches(ds, size=8, stride=8)
    stack = samples.encode_stack(ds, patches)
    norm = samples.Normalizer().fit(patches)
    origins = patches.origins[list(tiles)]
    return CropSampler(stack, origins, 8, norm, 8, fg_fraction=fg_fraction, seed=seed), origins


def test_encoded_stack_holds_the_patches_values() -> None:
    ds = make_stack()
    patches = samples.extract_patches(ds, size=8, stride=8)
    stack = samples.encode_stack(ds, patches)
    for i in (0, 5, len(patches) - 1):
        r, c = patches.origins[i]
        np.testing.assert_array_equal(stack.X[r:r + 8, c:c + 8], patches.X[i])
        np.testing.assert_array_equal(stack.valid[r:r + 8, c:c + 8], patches.valid[i, ..., 0])


def test_crops_never_leave_the_training_tiles() -> None:
    sampler, origins = _sampler()
    region = np.zeros((40, 48), dtype=bool)
    for r, c in origins:
        region[r:r + 8, c:c + 8] = True
    drawn = np.concatenate([sampler._draw(8) for _ in range(50)])
    for r, c in drawn:
        assert region[r:r + 8, c:c + 8].all()


@pytest.mark.parametrize("fg_fraction", [0.0, 0.5, 1.0])
def test_the_foreground_share_of_each_batch(fg_fraction: float) -> None:
    # tiles 0 (rows 0-7, cols 0-7) holds the landslide at rows 4-6, cols 4-6
    sampler, _ = _sampler(fg_fraction)
    _, y, w = sampler.batch(8)
    with_fg = ((y[..., 0] > 0) & (w[..., 0] > 0)).any(axis=(1, 2))
    assert with_fg[: int(round(8 * fg_fraction))].all()


def test_batches_are_a_function_of_the_seed() -> None:
    a, b, c = (_sampler(seed=s)[0].batch(4) for s in (1, 1, 2))
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])
    assert a[0].dtype == np.float32 and np.isfinite(a[0]).all()
