"""Foreground-centred random crops of the training region (nnU-Net's foreground oversampling).

Landslides cover about 0.5 % of the generated area, and a fixed grid of training patches shows
a network a landslide pixel in roughly one patch in ten. nnU-Net (Isensee et al. 2021) instead
draws every training patch at a random position and forces a share of each batch
(``oversample_foreground_percent``) to hold foreground. :class:`CropSampler` does the same on the
aligned stack:

* a crop may only cover pixels of the **training tiles** of the split (its window lies wholly
  inside their union), so no validation or test pixel, label or input, reaches training;
* a fraction ``fg_fraction`` of each batch is drawn among the windows that hold at least one
  valid landslide pixel, the rest among all windows of the training region;
* inputs are z-scored with the split's :class:`~fcad_lib.samples.normalize.Normalizer`, invalid
  pixels get weight 0, and a dihedral transform is applied only where the caller allows it
  (:func:`fcad_lib.samples.dataset.augmentation_allowed`).

The batches are a deterministic function of the seed (one NumPy generator, drawn in order).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fcad_lib.samples.normalize import Normalizer
from fcad_lib.samples.patches import EncodedStack

if TYPE_CHECKING:
    import tensorflow as tf

__all__ = ["CropSampler", "window_sums"]


def window_sums(mask: np.ndarray, size: int) -> np.ndarray:
    """``(H - size + 1, W - size + 1)`` count of True pixels in every ``size`` x ``size`` window.

    A summed-area table: one pass, whatever the window size.
    """
    table = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), dtype=np.int64)
    table[1:, 1:] = np.asarray(mask, dtype=np.int64).cumsum(0).cumsum(1)
    return (table[size:, size:] - table[:-size, size:] - table[size:, :-size]
            + table[:-size, :-size])


class CropSampler:
    """Random training crops, a share of them holding landslide pixels.

    Parameters
    ----------
    stack
        The encoded stack.
    tile_origins
        ``(N, 2)`` ``(row, col)`` of the training tiles; crops stay inside their union.
    tile_size
        Side of those tiles in pixels.
    normalizer
        Fitted on the training tiles.
    crop_size
        Side of a crop (the network's patch size).
    fg_fraction
        Share of each batch drawn among windows holding a valid landslide pixel (nnU-Net: 0.33).
    seed
        Seed of the draws.
    augment
        Apply a random dihedral transform to each crop.
    """

    def __init__(self, stack: EncodedStack, tile_origins: np.ndarray, tile_size: int,
                 normalizer: Normalizer, crop_size: int, fg_fraction: float = 0.5,
                 seed: int = 0, augment: bool = False) -> None:
        if not 0.0 <= fg_fraction <= 1.0:
            raise ValueError(f"fg_fraction must be in [0, 1], got {fg_fraction}")
        self.stack, self.normalizer = stack, normalizer
        self.size, self.fg_fraction, self.augment = int(crop_size), float(fg_fraction), augment
        self.rng = np.random.default_rng(seed)
        region = np.zeros(stack.valid.shape, dtype=bool)
        for r, c in np.asarray(tile_origins, dtype=np.int64).reshape(-1, 2):
            region[r:r + tile_size, c:c + tile_size] = True
        inside = window_sums(region, self.size) == self.size ** 2
        positive = (stack.y > 0) & stack.valid & region
        has_fg = inside & (window_sums(positive, self.size) > 0)
        self.origins = np.argwhere(inside)
        self.fg_origins = np.argwhere(has_fg)
        if not len(self.origins):
            raise ValueError(f"no {self.size}-pixel crop fits inside the training tiles")

    def _draw(self, n: int) -> np.ndarray:
        """``(n, 2)`` crop origins: the foreground share first, then the rest."""
        n_fg = int(round(n * self.fg_fraction)) if len(self.fg_origins) else 0
        fg = self.fg_origins[self.rng.integers(0, len(self.fg_origins), n_fg)] if n_fg else (
            np.zeros((0, 2), dtype=np.int64))
        anywhere = self.origins[self.rng.integers(0, len(self.origins), n - n_fg)]
        return np.concatenate([fg, anywhere])

    def batch(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One batch ``(x, y, w)``: ``(n, s, s, C)``, ``(n, s, s, 1)``, ``(n, s, s, 1)`` float32."""
        s = self.size
        origins = self._draw(n)
        X = np.stack([self.stack.X[r:r + s, c:c + s] for r, c in origins])
        y = np.stack([self.stack.y[r:r + s, c:c + s] for r, c in origins])[..., None]
        w = np.stack([self.stack.valid[r:r + s, c:c + s] for r, c in origins])[..., None]
        x = self.normalizer.transform(X, w)
        if self.augment:
            k = self.rng.integers(0, 8, n)
            for i in range(n):
                x[i], y[i], w[i] = (_dihedral(a, int(k[i])) for a in (x[i], y[i], w[i]))
        return x.astype(np.float32), y.astype(np.float32), w.astype(np.float32)

    def dataset(self, batch_size: int) -> tf.data.Dataset:
        """An endless ``tf.data.Dataset`` of :meth:`batch` results (for ``steps_per_epoch``)."""
        import tensorflow as tf

        s, c = self.size, self.stack.X.shape[-1]

        def batches():
            while True:
                yield self.batch(batch_size)

        spec = (tf.TensorSpec((batch_size, s, s, c), tf.float32),
                tf.TensorSpec((batch_size, s, s, 1), tf.float32),
                tf.TensorSpec((batch_size, s, s, 1), tf.float32))
        return tf.data.Dataset.from_generator(batches, output_signature=spec)


def _dihedral(a: np.ndarray, k: int) -> np.ndarray:
    """One of the 8 flips x quarter turns of an ``(H, W, ...)`` array."""
    a = np.fliplr(a) if k >= 4 else a
    return np.ascontiguousarray(np.rot90(a, k % 4))
