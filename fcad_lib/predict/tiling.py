"""Tiling and blending: where the tiles of a raster start, how much each pixel of a tile weighs.

Tiles of ``tile`` pixels overlap by ``overlap`` pixels (stride ``tile - overlap``). Each tile's
probabilities are multiplied by a separable weight window and accumulated; the blended
probability is the ratio of the probability sum to the weight sum. A tile that runs past the
raster is filled by mirror reflection (``numpy.pad(mode="reflect")``). See ``book/scaling.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

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


def tiling_setup(preprocessing: Any, tile: int | None, overlap: int, threshold: float | None,
                 window_fn: str) -> tuple[int, float, np.ndarray]:
    """Tile size, threshold (the bundle's by default) and blending weights of one prediction."""
    tile = int(tile or preprocessing.patch_size)
    threshold = float(preprocessing.threshold if threshold is None else threshold)
    if not 0 <= overlap < tile:
        raise ValueError(f"overlap must be in [0, tile={tile}), got {overlap}")
    return tile, threshold, weight_window(tile, overlap, window_fn)


def blend(psum: np.ndarray, wsum: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Blended probability ``psum / wsum`` as ``float32``, ``NaN`` where not ``valid``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = (psum / wsum).astype("float32")
    prob[~valid] = np.nan
    return prob
