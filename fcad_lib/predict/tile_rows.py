"""One row of tiles: read its window of the factor stack, run the model, accumulate the weights.

The compatibility check of model, preprocessing and stack is the bundle contract's
(:func:`fcad_lib.bundle.check_compatible`).

Shared by the sequential (:mod:`fcad_lib.predict.sequential`) and the Dask
(:mod:`fcad_lib.predict.dask_path`) predictors, so both add exactly the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import rasterio
from rasterio.windows import Window

from fcad_lib.bundle import check_compatible, needed_factors
from fcad_lib.predict.tiling import Layout, TilingPlan, reflect_index
from fcad_lib.predict.uncertainty import Forward, check_method, make_forward

__all__ = [
    "check_compatible",
    "chunk_weights",
    "needed_factors",
    "predict_tile_chunk",
    "predict_tile_row",
    "TileSource",
]


@dataclass(frozen=True)
class TileSource:
    """What every tile of one run needs: the model, its preprocessing, the open stack, the plan.

    Built once per open stack (:meth:`open`), so the engines pass one object to the tile loop
    instead of the same seven values at every call.
    """

    model: Any
    preprocessing: Any
    src: rasterio.io.DatasetReader
    bands: tuple[int, ...]
    names: tuple[str, ...]
    layout: Layout
    plan: TilingPlan
    #: probability (and uncertainty) of a batch of tiles (:func:`make_forward`)
    forward: Forward

    @classmethod
    def open(cls, model: Any, preprocessing: Any, src: rasterio.io.DatasetReader,
             stack_factors: Sequence[str], plan: TilingPlan) -> TileSource:
        """Check model, preprocessing, stack and method against each other; lay the tiles out."""
        bands = check_compatible(model, preprocessing, stack_factors)
        check_method(plan.uncertainty, preprocessing.channels)
        return cls(model, preprocessing, src, tuple(bands), tuple(needed_factors(preprocessing)),
                   plan.layout(src.height, src.width), plan,
                   make_forward(model, plan.uncertainty, plan.passes, plan.seed))


def _chunk_extent(layout: Layout, j0: int, j1: int) -> tuple[int, int]:
    """Raster columns [start, stop) covered by tile columns ``[j0, j1)`` (clipped)."""
    return layout.cols[j0], min(layout.cols[j1 - 1] + layout.tile, layout.width)


def predict_tile_chunk(
    source: TileSource,
    k: int,
    j0: int,
    j1: int,
    on_tiles: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted band and weight sums of the tiles ``[j0, j1)`` of tile row ``k``.

    Only the stack window under those tiles is read (reflected at the right and bottom raster
    borders like ``numpy.pad(mode="reflect")`` of the whole raster), so memory is bounded by the
    chunk, not the raster width.

    Parameters
    ----------
    source : TileSource
        Model, preprocessing, open stack, layout and plan of the run.
    k : int
        Tile row.
    j0, j1 : int
        Tile columns ``[j0, j1)``.
    on_tiles : callable, optional
        Called with the number of tiles done after each model call (a progress bar).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``vsum`` (``float64``, ``(plan.bands, rows, columns)``: weighted sums of the probability
        and, with an uncertainty method, of the uncertainty), ``wsum`` (``float64``) and
        ``valid`` (``bool``), the last two ``(rows, columns)``: the chunk's clipped raster extent
        (:meth:`Layout.strip_rows` x the columns from ``layout.cols[j0]`` to the end of tile
        ``j1 - 1``). The uncertainty is blended exactly like the probability.
    """
    layout, plan, weights = source.layout, source.plan, source.plan.weights
    r0, r1 = layout.strip_rows(k)
    x0, x1 = _chunk_extent(layout, j0, j1)
    h, w, t = r1 - r0, layout.width, layout.tile
    rows = reflect_index(r0, t, layout.height)
    cols_idx = reflect_index(x0, layout.cols[j1 - 1] + t - x0, w)
    lo, hi = int(rows.min()), int(rows.max()) + 1
    clo, chi = int(cols_idx.min()), int(cols_idx.max()) + 1
    raw = source.src.read(list(source.bands), window=Window(clo, lo, chi - clo, hi - lo))
    raw = raw.astype("float32", copy=False)
    x, valid = source.preprocessing.encode({n: raw[i] for i, n in enumerate(source.names)})
    x = np.asarray(x, dtype="float32")[rows - lo][:, cols_idx - clo]
    valid = np.asarray(valid, bool)[r0 - lo : r1 - lo, x0 - clo : x1 - clo]
    vsum = np.zeros((plan.bands, h, x1 - x0))
    wsum = np.zeros((h, x1 - x0))
    cols = layout.cols[j0:j1]
    for b in range(0, len(cols), plan.batch_size):
        batch_cols = cols[b : b + plan.batch_size]
        batch = np.stack([x[:, c - x0 : c - x0 + t] for c in batch_cols])
        out = source.forward(batch, [(r0, c) for c in batch_cols])  # (bands, B, t, t)
        for i, c in enumerate(batch_cols):
            cw = min(t, w - c)
            for band in range(plan.bands):
                vsum[band, :, c - x0 : c - x0 + cw] += (out[band, i] * weights)[:h, :cw]
            wsum[:, c - x0 : c - x0 + cw] += weights[:h, :cw]
        if on_tiles is not None:
            on_tiles(len(batch_cols))
    return vsum, wsum, valid


def chunk_weights(layout: Layout, k: int, j0: int, j1: int, weights: np.ndarray) -> np.ndarray:
    """The ``wsum`` of :func:`predict_tile_chunk`, without the model (same additions, same order).

    Lets block files keep only the probability sums: the weights follow from the layout.
    """
    r0, r1 = layout.strip_rows(k)
    x0, x1 = _chunk_extent(layout, j0, j1)
    h, t = r1 - r0, layout.tile
    wsum = np.zeros((h, x1 - x0))
    for c in layout.cols[j0:j1]:
        cw = min(t, layout.width - c)
        wsum[:, c - x0 : c - x0 + cw] += weights[:h, :cw]
    return wsum


def predict_tile_row(
    source: TileSource, k: int, on_tiles: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted band and weight sums of the whole tile row ``k`` (all its tiles).

    Returns ``(vsum, wsum, valid)`` as :func:`predict_tile_chunk`, over the raster's width.
    """
    return predict_tile_chunk(source, k, 0, len(source.layout.cols), on_tiles)
