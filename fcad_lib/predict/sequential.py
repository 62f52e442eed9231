"""Sequential whole-area prediction: one strip (row of tiles) at a time, with checkpoints.

The raster is processed in horizontal *strips* (one row of tiles), each in column chunks
(:mod:`fcad_lib.predict.strips`): only one chunk of accumulators is held, the finished
``tile - overlap`` rows are written after each strip and the ``overlap`` rows still shared with
the next strip are carried over. Memory is therefore flat in the raster height and, but for the
carried ``overlap`` rows, in its width. A checkpoint
after every strip lets a re-run resume (:mod:`fcad_lib.predict.checkpoint`). See
``book/scaling.md``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from tqdm import tqdm  # text bar: works in Jupyter without ipywidgets

from fcad_lib.data.stack_io import open_factor_stack
from fcad_lib.predict.checkpoint import fingerprint, load_checkpoint, save_checkpoint
from fcad_lib.predict.output import GDAL_CACHE_MB, PARTIAL, PredictionResult, band_rasters, finish
from fcad_lib.predict.strips import accumulate_strip, column_chunks
from fcad_lib.predict.tile_rows import TileSource, predict_tile_chunk
from fcad_lib.predict.tiling import TilingPlan, resolve_plan

#: Default chunk of a strip, in batches of tiles (4 x 8 tiles of 128 px: about 3,200 px wide).
CHUNK_BATCHES = 4


def predict_raster(
    model: Any,
    preprocessing: Any,
    stack_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    plan: TilingPlan | None = None,
    progress: bool = True,
    on_strip_done: Callable[[int], None] | None = None,
    chunk_tiles: int | None = None,
    **tiling: Any,
) -> PredictionResult:
    """Map a whole factor stack with a trained model, tile by tile, blending overlaps.

    Parameters
    ----------
    model : keras.Model
        Keras model, input ``(tile, tile, len(preprocessing.channels))`` (or ``None`` spatial
        dims), output ``(tile, tile, 1)`` sigmoid probability.
    preprocessing : Preprocessing
        Object with ``channels``, ``factors``, ``patch_size``, ``threshold`` and
        ``encode(factor_arrays) -> (X (H, W, C) float32, valid (H, W) bool)``
        (:class:`fcad_lib.bundle.Preprocessing`).
    stack_path : str or os.PathLike
        Factor-stack GeoTIFF (:func:`fcad_lib.data.stack_io.write_factor_stack`); bands are
        mapped to factors by their descriptions.
    out_dir : str or os.PathLike
        Folder of ``probability.tif`` and ``landslide_map.tif``. Work in progress lives in
        ``out_dir/.partial`` (intermediate raster + checkpoint); final files are moved into place
        only when complete.
    plan : TilingPlan, optional
        Tile size, overlap, batch size, threshold and blending window
        (:class:`~fcad_lib.predict.tiling.TilingPlan`); else built from ``**tiling``.
    progress : bool
        Show a tqdm bar of tiles done / total.
    on_strip_done : callable, optional
        Called with the number of finished tile rows after each checkpoint (tests, monitoring).
    chunk_tiles : int, optional
        Tiles of a strip processed at a time (default :data:`CHUNK_BATCHES` batches); bounds
        memory in the raster's width. Keep it a multiple of ``batch_size``: the result is then
        the same bit for bit whatever the chunk.
    **tiling
        The fields of :meth:`TilingPlan.of` when no ``plan`` is given: ``tile`` (default
        ``preprocessing.patch_size``), ``overlap`` (32; 0 = plain tiling), ``batch_size`` (8),
        ``threshold`` (default ``preprocessing.threshold``), ``window_fn`` (``"hann"``,
        ``"triangle"`` or ``"none"``, see :func:`weight_window`), ``uncertainty`` (``"none"``,
        ``"tta"`` or ``"mc"``, :mod:`fcad_lib.predict.uncertainty`), ``passes`` and ``seed``.

    Returns
    -------
    PredictionResult
        Paths of the probability (``float32``, nodata ``NaN``) and binary map (``uint8`` 0/1,
        nodata 255) GeoTIFFs, both on exactly the stack's grid. With ``uncertainty="tta"`` or
        ``"mc"`` the probability is the mean over the passes and ``uncertainty.tif`` (same grid
        and type) holds their standard deviation, blended exactly like the probability.

    Notes
    -----
    Re-running after an interruption resumes from the last finished strip when the model weights,
    stack and tiling parameters are unchanged (checked by a fingerprint), and starts afresh
    otherwise.
    """
    stack_path = Path(stack_path)
    out_dir = Path(out_dir)
    plan = resolve_plan(preprocessing, plan, tiling)
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / PARTIAL

    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
        src, stack_factors = open_factor_stack(stack_path)
        with src:
            source = TileSource.open(model, preprocessing, src, stack_factors, plan)
            layout = source.layout
            n_tiles = len(layout.rows) * len(layout.cols)
            fp = fingerprint(model, stack_path, tile=plan.tile, overlap=plan.overlap,
                             window=plan.window_fn, channels=list(preprocessing.channels),
                             factors=list(source.names),
                             mean=np.asarray(getattr(preprocessing, "mean", [])).tolist(),
                             std=np.asarray(getattr(preprocessing, "std", [])).tolist(),
                             **plan.uncertainty_key())
            done, carry = load_checkpoint(partial, fp)
            partial.mkdir(parents=True, exist_ok=True)
            if done == 0:
                with band_rasters(partial, src, plan, create=True):
                    pass
            bar = tqdm(total=n_tiles, initial=done * len(layout.cols), unit="tile",
                       desc="tiles", disable=not progress)
            chunks = column_chunks(layout, chunk_tiles or CHUNK_BATCHES * plan.batch_size)

            def chunk(k: int, j0: int, j1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
                return predict_tile_chunk(source, k, j0, j1, on_tiles=bar.update)

            try:
                for k in range(done, len(layout.rows)):
                    # Reopened per strip: closing flushes, so the checkpoint never runs ahead
                    # of the bytes on disk.
                    with band_rasters(partial, src, plan, create=False) as dsts:
                        carry = accumulate_strip(layout, k, chunks, chunk, carry, dsts)
                    save_checkpoint(partial, fp, k + 1, carry)
                    if on_strip_done is not None:
                        on_strip_done(k + 1)
            finally:
                bar.close()

        return finish(partial, out_dir, plan, n_tiles)
