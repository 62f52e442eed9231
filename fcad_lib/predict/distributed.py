"""Whole-area prediction on a ``dask.distributed`` cluster: blocks on workers, one exact merge.

The raster's tiles are cut into *blocks* of ``block_rows`` tile rows x ``block_tiles`` tile
columns. Each block is one task: the worker loads the model bundle from its path (once per
worker process, so no model travels through the task graph), reads the stack windows under its
tiles and writes, for every tile row of the block, the chunk's probability sums to
``<work>/block_<row>_<col>.npy`` (plus the valid mask), under a temporary name moved into place.
The work folder must be one every worker and the client can reach (a shared file system on a
multi-machine cluster). A re-run computes only the missing blocks.

The merge then walks the strips exactly as the sequential predictor does
(:func:`fcad_lib.predict.strips.accumulate_strip`), taking each chunk from the block files (the
weight sums follow from the layout), so the result is the same bit for bit. Its memory is one
block's chunk plus the carried ``overlap`` rows; each worker holds one block.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import rasterio

from fcad_lib.bundle import MODEL_FILE, PREPROCESSING_FILE, Preprocessing, load_bundle
from fcad_lib.data.checksums import sha256_file
from fcad_lib.data.geotiff import atomic_path
from fcad_lib.data.stack_io import open_factor_stack
from fcad_lib.predict.output import (
    BAND_FILES,
    GDAL_CACHE_MB,
    PARTIAL,
    PredictionResult,
    band_rasters,
    finish,
)
from fcad_lib.predict.strips import accumulate_strip, column_chunks
from fcad_lib.predict.tile_rows import TileSource, chunk_weights, predict_tile_chunk
from fcad_lib.predict.tiling import TilingPlan, resolve_plan
from fcad_lib.predict.uncertainty import check_method


@functools.lru_cache(maxsize=2)
def _worker_bundle(bundle_dir: str) -> tuple[Any, Any]:
    """The bundle, loaded once per worker process (tasks of one run share it)."""
    return load_bundle(bundle_dir)


#: Block file suffix of each band's sums: the probability, the uncertainty.
BAND_SUFFIXES = ("", "_unc")


def _block_name(k0: int, j0: int) -> str:
    return f"block_{k0:06d}_{j0:06d}"


def predict_block(bundle_dir: str, stack_path: str, plan: TilingPlan,
                  block: tuple[int, int, int, int], work: str) -> str:
    """Worker task: probability sums of tile rows ``[k0, k1)`` x tile columns ``[j0, j1)``.

    ``block`` is ``(k0, k1, j0, j1)``. Writes ``block_<k0>_<j0>.npy`` (``float64``, ``(k1 - k0,
    tile, chunk width)``; rows past a clipped last strip are zero), ``..._unc.npy`` (the
    uncertainty sums, when mapped) and ``..._valid.npy``; returns the block's name.
    """
    k0, k1, j0, j1 = block
    model, preprocessing = _worker_bundle(bundle_dir)
    work_dir = Path(work)
    name = _block_name(k0, j0)
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
        src, factors = open_factor_stack(stack_path)
        with src:
            source = TileSource.open(model, preprocessing, src, factors, plan)
            psum = valid = None
            for i, k in enumerate(range(k0, k1)):
                p, _, v = predict_tile_chunk(source, k, j0, j1)
                if psum is None:
                    psum = np.zeros((plan.bands, k1 - k0, plan.tile, p.shape[2]))
                    valid = np.zeros(psum.shape[1:], bool)
                psum[:, i, : p.shape[1]] = p
                valid[i, : v.shape[0]] = v
    # the probability last: a block counts as done when its probability file exists
    files = [("_valid", valid)] + [(BAND_SUFFIXES[b], psum[b]) for b in range(plan.bands)][::-1]
    for suffix, array in files:
        with atomic_path(work_dir / f"{name}{suffix}.npy") as tmp:
            np.save(tmp, array)
    return name


def work_folder(out_dir: Path, bundle_dir: Path, stack_path: Path, **params: Any) -> Path:
    """Block folder of one run: ``out_dir/.partial/<key>``.

    The key hashes the bundle files, the stack file and the tiling ``params``, so a different
    run never reuses another's blocks.
    """
    h = hashlib.sha256()
    for name in (MODEL_FILE, PREPROCESSING_FILE):
        h.update((Path(bundle_dir) / name).read_bytes())
    # the stack by its content, as the sequential checkpoint does: a touched or copied stack
    # still resumes, a rewritten one with other values never does
    h.update(json.dumps([sha256_file(stack_path), params], sort_keys=True, default=str).encode())
    return Path(out_dir) / PARTIAL / h.hexdigest()[:16]


def _get_client(client: Any) -> Any:
    """A ``distributed.Client``: the one given, one for a scheduler address, or the current one."""
    import distributed  # the distributed scheduler only when this path is used

    if client is None:
        return distributed.get_client()
    if isinstance(client, str):
        return distributed.Client(client)
    return client


def predict_raster_distributed(
    bundle_dir: str | os.PathLike,
    stack_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    client: Any = None,
    plan: TilingPlan | None = None,
    block_rows: int = 8,
    block_batches: int = 4,
    **tiling: Any,
) -> PredictionResult:
    """:func:`~fcad_lib.predict.predict_raster` with blocks of tiles run on a Dask cluster.

    Parameters
    ----------
    bundle_dir : str or os.PathLike
        Model bundle folder; workers load it from this path (it must be readable there).
    stack_path : str or os.PathLike
        Factor-stack GeoTIFF, readable by every worker.
    out_dir : str or os.PathLike
        Output folder; block files go to ``out_dir/.partial/<run key>/`` (shared with the
        workers). Final files as :func:`~fcad_lib.predict.predict_raster`.
    client : distributed.Client or str, optional
        The cluster: a client, a scheduler address (``"tcp://host:8786"``), or ``None`` for the
        current client (:func:`distributed.get_client`).
    plan : TilingPlan, optional
        As in :func:`~fcad_lib.predict.predict_raster`; else built from ``**tiling``.
    block_rows : int
        Tile rows per block.
    block_batches : int
        Tile columns per block, in batches (a multiple of ``batch_size`` keeps the model's
        batches, and so the result, identical to the sequential predictor's).
    **tiling
        ``tile``, ``overlap``, ``batch_size``, ``threshold``, ``window_fn`` as in
        :func:`~fcad_lib.predict.predict_raster`.

    Returns
    -------
    PredictionResult
        Paths of the probability and binary map, identical to the sequential predictor's.
    """
    bundle_dir, stack_path, out_dir = Path(bundle_dir), Path(stack_path), Path(out_dir)
    # The client needs the tiling only: no model (and no TensorFlow) in this process.
    preprocessing = Preprocessing.from_json(bundle_dir / PREPROCESSING_FILE)
    plan = resolve_plan(preprocessing, plan, tiling)
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
        src, _ = open_factor_stack(stack_path)
        with src:
            layout = plan.layout(src.height, src.width)
            check_method(plan.uncertainty, preprocessing.channels)  # before any task starts
        partial = out_dir / PARTIAL
        work = work_folder(out_dir, bundle_dir, stack_path, tile=plan.tile, overlap=plan.overlap,
                           window=plan.window_fn, batch=plan.batch_size, rows=block_rows,
                           cols=block_batches, **plan.uncertainty_key())
        work.mkdir(parents=True, exist_ok=True)
        chunks = column_chunks(layout, block_batches * plan.batch_size)
        n_rows = len(layout.rows)
        row_blocks = [(k0, min(k0 + block_rows, n_rows)) for k0 in range(0, n_rows, block_rows)]
        todo = [(k0, k1, j0, j1) for k0, k1 in row_blocks for j0, j1 in chunks
                if not (work / f"{_block_name(k0, j0)}.npy").exists()]
        if todo:
            cl = _get_client(client)
            futures = [cl.submit(predict_block, str(bundle_dir.resolve()),
                                 str(stack_path.resolve()), plan, block, str(work.resolve()),
                                 pure=False)
                       for block in todo]
            cl.gather(futures)  # raises the first worker error

        def chunk(k: int, j0: int, j1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            k0 = k - k % block_rows
            r0, r1 = layout.strip_rows(k)
            name = _block_name(k0, j0)
            vsum = np.stack([np.load(work / f"{name}{suffix}.npy", mmap_mode="r")[k - k0, : r1 - r0]
                             for suffix in BAND_SUFFIXES[: plan.bands]])
            valid = np.load(work / f"{name}_valid.npy", mmap_mode="r")[k - k0, : r1 - r0]
            return vsum, chunk_weights(layout, k, j0, j1, plan.weights), np.array(valid)

        with rasterio.open(stack_path) as src, \
                band_rasters(work, src, plan, create=True) as dsts:
            carry = None
            for k in range(n_rows):
                carry = accumulate_strip(layout, k, chunks, chunk, carry, dsts)
        partial.mkdir(parents=True, exist_ok=True)
        for name in BAND_FILES[: plan.bands]:
            os.replace(work / name, partial / name)
        return finish(partial, out_dir, plan, n_rows * len(layout.cols))
