"""Multi-scale context features: what a per-pixel classifier needs to see a neighbourhood.

The per-pixel GBT sees one pixel at a time. A network sees a whole patch. Between the two sits
a gradient boosting classifier on **context features**: every channel smoothed over squares of
side 5, 9 and 17 pixels (radii of about 2, 4 and 8 pixels) and its local standard deviation over
9 pixels, beside the pixel's own values. A network that does not beat it has not shown that its
convolutions add more than smoothed neighbourhoods.

Features are computed inside each patch (reflected at its edges), from the z-scored channels
the networks get, so a test tile's features never read a training tile's pixels.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["CONTEXT_SIZES", "STD_SIZE", "context_features", "n_context_features"]

#: Sides (pixels) of the mean filters.
CONTEXT_SIZES: tuple[int, ...] = (5, 9, 17)
#: Side (pixels) of the local standard deviation.
STD_SIZE: int = 9


def n_context_features(n_channels: int) -> int:
    """Features per pixel for ``n_channels`` inputs: the raw values, the means and the std."""
    return n_channels * (2 + len(CONTEXT_SIZES))


def context_features(x: np.ndarray) -> np.ndarray:
    """``(N, H, W, F)`` float32 context features of ``(N, H, W, C)`` z-scored patches.

    Parameters
    ----------
    x
        Normalised patches (``PreparedData.arrays[split][0]``: invalid pixels are 0).

    Returns
    -------
    numpy.ndarray
        Per channel, in order: the value, the means over :data:`CONTEXT_SIZES`, the local
        standard deviation over :data:`STD_SIZE` (``F = n_context_features(C)``).
    """
    x = np.asarray(x, dtype=np.float32)
    out = [x]
    for size in CONTEXT_SIZES:
        out.append(ndimage.uniform_filter(x, size=(1, size, size, 1), mode="reflect"))
    mean = ndimage.uniform_filter(x, size=(1, STD_SIZE, STD_SIZE, 1), mode="reflect")
    sq = ndimage.uniform_filter(x * x, size=(1, STD_SIZE, STD_SIZE, 1), mode="reflect")
    out.append(np.sqrt(np.maximum(sq - mean * mean, 0.0)))
    # channel-major order: all features of channel 0, then of channel 1, ...
    return np.stack(out, axis=-1).reshape(*x.shape[:-1], -1)
