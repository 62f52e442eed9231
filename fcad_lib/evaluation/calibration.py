"""Does "0.7" mean 70 %? Calibration of landslide probabilities, per test tile.

A landslide map sends field crews; its probabilities should be frequencies. Two scores:

* **ECE** (expected calibration error) over **equal-mass bins**: the pixels are sorted by
  probability into :data:`N_BINS` bins of equal count (quantile edges of the split's own
  probabilities, so the many near-zero pixels do not crowd one bin); ECE is
  ``sum_b |sum p - sum y| / n``, the mass-weighted gap between the mean probability and the
  landslide frequency of each bin;
* **Brier score**: the mean of ``(p - y)^2``.

Both are kept **per test tile** as sums (bin counts, sums of ``p`` and ``y``; the squared-error
sum), so the paired tile bootstrap of :mod:`fcad_lib.evaluation.stats` resamples them exactly
as it does the confusion counts behind F1 (:func:`paired_calibration_bootstrap`).

**Temperature scaling** (Guo et al. 2017) is the calibrator of the networks: one number ``T``
divides the logit, fitted by maximum likelihood on the **validation** pixels only. It keeps the
ranking (AP unchanged) and is stored in the bundle (``Preprocessing.temperature``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "N_BINS",
    "TileCalibration",
    "apply_temperature",
    "fit_temperature",
    "paired_calibration_bootstrap",
    "reliability_table",
    "tile_calibration",
]

#: Equal-mass bins of the ECE and the reliability diagram.
N_BINS = 15
_EPS = 1e-7


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(p) - np.log1p(-p)


def apply_temperature(prob: np.ndarray, temperature: float) -> np.ndarray:
    """``sigmoid(logit(p) / T)``: T > 1 softens over-confident probabilities."""
    return 1.0 / (1.0 + np.exp(-_logit(prob) / float(temperature)))


def fit_temperature(prob: np.ndarray, positive: np.ndarray) -> float:
    """The temperature that minimises the log loss of ``prob`` on these (validation) pixels.

    Returns 1.0 (no change) when there is no landslide pixel to fit on.
    """
    from scipy.optimize import minimize_scalar

    y = np.asarray(positive, dtype=bool).reshape(-1)
    z = _logit(prob).reshape(-1)
    if not y.any() or y.all():
        return 1.0

    def nll(log_t: float) -> float:
        s = z / np.exp(log_t)
        # log(1 + exp(-s)) for landslides, log(1 + exp(s)) otherwise, computed stably
        return float(np.mean(np.logaddexp(0.0, np.where(y, -s, s))))

    best = minimize_scalar(nll, bounds=(np.log(0.05), np.log(50.0)), method="bounded")
    return float(np.exp(best.x))


@dataclass(frozen=True)
class TileCalibration:
    """Calibration sums of every test tile of one method.

    Attributes
    ----------
    edges
        ``(N_BINS + 1,)`` equal-mass bin edges of the split's probabilities.
    bins
        ``(n_tiles, n_bins, 3)``: pixel count, sum of ``p``, sum of ``y`` per tile and bin.
    sq_error
        ``(n_tiles,)`` sum of ``(p - y)^2`` per tile.
    """

    edges: np.ndarray
    bins: np.ndarray
    sq_error: np.ndarray

    @property
    def ece(self) -> float:
        """Expected calibration error of the pooled tiles."""
        return _ece(self.bins.sum(axis=0))

    @property
    def brier(self) -> float:
        """Brier score of the pooled tiles."""
        n = self.bins[..., 0].sum()
        return float(self.sq_error.sum() / n) if n else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``ece``, ``brier`` and the per-tile sums)."""
        return {"ece": self.ece, "brier": self.brier, "edges": self.edges.tolist(),
                "bins": self.bins.tolist(), "sq_error": self.sq_error.tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TileCalibration:
        """Inverse of :meth:`to_dict`."""
        return cls(np.asarray(d["edges"], float), np.asarray(d["bins"], float),
                   np.asarray(d["sq_error"], float))


def _ece(bins: np.ndarray) -> float:
    """ECE from pooled ``(..., n_bins, 3)`` sums (summed over the leading axes)."""
    n = bins[..., 0].sum(axis=-1)
    gap = np.abs(bins[..., 1] - bins[..., 2]).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, gap / np.where(n > 0, n, 1), np.nan)[()]


def tile_calibration(prob: np.ndarray, positive: np.ndarray, tile: np.ndarray, n_tiles: int,
                     n_bins: int = N_BINS) -> TileCalibration:
    """Per-tile calibration sums of one method on one split.

    Parameters
    ----------
    prob, positive, tile
        ``(n,)`` probability, label and tile index (0 .. n_tiles - 1) of every valid pixel.
    n_tiles
        Number of tiles (tiles without a valid pixel get zeros).
    n_bins
        Equal-mass bins (fewer when many probabilities are tied).
    """
    p = np.asarray(prob, dtype=np.float64).reshape(-1)
    y = np.asarray(positive, dtype=np.float64).reshape(-1)
    t = np.asarray(tile, dtype=np.int64).reshape(-1)
    edges = np.unique(np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1))) if p.size else (
        np.array([0.0, 1.0]))
    if edges.size < 2:
        edges = np.array([edges[0], edges[0]])
    b = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, edges.size - 2)
    k = edges.size - 1
    flat = t * k + b
    bins = np.stack([np.bincount(flat, weights=w, minlength=n_tiles * k)
                     for w in (np.ones_like(p), p, y)], axis=-1).reshape(n_tiles, k, 3)
    sq = np.bincount(t, weights=(p - y) ** 2, minlength=n_tiles)
    return TileCalibration(edges, bins, sq)


def reliability_table(calib: TileCalibration) -> dict[str, np.ndarray]:
    """Mean probability, landslide frequency and pixel count of each bin (pooled tiles)."""
    pooled = calib.bins.sum(axis=0)
    n = pooled[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"mean_prob": pooled[:, 1] / n, "frequency": pooled[:, 2] / n, "count": n}


def paired_calibration_bootstrap(a: Sequence[TileCalibration], b: Sequence[TileCalibration],
                                 metric: str = "ece", n_boot: int = 2000, level: float = 0.95,
                                 seed: int = 0) -> tuple[float, float, float]:
    """Paired tile bootstrap of ``metric(A) - metric(B)`` (``ece`` or ``brier``), over seeds.

    As :func:`fcad_lib.evaluation.stats.paired_bootstrap`: within each seed the same tiles are
    drawn for both methods, the differences are averaged over seeds, and the percentile
    interval at ``level`` is read off. Negative means A is better calibrated.

    Returns
    -------
    tuple of float
        Observed difference, lower and upper bound.
    """
    if len(a) != len(b) or not a:
        raise ValueError("need the same, non-zero number of seeds for both methods")
    rng = np.random.default_rng(seed)
    observed, diffs = 0.0, np.zeros(n_boot)
    for ca, cb in zip(a, b, strict=True):
        if ca.bins.shape[0] != cb.bins.shape[0]:
            raise ValueError("the two methods were not scored on the same test tiles")
        n = ca.bins.shape[0]
        idx = rng.integers(0, n, size=(n_boot, n))
        observed += _metric(ca, metric) - _metric(cb, metric)
        diffs += _resampled(ca, idx, metric) - _resampled(cb, idx, metric)
    k = len(a)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(diffs / k, [alpha, 1.0 - alpha])
    return float(observed / k), float(low), float(high)


def _metric(c: TileCalibration, metric: str) -> float:
    if metric == "ece":
        return float(c.ece)
    if metric == "brier":
        return c.brier
    raise ValueError(f"unknown calibration metric {metric!r}: use 'ece' or 'brier'")


def _resampled(c: TileCalibration, idx: np.ndarray, metric: str) -> np.ndarray:
    """``(n_boot,)`` metric of each resample of tiles ``idx`` (``(n_boot, n)``)."""
    if metric == "ece":
        # in chunks of resamples: (chunk, n_tiles, n_bins, 3) stays small
        return np.concatenate([_ece(c.bins[part].sum(axis=1))
                               for part in np.array_split(idx, max(1, len(idx) // 200))])
    _metric(c, metric)  # validates the name
    n = c.bins[..., 0].sum(axis=1)
    return c.sq_error[idx].sum(axis=1) / np.maximum(n[idx].sum(axis=1), 1.0)
