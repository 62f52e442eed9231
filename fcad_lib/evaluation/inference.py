"""Run a trained model over some patches: the one forward pass that plots and evaluations share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fcad_lib.samples.normalize import Normalizer
from fcad_lib.samples.patches import Patches

__all__ = ["predict_patches"]


def predict_patches(
    model: Any,
    normalizer: Normalizer,
    patches: Patches,
    indices: Sequence[int] | np.ndarray,
    batch_size: int = 8,
) -> np.ndarray:
    """Landslide probability of each of some patches.

    Parameters
    ----------
    model : keras.Model
        Maps ``(N, H, W, C)`` network input to ``(N, H, W, 1)`` probabilities.
    normalizer : Normalizer
        The z-score the model was trained with (``Preprocessing.normalizer`` of its bundle).
    patches : Patches
        Raw patches with the model's channels.
    indices : sequence of int
        Which patches, in the order of the output.
    batch_size : int
        Patches per forward pass.

    Returns
    -------
    numpy.ndarray
        ``(len(indices), H, W)`` float32 probabilities.
    """
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    size = patches.X.shape[1:3]
    out = np.empty((len(indices), *size), dtype=np.float32)
    for start in range(0, len(indices), batch_size):
        idx = indices[start:start + batch_size]
        x = normalizer.transform(patches.X[idx], patches.valid[idx])
        # a direct call, not model.predict: predict traces a new function for every model
        out[start:start + len(idx)] = np.asarray(model(x, training=False))[..., 0]
    return out
