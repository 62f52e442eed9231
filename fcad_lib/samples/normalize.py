"""Per-channel z-score of the network input, fitted on the training patches only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fcad_lib.samples.patches import ONEHOT_PREFIX, Patches

__all__ = ["Normalizer", "scale"]


def _is_onehot(channel: str) -> bool:
    return channel.startswith(ONEHOT_PREFIX)


def scale(
    X: np.ndarray, valid: np.ndarray | None, mean: np.ndarray, std: np.ndarray
) -> np.ndarray:
    """z-score, then 0 where not finite or not valid (masked pixels carry no information)."""
    out = (np.asarray(X, dtype=np.float32) - mean.astype(np.float32)) / std.astype(np.float32)
    bad = ~np.isfinite(out)
    if valid is not None:
        v = np.asarray(valid, dtype=bool)
        if v.ndim == out.ndim - 1:
            v = v[..., None]
        bad |= ~v
    out[np.broadcast_to(bad, out.shape)] = 0.0
    return out.astype(np.float32, copy=False)


@dataclass
class Normalizer:
    """Per-channel z-score with statistics of the training patches only.

    Use as ``Normalizer().fit(train_patches)`` (scikit-learn style: ``fit`` returns the fitted
    normaliser). One-hot lithology channels are left unscaled (mean 0, std 1): they are
    already 0 / 1 indicators, and scaling them would give rare units huge values. Channels with
    zero spread get std 1 (constant input, nothing to scale).
    """

    channels: list[str] = field(default_factory=list)
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    std: np.ndarray = field(default_factory=lambda: np.ones(0))

    def fit(self, patches: Patches) -> Normalizer:
        """Fit on ``patches`` (pass the training split), valid pixels only, NaN ignored.

        Returns
        -------
        Normalizer
            ``self``, with ``channels``, ``mean`` and ``std`` set.
        """
        mask = patches.valid[..., 0]
        n_ch = len(patches.channels)
        mean = np.zeros(n_ch, dtype=np.float64)
        std = np.ones(n_ch, dtype=np.float64)
        for c, name in enumerate(patches.channels):
            if _is_onehot(name):
                continue
            values = patches.X[..., c][mask].astype(np.float64)
            values = values[np.isfinite(values)]
            if values.size == 0:
                continue
            mean[c] = values.mean()
            spread = values.std()
            std[c] = spread if spread > 0 else 1.0
        self.channels, self.mean, self.std = list(patches.channels), mean, std
        return self

    def transform(self, X: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
        """z-score ``X`` (``(..., C)``) and set NaN and invalid pixels to 0 after scaling.

        The masked pixels then carry no information; pass ``valid`` as sample weight 0 to
        the loss so they do not count either.
        """
        if np.shape(X)[-1] != len(self.channels):
            raise ValueError(f"X has {np.shape(X)[-1]} channels, normaliser {len(self.channels)}")
        return scale(X, valid, self.mean, self.std)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"channels", "mean", "std"}``."""
        return {
            "channels": list(self.channels),
            "mean": [float(v) for v in self.mean],
            "std": [float(v) for v in self.std],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Normalizer:
        """Inverse of :meth:`to_dict`."""
        return cls(list(d["channels"]), np.asarray(d["mean"], float), np.asarray(d["std"], float))
