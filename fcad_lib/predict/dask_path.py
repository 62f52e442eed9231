"""Whole-area prediction with blocks of tile rows run as ``dask.delayed`` tasks.

Each task accumulates a block of tile rows into its own file in ``out_dir/.partial``; a
sequential merge adds the ``overlap`` rows that neighbouring blocks share and writes the same
outputs as :func:`fcad_lib.predict.sequential.predict_raster`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dask
import numpy as np
import rasterio
from rasterio.windows import Window

from fcad_lib.data.geotiff import atomic_path
from fcad_lib.data.stack_io import open_factor_stack
from fcad_lib.predict.output import GDAL_CACHE_MB, PARTIAL, PredictionResult, band_rasters, finish
from fcad_lib.predict.tile_rows import TileSource, predict_tile_row
from fcad_lib.predict.tiling import TilingPlan, blend, resolve_plan


def _dask_block(
    model: Any, preprocessing: Any, stack_path: Path, plan: TilingPlan, rows: tuple[int, int],
    block_file: Path,
) -> Path:
    """Accumulate tile rows ``(k0, k1)`` into a block file (``psum``, ``wsum``, ``valid``)."""
    k0, k1 = rows
    src, factors = open_factor_stack(stack_path)  # one handle per task: not thread-safe
    with src:
        source = TileSource.open(model, preprocessing, src, factors, plan)
        layout = source.layout
        r_start = layout.rows[k0]
        r_stop = layout.strip_rows(k1 - 1)[1]
        psum = np.zeros((plan.bands, r_stop - r_start, layout.width))
        wsum = np.zeros(psum.shape[1:])
        valid = np.zeros(psum.shape[1:], bool)
        for k in range(k0, k1):
            p, w, v = predict_tile_row(source, k)
            a, b = (r - r_start for r in layout.strip_rows(k))
            psum[:, a:b] += p
            wsum[a:b] += w
            valid[a:b] = v
    with atomic_path(block_file) as tmp:
        np.savez(tmp, psum=psum, wsum=wsum, valid=valid, r_start=r_start)
    return block_file


def predict_raster_dask(
    model: Any,
    preprocessing: Any,
    stack_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    plan: TilingPlan | None = None,
    strips_per_block: int = 4,
    scheduler: str = "threads",
    **tiling: Any,
) -> PredictionResult:
    """:func:`predict_raster` with blocks of tile rows run as ``dask.delayed`` tasks.

    Each task accumulates ``strips_per_block`` tile rows into its own block file
    (``out_dir/.partial/block_*.npz``); a sequential merge then adds the ``overlap`` rows shared by
    neighbouring blocks and writes the outputs exactly as :func:`predict_raster` does (same result).
    Dask does the scheduling; the threaded scheduler shares one model between tasks (TensorFlow
    releases the GIL inside ops). Memory is one block per running task, so choose
    ``strips_per_block`` x tile x width x 17 bytes x workers within RAM. No checkpointing: a
    re-run recomputes the missing block files only. ``plan`` or ``**tiling`` as in
    :func:`predict_raster`.
    """
    stack_path, out_dir = Path(stack_path), Path(out_dir)
    plan = resolve_plan(preprocessing, plan, tiling)
    partial = out_dir / PARTIAL
    partial.mkdir(parents=True, exist_ok=True)
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
        src, factors = open_factor_stack(stack_path)
        with src:
            layout = TileSource.open(model, preprocessing, src, factors, plan).layout
        n_rows = len(layout.rows)
        tasks = []
        for k0 in range(0, n_rows, strips_per_block):
            k1 = min(k0 + strips_per_block, n_rows)
            block_file = partial / f"block_{k0:06d}.npz"
            if not block_file.exists():
                tasks.append(dask.delayed(_dask_block)(model, preprocessing, stack_path, plan,
                                                       (k0, k1), block_file))
        dask.compute(*tasks, scheduler=scheduler)

        with rasterio.open(stack_path) as src, \
                band_rasters(partial, src, plan, create=True) as dsts:
            carry: tuple[int, np.ndarray, np.ndarray] | None = None  # (row, psum, wsum)
            blocks = sorted(partial.glob("block_*.npz"))
            for i, bf in enumerate(blocks):
                with np.load(bf) as z:
                    psum, wsum, valid, r_start = z["psum"], z["wsum"], z["valid"], int(z["r_start"])
                if carry is not None:
                    n = carry[2].shape[0]
                    psum[:, :n] += carry[1]
                    wsum[:n] += carry[2]
                last = i == len(blocks) - 1
                # rows also touched by the next block stay in the carry
                next_start = layout.height if last else layout.rows[(i + 1) * strips_per_block]
                n_done = next_start - r_start
                for band, dst in enumerate(dsts):
                    dst.write(blend(psum[band, :n_done], wsum[:n_done], valid[:n_done]), 1,
                              window=Window(0, r_start, layout.width, n_done))
                carry = (next_start, psum[:, n_done:], wsum[n_done:])
        return finish(partial, out_dir, plan, n_rows * len(layout.cols))
