"""Tiling and blending: where the tiles of a raster start, how much each pixel of a tile weighs.

Tiles of ``tile`` pixels overlap by ``overlap`` pixels (stride ``tile - overlap``). Each tile's
probabilities are multiplied by a separable weight window and accumulated; the blended
probability is the ratio of the probability sum to the weight sum. A tile that runs past the
raster is filled by mirror reflection (``numpy.pad(mode="reflect")``). See ``book/scaling.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from fcad_lib.predict.uncertainty import method_passes

#: Smallest weight of the blending window, so raster-border pixels (covered only by a tile edge)
#: still receive weight.
WINDOW_FLOOR = 1e-3


def weight_window(tile: int, overlap: int, kind: str = "hann") -> np.ndarray:
    """2-D blending weights of one tile (separable; ``float64``; values in ``(0, 1]``).

    Parameters
    ----------
    tile : int
        Tile size in pixels.
    overlap : int
        Overlap of neighbouring tiles in pixels. With ``overlap == 0`` no pixel is covered twice,
        the window is irrelevant and all-ones is returned (so the blend equals plain tiling bit for
        bit).
    kind : str
        ``"hann"`` (``sin^2`` taper), ``"triangle"`` (linear taper) or ``"none"`` (all ones = plain
        averaging of overlapping tiles). Weights never drop below :data:`WINDOW_FLOOR`.

    Returns
    -------
    numpy.ndarray
        ``(tile, tile)`` weights.
    """
    if kind not in ("hann", "triangle", "none"):
        raise ValueError(f"window_fn must be 'hann', 'triangle' or 'none', got {kind!r}")
    if overlap == 0 or kind == "none":
        return np.ones((tile, tile))
    pos = (np.arange(tile) + 0.5) / tile  # pixel centres in (0, 1)
    if kind == "hann":
        w1 = np.sin(np.pi * pos) ** 2
    else:
        w1 = 1.0 - np.abs(2.0 * pos - 1.0)
    w1 = WINDOW_FLOOR + (1.0 - WINDOW_FLOOR) * w1
    return np.outer(w1, w1)


def tile_starts(n: int, tile: int, overlap: int) -> list[int]:
    """Tile start offsets along one axis of ``n`` pixels (stride ``tile - overlap``).

    One axis only; :func:`fcad_lib.samples.patch_origins` gives the 2-D patch origins of
    training samples. The last tile may run past ``n``; its outside part is reflection-padded.

    Parameters
    ----------
    n : int
        Pixels along the axis.
    tile : int
        Tile size in pixels.
    overlap : int
        Overlap of neighbouring tiles in pixels.

    Returns
    -------
    list of int
        Start offset of every tile, first 0.
    """
    stride = tile - overlap
    if n <= tile:
        return [0]
    return [k * stride for k in range(math.ceil((n - tile) / stride) + 1)]


def seam_score(prob: np.ndarray, tile: int, overlap: int = 0) -> float:
    """Mean absolute probability jump across tile borders / the same inside tiles.

    1 = no seams; larger = visible tile borders. Borders are the first and last pixel of every tile
    of the layout (``tile``, ``overlap``), in both directions; ``NaN`` pixels are ignored.

    Parameters
    ----------
    prob : numpy.ndarray
        2-D probability map.
    tile : int
        Tile size of the layout in pixels.
    overlap : int
        Overlap of the layout in pixels.

    Returns
    -------
    float
        The ratio (``inf`` when the map is constant inside tiles).
    """
    prob = np.asarray(prob, dtype="float64")

    def _axis_score(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        jump = np.abs(np.diff(a, axis=1))  # jump[:, c] is between columns c and c+1
        n = a.shape[1]
        edges = set()
        for o in tile_starts(n, tile, overlap):
            edges.update((o - 1, o + tile - 1))
        cols = np.array(sorted(c for c in edges if 0 <= c < n - 1), dtype=int)
        border = np.zeros(n - 1, bool)
        border[cols] = True
        return jump[:, border], jump[:, ~border]

    b1, i1 = _axis_score(prob)
    b2, i2 = _axis_score(prob.T)
    border = np.concatenate([b1.ravel(), b2.ravel()])
    inside = np.concatenate([i1.ravel(), i2.ravel()])
    inside_mean = np.nanmean(inside)
    return float(np.nanmean(border) / inside_mean) if inside_mean > 0 else float("inf")


def reflect_index(start: int, length: int, n: int) -> np.ndarray:
    """Indices ``start .. start+length-1`` folded into ``[0, n)`` by mirror reflection.

    Same convention as ``numpy.pad(mode="reflect")`` (the border pixel is not repeated), for any
    padding length.
    """
    i = np.arange(start, start + length)
    if n == 1:
        return np.zeros_like(i)
    period = 2 * (n - 1)
    i = np.mod(i, period)
    return np.where(i > n - 1, period - i, i)


@dataclass(frozen=True)
class Layout:
    """The tiling of one raster: its size, the tile size and overlap, and the tile starts."""

    height: int
    width: int
    tile: int
    overlap: int
    rows: list[int]
    cols: list[int]

    @property
    def stride(self) -> int:
        return self.tile - self.overlap

    @classmethod
    def of(cls, height: int, width: int, tile: int, overlap: int) -> Layout:
        """The tiling of a ``height`` x ``width`` raster."""
        return cls(height, width, tile, overlap, tile_starts(height, tile, overlap),
                   tile_starts(width, tile, overlap))

    def strip_rows(self, k: int) -> tuple[int, int]:
        """Raster rows [start, stop) covered by tile row ``k`` (clipped to the raster)."""
        r0 = self.rows[k]
        return r0, min(r0 + self.tile, self.height)

    def finished_rows(self, k: int) -> tuple[int, int]:
        """Rows no later tile row touches once tile row ``k`` is done."""
        r0 = self.rows[k]
        stop = self.height if k == len(self.rows) - 1 else r0 + self.stride
        return r0, min(stop, self.height)


@dataclass(frozen=True)
class TilingPlan:
    """The settings every predictor shares, resolved once and handed to the engines.

    Build it with :meth:`of`, which takes the tile size and threshold from the bundle's
    preprocessing when they are not given. The sequential, threaded-Dask and distributed
    engines read everything that decides the sums from here, so they cannot disagree.

    Attributes
    ----------
    tile : int
        Tile size in pixels.
    threshold : float
        Probability threshold of the binary map.
    overlap : int
        Overlap of neighbouring tiles in pixels (``0 <= overlap < tile``).
    batch_size : int
        Tiles per model call.
    window_fn : str
        Blending weights (:func:`weight_window`).
    uncertainty : str
        ``"none"``, ``"tta"`` or ``"mc"`` (:mod:`fcad_lib.predict.uncertainty`): with tta or mc
        the probability is the mean over ``passes`` forward passes and ``uncertainty.tif`` their
        standard deviation.
    passes : int
        Forward passes per tile (1 for none, 8 for tta, default 20 for mc).
    seed : int
        Seed of the mc dropout masks (with each tile's position).
    """

    tile: int
    threshold: float
    overlap: int = 32
    batch_size: int = 8
    window_fn: str = "hann"
    uncertainty: str = "none"
    passes: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.overlap < self.tile:
            raise ValueError(f"overlap must be in [0, tile={self.tile}), got {self.overlap}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        weight_window(1, 0, self.window_fn)  # refuses an unknown window early
        if self.passes != method_passes(self.uncertainty, self.passes):
            raise ValueError(f"{self.uncertainty} makes {method_passes(self.uncertainty, None)} "
                             f"pass(es), got passes={self.passes}")

    @classmethod
    def of(cls, preprocessing: Any, tile: int | None = None, threshold: float | None = None,
           passes: int | None = None, **settings: Any) -> TilingPlan:
        """The plan of one prediction: ``tile`` and ``threshold`` default to the bundle's.

        Parameters
        ----------
        preprocessing : Preprocessing
            Gives ``patch_size`` and ``threshold`` when ``tile`` or ``threshold`` is None.
        tile : int, optional
            Tile size in pixels.
        threshold : float, optional
            Probability threshold.
        passes : int, optional
            Passes per tile; default that of the ``uncertainty`` method
            (:func:`~fcad_lib.predict.uncertainty.method_passes`).
        **settings
            The other fields (``overlap``, ``batch_size``, ``window_fn``, ``uncertainty``,
            ``seed``).
        """
        passes = method_passes(settings.get("uncertainty", "none"), passes)
        return cls(tile=int(tile or preprocessing.patch_size),
                   threshold=float(preprocessing.threshold if threshold is None else threshold),
                   passes=passes, **settings)

    @cached_property
    def weights(self) -> np.ndarray:
        """``(tile, tile)`` blending weights (:func:`weight_window`)."""
        return weight_window(self.tile, self.overlap, self.window_fn)

    @property
    def bands(self) -> int:
        """Blended bands: the probability, and the uncertainty when a method is chosen."""
        return 1 if self.uncertainty == "none" else 2

    def uncertainty_key(self) -> dict[str, Any]:
        """The uncertainty settings for a run's fingerprint (empty for none: keys unchanged)."""
        if self.uncertainty == "none":
            return {}
        return {"uncertainty": self.uncertainty, "passes": self.passes, "seed": self.seed}

    def layout(self, height: int, width: int) -> Layout:
        """The tiling of a ``height`` x ``width`` raster."""
        return Layout.of(height, width, self.tile, self.overlap)


def resolve_plan(preprocessing: Any, plan: TilingPlan | None,
                 settings: dict[str, Any]) -> TilingPlan:
    """``plan`` itself, or one built by :meth:`TilingPlan.of` from keyword ``settings``.

    Lets the engines keep their keyword arguments (``tile=``, ``overlap=`` ...) while the work
    below them takes one object; giving both is refused.
    """
    if plan is None:
        return TilingPlan.of(preprocessing, **settings)
    if settings:
        raise TypeError(f"give either plan or tiling keywords, not both: {sorted(settings)}")
    return plan


def blend(psum: np.ndarray, wsum: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Blended probability ``psum / wsum`` as ``float32``, ``NaN`` where not ``valid``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = (psum / wsum).astype("float32")
    prob[~valid] = np.nan
    return prob
