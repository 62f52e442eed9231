"""One strip (row of tiles) put together from column chunks: the blend, bounded in width.

A strip's tiles are taken in *chunks* of columns. Each chunk's sums are completed by the tail
columns of the chunk before it (the ``overlap`` columns both cover) and by the rows carried over
from the strip above, then its finished rows are written. The additions are the ones a whole
strip makes, only in another grouping: with at most two tiles over a pixel along each axis
(``overlap <= tile / 2``) each pixel gets ``(a + b) + carry`` either way, and floating-point
addition of two terms commutes, so the result is the same bit for bit. Memory is one chunk
(``tile`` x chunk width) plus the carried rows (``overlap`` x raster width, 16 bytes a pixel).

The sequential predictor computes each chunk with the model; the distributed merge reads the
chunks that workers wrote (:mod:`fcad_lib.predict.distributed`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import rasterio
from rasterio.windows import Window

from fcad_lib.predict.tiling import Layout, blend

#: ``chunk(k, j0, j1) -> (vsum, wsum, valid)`` of tile row ``k``, tile columns ``[j0, j1)``.
ChunkFn = Callable[[int, int, int], tuple[np.ndarray, np.ndarray, np.ndarray]]


def column_chunks(layout: Layout, chunk_tiles: int) -> list[tuple[int, int]]:
    """Tile-column ranges ``[j0, j1)`` of ``chunk_tiles`` tiles each (the last may be shorter).

    Keep ``chunk_tiles`` a multiple of the batch size: the model then sees the same batches as
    over a whole strip, and its outputs are the same bit for bit.
    """
    n = len(layout.cols)
    step = max(1, int(chunk_tiles))
    return [(j0, min(j0 + step, n)) for j0 in range(0, n, step)]


def accumulate_strip(
    layout: Layout,
    k: int,
    chunks: list[tuple[int, int]],
    chunk: ChunkFn,
    carry: np.ndarray | None,
    dsts: Sequence[rasterio.io.DatasetWriter],
) -> np.ndarray:
    """Blend tile row ``k`` chunk by chunk, write its finished rows, return the new carry.

    Parameters
    ----------
    layout : Layout
        The tiling.
    k : int
        Tile row.
    chunks : list of (int, int)
        Tile-column ranges (:func:`column_chunks`).
    chunk : callable
        ``chunk(k, j0, j1) -> (vsum, wsum, valid)`` over the chunk's clipped extent; ``vsum``
        ``(bands, rows, columns)`` (the probability, and the uncertainty when mapped).
    carry : numpy.ndarray or None
        ``(bands + 1, rows, width)``: band sums and weight sum (last) of the rows the strip above
        shares with this one (``None`` for the first strip).
    dsts : sequence of rasterio datasets
        One raster per band (probability, then uncertainty), open for writing.

    Returns
    -------
    numpy.ndarray
        ``(bands + 1, rows, width)`` sums of this strip's rows the next strip shares.
    """
    r0, r1 = layout.finished_rows(k)
    n = r1 - r0
    s0, s1 = layout.strip_rows(k)
    new_carry: np.ndarray | None = None
    tail: np.ndarray | None = None
    for j0, j1 in chunks:
        vsum, wsum, valid = chunk(k, j0, j1)
        sums = np.concatenate([vsum, wsum[None]])  # bands..., weight: one carry for all
        if new_carry is None:
            new_carry = np.zeros((len(sums), (s1 - s0) - n, layout.width))
        x0 = layout.cols[j0]
        x1 = layout.cols[j1] if j1 < len(layout.cols) else layout.width  # owned columns
        width = x1 - x0
        if tail is not None:  # columns the previous chunk's last tiles also cover
            sums[:, :, : tail.shape[2]] += tail
        if carry is not None:  # rows shared with the previous tile row
            sums[:, : carry.shape[1], :width] += carry[:, :, x0:x1]
        for band, dst in enumerate(dsts):
            dst.write(blend(sums[band, :n, :width], sums[-1, :n, :width], valid[:n, :width]), 1,
                      window=Window(x0, r0, width, n))
        new_carry[:, :, x0:x1] = sums[:, n:, :width]
        tail = sums[:, :, width:]
    return new_carry
