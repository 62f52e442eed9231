"""Whole-area landslide mapping: windowed, overlap-blended inference to GeoTIFF and GeoPackage.

The factor stack (one multi-band GeoTIFF, :mod:`fcad_lib.data.stack_io`) is read window by window with
rasterio and never as a whole. Tiles of ``tile`` pixels overlap by ``overlap`` pixels; each tile's
probabilities are multiplied by a smooth 2-D weight window and accumulated into a probability-sum
and a weight-sum buffer; the blended probability is their ratio. The raster is processed in
horizontal *strips* (one row of tiles): only one strip of accumulators (``tile`` rows x raster
width) is held, the finished ``tile - overlap`` rows are written to the output after each strip and
the ``overlap`` rows still shared with the next strip are carried over. Memory is therefore flat in
the raster height and linear (small) in its width. See ``book/scaling.md``.

Edge tiles: tiles keep a regular stride; a tile that runs past the right or bottom raster border is
filled by *reflection* of the raster (``numpy.pad(mode="reflect")``) and only its inside part is
accumulated. Every tile is therefore the full ``tile`` size the model was trained on, and with
``overlap=0`` every pixel is covered by exactly one tile, so the blend equals plain tiling.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.enums
import rasterio.shutil
from rasterio.windows import Window

from fcad_lib.data.stack_io import BLOCK_SIZE, open_factor_stack, write_factor_stack
from fcad_lib.errors import FcadDataError

#: Binary-map nodata value (``uint8``).
MAP_NODATA = 255
#: Smallest weight of the blending window, so raster-border pixels (covered only by a tile edge)
#: still receive weight.
WINDOW_FLOOR = 1e-3
#: GDAL block cache while predicting (MB): bounds GDAL's share of memory whatever the raster size.
GDAL_CACHE_MB = 64
_PARTIAL = ".partial"


@dataclass(frozen=True)
class PredictionResult:
    """Paths written by :func:`predict_raster` (and :func:`predict_area`)."""

    probability: Path
    landslide_map: Path
    threshold: float
    tiles: int
    polygons: Path | None = None
    stack: Path | None = None


# --------------------------------------------------------------------------------------- windows
def weight_window(tile: int, overlap: int, kind: str = "hann") -> np.ndarray:
    """2-D blending weights of one tile (separable; ``float64``; values in ``(0, 1]``).

    Parameters
    ----------
    tile
        Tile size in pixels.
    overlap
        Overlap of neighbouring tiles in pixels. With ``overlap == 0`` no pixel is covered twice,
        the window is irrelevant and all-ones is returned (so the blend equals plain tiling bit for
        bit).
    kind
        ``"hann"`` (``sin^2`` taper), ``"triangle"`` (linear taper) or ``"none"`` (all ones = plain
        averaging of overlapping tiles). Weights never drop below :data:`WINDOW_FLOOR`.
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


def tile_origins(n: int, tile: int, overlap: int) -> list[int]:
    """Tile start offsets along one axis of ``n`` pixels (stride ``tile - overlap``).

    The last tile may run past ``n``; its outside part is reflection-padded.
    """
    stride = tile - overlap
    if n <= tile:
        return [0]
    return [k * stride for k in range(math.ceil((n - tile) / stride) + 1)]


def seam_score(prob: np.ndarray, tile: int, overlap: int = 0) -> float:
    """Mean absolute probability jump across tile borders / the same inside tiles.

    1 = no seams; larger = visible tile borders. Borders are the first and last pixel of every tile
    of the layout (``tile``, ``overlap``), in both directions; ``NaN`` pixels are ignored.
    """
    prob = np.asarray(prob, dtype="float64")

    def _axis_score(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        jump = np.abs(np.diff(a, axis=1))  # jump[:, c] is between columns c and c+1
        n = a.shape[1]
        edges = set()
        for o in tile_origins(n, tile, overlap):
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


# ------------------------------------------------------------------------------------- checks
def _needed_factors(preprocessing: Any) -> list[str]:
    """Raw factors the preprocessing reads (``factors``; falls back to ``channels``)."""
    factors = getattr(preprocessing, "factors", None) or preprocessing.channels
    return list(factors)


def _model_channels(model: Any) -> int | None:
    shape = model.input_shape
    if isinstance(shape, list):
        shape = shape[0]
    return shape[-1]


def check_compatible(model: Any, preprocessing: Any, stack_factors: Sequence[str]) -> list[int]:
    """Check model, preprocessing and stack agree; return the 1-based band of each needed factor.

    Raises
    ------
    ValueError
        If the model's input channel count differs from ``len(preprocessing.channels)``, or the
        stack lacks a factor the preprocessing needs. Bands are mapped by name, so a stack in
        another order is fine.
    """
    channels = list(preprocessing.channels)
    n_in = _model_channels(model)
    if n_in is not None and n_in != len(channels):
        raise ValueError(
            f"model expects {n_in} input channels but the preprocessing defines "
            f"{len(channels)}: {channels}"
        )
    needed = _needed_factors(preprocessing)
    missing = [f for f in needed if f not in stack_factors]
    if missing:
        raise ValueError(
            f"factor stack lacks factor(s) {missing} needed by the model (channels {channels}); "
            f"stack has {list(stack_factors)}"
        )
    return [list(stack_factors).index(f) + 1 for f in needed]


def _fingerprint(model: Any, stack_path: Path, **params: Any) -> str:
    """Hash of everything that determines the output, to refuse resuming a different run."""
    h = hashlib.sha256()
    st = stack_path.stat()
    h.update(json.dumps([str(stack_path.resolve()), st.st_size, st.st_mtime_ns, params],
                        sort_keys=True, default=str).encode())
    for w in model.get_weights():
        h.update(np.ascontiguousarray(w).tobytes())
    return h.hexdigest()


# --------------------------------------------------------------------------------- core pieces
def _reflect_index(start: int, length: int, n: int) -> np.ndarray:
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
class _Layout:
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
    def of(cls, height: int, width: int, tile: int, overlap: int) -> _Layout:
        """The tiling of a ``height`` x ``width`` raster."""
        return cls(height, width, tile, overlap, tile_origins(height, tile, overlap),
                   tile_origins(width, tile, overlap))

    def strip_rows(self, k: int) -> tuple[int, int]:
        """Raster rows [start, stop) covered by tile row ``k`` (clipped to the raster)."""
        r0 = self.rows[k]
        return r0, min(r0 + self.tile, self.height)

    def finished_rows(self, k: int) -> tuple[int, int]:
        """Rows no later tile row touches once tile row ``k`` is done."""
        r0 = self.rows[k]
        stop = self.height if k == len(self.rows) - 1 else r0 + self.stride
        return r0, min(stop, self.height)


def _predict_tile_row(
    model: Any,
    preprocessing: Any,
    src: rasterio.io.DatasetReader,
    bands: Sequence[int],
    names: Sequence[str],
    layout: _Layout,
    k: int,
    weights: np.ndarray,
    batch_size: int,
    on_tiles: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted probability and weight sums of tile row ``k`` over its (clipped) raster rows.

    Returns ``(psum, wsum, valid)``, each of shape ``(rows, width)``.
    """
    r0, r1 = layout.strip_rows(k)
    h, w, t = r1 - r0, layout.width, layout.tile
    # Rows of the tile row, reflected at the raster's bottom border like numpy.pad("reflect") of
    # the whole raster; only the rows these indices need are read.
    rows = _reflect_index(r0, t, layout.height)
    lo, hi = int(rows.min()), int(rows.max()) + 1
    raw = src.read(list(bands), window=Window(0, lo, w, hi - lo)).astype("float32", copy=False)
    x, valid = preprocessing.encode({n: raw[i] for i, n in enumerate(names)})
    cols = _reflect_index(0, layout.cols[-1] + t, w)
    x = np.asarray(x, dtype="float32")[rows - lo][:, cols]
    valid = np.asarray(valid, bool)[r0 - lo : r1 - lo]
    psum = np.zeros((h, w))
    wsum = np.zeros((h, w))
    cols = layout.cols
    for b in range(0, len(cols), batch_size):
        batch_cols = cols[b : b + batch_size]
        batch = np.stack([x[:, c : c + t] for c in batch_cols])
        prob = np.asarray(model.predict_on_batch(batch), dtype="float64")[..., 0]
        for p, c in zip(prob, batch_cols, strict=True):
            cw = min(t, w - c)
            psum[:, c : c + cw] += (p * weights)[:h, :cw]
            wsum[:, c : c + cw] += weights[:h, :cw]
        if on_tiles is not None:
            on_tiles(len(batch_cols))
    return psum, wsum, valid


def _blend(psum: np.ndarray, wsum: np.ndarray, valid: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = (psum / wsum).astype("float32")
    prob[~valid] = np.nan
    return prob


def _gtiff_profile(src: rasterio.io.DatasetReader, dtype: str, nodata: float) -> dict:
    return {
        "driver": "GTiff",
        "width": src.width,
        "height": src.height,
        "count": 1,
        "dtype": dtype,
        "crs": src.crs,
        "transform": src.transform,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": BLOCK_SIZE,
        "blockysize": BLOCK_SIZE,
        "BIGTIFF": "IF_SAFER",
    }


def _has_cog_driver() -> bool:
    with rasterio.Env() as env:
        return "COG" in env.drivers()


def _finalise(src_tif: Path, final: Path, predictor: int) -> None:
    """Copy an intermediate GeoTIFF to its final DEFLATE-compressed COG, atomically."""
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    try:
        if _has_cog_driver():
            rasterio.shutil.copy(src_tif, tmp, driver="COG", COMPRESS="DEFLATE",
                                 PREDICTOR=predictor, BLOCKSIZE=BLOCK_SIZE, BIGTIFF="IF_SAFER")
        else:  # tiled GTiff with internal overviews
            shutil.copyfile(src_tif, tmp)
            with rasterio.open(tmp, "r+") as ds:
                ds.build_overviews([2, 4, 8, 16], rasterio.enums.Resampling.nearest)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_map(prob_tif: Path, map_tif: Path, threshold: float) -> None:
    """Threshold the probability raster block-row by block-row into a uint8 map."""
    with rasterio.open(prob_tif) as src:
        profile = _gtiff_profile(src, "uint8", MAP_NODATA)
        with rasterio.open(map_tif, "w", **profile) as dst:
            for r0 in range(0, src.height, BLOCK_SIZE):
                win = Window(0, r0, src.width, min(BLOCK_SIZE, src.height - r0))
                p = src.read(1, window=win)
                m = np.where(np.isnan(p), MAP_NODATA, p >= threshold).astype("uint8")
                dst.write(m, 1, window=win)


# ---------------------------------------------------------------------------------- checkpoint
def _load_checkpoint(partial: Path, fingerprint: str) -> tuple[int, np.ndarray | None]:
    """Next tile row to process and the carried accumulator rows; restart if anything mismatches."""
    ckpt = partial / "checkpoint.json"
    try:
        state = json.loads(ckpt.read_text())
        if state["fingerprint"] != fingerprint or not (partial / "probability.tif").exists():
            raise ValueError("different run")
        done = int(state["strips_done"])
        carry = np.load(partial / state["carry"]) if state.get("carry") else None
        return done, carry
    except (OSError, ValueError, KeyError):
        shutil.rmtree(partial, ignore_errors=True)
        return 0, None


def _save_checkpoint(partial: Path, fingerprint: str, done: int, carry: np.ndarray) -> None:
    """Save carry under a per-strip name, then point the JSON at it (both atomic)."""
    name = f"carry_{done:06d}.npy"
    tmp = partial / f".{name}.tmp"
    with open(tmp, "wb") as f:
        np.save(f, carry)
    os.replace(tmp, partial / name)
    tmp_json = partial / ".checkpoint.json.tmp"
    tmp_json.write_text(json.dumps({"fingerprint": fingerprint, "strips_done": done,
                                    "carry": name}))
    os.replace(tmp_json, partial / "checkpoint.json")
    for old in partial.glob("carry_*.npy"):
        if old.name != name:
            old.unlink(missing_ok=True)


def _tiling(preprocessing: Any, tile: int | None, overlap: int, threshold: float | None,
            window_fn: str) -> tuple[int, float, np.ndarray]:
    """Tile size, threshold (the bundle's by default) and blending weights of one prediction."""
    tile = int(tile or preprocessing.patch_size)
    threshold = float(preprocessing.threshold if threshold is None else threshold)
    if not 0 <= overlap < tile:
        raise ValueError(f"overlap must be in [0, tile={tile}), got {overlap}")
    return tile, threshold, weight_window(tile, overlap, window_fn)


# -------------------------------------------------------------------------------- predict_raster
def predict_raster(
    model: Any,
    preprocessing: Any,
    stack_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    tile: int | None = None,
    overlap: int = 32,
    batch_size: int = 8,
    threshold: float | None = None,
    window_fn: str = "hann",
    progress: bool = True,
    on_strip_done: Callable[[int], None] | None = None,
) -> PredictionResult:
    """Map a whole factor stack with a trained model, tile by tile, blending overlaps.

    Parameters
    ----------
    model
        Keras model, input ``(tile, tile, len(preprocessing.channels))`` (or ``None`` spatial
        dims), output ``(tile, tile, 1)`` sigmoid probability.
    preprocessing
        Object with ``channels``, ``factors``, ``patch_size``, ``threshold`` and
        ``encode(factor_arrays) -> (X (H, W, C) float32, valid (H, W) bool)``
        (:class:`fcad_lib.samples.Preprocessing`).
    stack_path
        Factor-stack GeoTIFF (:func:`fcad_lib.data.stack_io.write_factor_stack`); bands are mapped to
        factors by their descriptions.
    out_dir
        Folder of ``probability.tif`` and ``landslide_map.tif``. Work in progress lives in
        ``out_dir/.partial`` (intermediate raster + checkpoint); final files are moved into place
        only when complete.
    tile
        Tile size in pixels; default ``preprocessing.patch_size``.
    overlap
        Overlap of neighbouring tiles in pixels (``0 <= overlap < tile``); 0 = plain tiling.
    batch_size
        Tiles per model call.
    threshold
        Probability threshold of the binary map; default ``preprocessing.threshold``.
    window_fn
        Blending weights: ``"hann"``, ``"triangle"`` or ``"none"`` (see :func:`weight_window`).
    progress
        Show a tqdm bar of tiles done / total.
    on_strip_done
        Called with the number of finished tile rows after each checkpoint (tests, monitoring).

    Returns
    -------
    PredictionResult
        Paths of the probability (``float32``, nodata ``NaN``) and binary map (``uint8`` 0/1,
        nodata 255) GeoTIFFs, both on exactly the stack's grid.

    Notes
    -----
    Re-running after an interruption resumes from the last finished strip when the model weights,
    stack and tiling parameters are unchanged (checked by a fingerprint), and starts afresh
    otherwise.
    """
    from tqdm import tqdm  # text bar: works in Jupyter without ipywidgets

    stack_path = Path(stack_path)
    out_dir = Path(out_dir)
    tile, threshold, weights = _tiling(preprocessing, tile, overlap, threshold, window_fn)
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / _PARTIAL

    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
        src, stack_factors = open_factor_stack(stack_path)
        with src:
            bands = check_compatible(model, preprocessing, stack_factors)
            names = _needed_factors(preprocessing)
            layout = _Layout.of(src.height, src.width, tile, overlap)
            n_tiles = len(layout.rows) * len(layout.cols)
            fp = _fingerprint(model, stack_path, tile=tile, overlap=overlap, window=window_fn,
                              channels=list(preprocessing.channels), factors=names,
                              mean=np.asarray(getattr(preprocessing, "mean", [])).tolist(),
                              std=np.asarray(getattr(preprocessing, "std", [])).tolist())
            done, carry = _load_checkpoint(partial, fp)
            partial.mkdir(parents=True, exist_ok=True)
            prob_tif = partial / "probability.tif"
            if done == 0:
                with rasterio.open(prob_tif, "w", **_gtiff_profile(src, "float32", np.nan)):
                    pass
            bar = tqdm(total=n_tiles, initial=done * len(layout.cols), unit="tile",
                       desc="tiles", disable=not progress)
            try:
                for k in range(done, len(layout.rows)):
                    psum, wsum, valid = _predict_tile_row(
                        model, preprocessing, src, bands, names, layout, k, weights,
                        batch_size, on_tiles=bar.update)
                    if carry is not None:  # rows shared with the previous tile row
                        psum[: carry.shape[1]] += carry[0]
                        wsum[: carry.shape[1]] += carry[1]
                    r0, r1 = layout.finished_rows(k)
                    n = r1 - r0
                    # Reopened per strip: closing flushes, so the checkpoint never runs ahead
                    # of the bytes on disk.
                    with rasterio.open(prob_tif, "r+") as dst:
                        dst.write(_blend(psum[:n], wsum[:n], valid[:n]), 1,
                                  window=Window(0, r0, layout.width, n))
                    carry = np.stack([psum[n:], wsum[n:]])
                    _save_checkpoint(partial, fp, k + 1, carry)
                    if on_strip_done is not None:
                        on_strip_done(k + 1)
            finally:
                bar.close()

        map_tif = partial / "landslide_map.tif"
        _write_map(prob_tif, map_tif, threshold)
        prob_final, map_final = out_dir / "probability.tif", out_dir / "landslide_map.tif"
        _finalise(prob_tif, prob_final, predictor=3)
        _finalise(map_tif, map_final, predictor=2)
    shutil.rmtree(partial, ignore_errors=True)
    return PredictionResult(prob_final, map_final, threshold, n_tiles)


# ----------------------------------------------------------------------------------- dask path
def _dask_block(
    model: Any, preprocessing: Any, stack_path: Path, layout: _Layout, k0: int, k1: int,
    weights: np.ndarray, batch_size: int, block_file: Path,
) -> Path:
    """Accumulate tile rows ``[k0, k1)`` into one block file (``psum``, ``wsum``, ``valid``)."""
    src, factors = open_factor_stack(stack_path)  # one handle per task: not thread-safe
    with src:
        bands = check_compatible(model, preprocessing, factors)
        names = _needed_factors(preprocessing)
        r_start = layout.rows[k0]
        r_stop = layout.strip_rows(k1 - 1)[1]
        psum = np.zeros((r_stop - r_start, layout.width))
        wsum = np.zeros_like(psum)
        valid = np.zeros(psum.shape, bool)
        for k in range(k0, k1):
            p, w, v = _predict_tile_row(model, preprocessing, src, bands, names, layout, k,
                                        weights, batch_size)
            a, b = (r - r_start for r in layout.strip_rows(k))
            psum[a:b] += p
            wsum[a:b] += w
            valid[a:b] = v
    tmp = block_file.with_name(block_file.name + ".tmp.npz")
    np.savez(tmp, psum=psum, wsum=wsum, valid=valid, r_start=r_start)
    os.replace(tmp, block_file)
    return block_file


def predict_raster_dask(
    model: Any,
    preprocessing: Any,
    stack_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    tile: int | None = None,
    overlap: int = 32,
    batch_size: int = 8,
    threshold: float | None = None,
    window_fn: str = "hann",
    strips_per_block: int = 4,
    scheduler: str = "threads",
) -> PredictionResult:
    """:func:`predict_raster` with blocks of tile rows run as ``dask.delayed`` tasks.

    Each task accumulates ``strips_per_block`` tile rows into its own block file
    (``out_dir/.partial/block_*.npz``); a sequential merge then adds the ``overlap`` rows shared by
    neighbouring blocks and writes the outputs exactly as :func:`predict_raster` does (same result).
    Dask does the scheduling; the threaded scheduler shares one model between tasks (TensorFlow
    releases the GIL inside ops). Memory is one block per running task, so choose
    ``strips_per_block`` x tile x width x 17 bytes x workers within RAM. No checkpointing: a
    re-run recomputes the missing block files only.
    """
    import dask

    stack_path, out_dir = Path(stack_path), Path(out_dir)
    tile, threshold, weights = _tiling(preprocessing, tile, overlap, threshold, window_fn)
    partial = out_dir / _PARTIAL
    partial.mkdir(parents=True, exist_ok=True)
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
        src, factors = open_factor_stack(stack_path)
        with src:
            check_compatible(model, preprocessing, factors)
            layout = _Layout.of(src.height, src.width, tile, overlap)
            profile = _gtiff_profile(src, "float32", np.nan)
        n_rows = len(layout.rows)
        tasks = []
        for k0 in range(0, n_rows, strips_per_block):
            k1 = min(k0 + strips_per_block, n_rows)
            block_file = partial / f"block_{k0:06d}.npz"
            if not block_file.exists():
                tasks.append(dask.delayed(_dask_block)(model, preprocessing, stack_path, layout,
                                                       k0, k1, weights, batch_size, block_file))
        dask.compute(*tasks, scheduler=scheduler)

        prob_tif = partial / "probability.tif"
        with rasterio.open(prob_tif, "w", **profile) as dst:
            carry: tuple[int, np.ndarray, np.ndarray] | None = None  # (row, psum, wsum)
            blocks = sorted(partial.glob("block_*.npz"))
            for i, bf in enumerate(blocks):
                with np.load(bf) as z:
                    psum, wsum, valid, r_start = z["psum"], z["wsum"], z["valid"], int(z["r_start"])
                if carry is not None:
                    n = carry[1].shape[0]
                    psum[:n] += carry[1]
                    wsum[:n] += carry[2]
                last = i == len(blocks) - 1
                # rows also touched by the next block stay in the carry
                next_start = layout.height if last else layout.rows[(i + 1) * strips_per_block]
                n_done = next_start - r_start
                dst.write(_blend(psum[:n_done], wsum[:n_done], valid[:n_done]), 1,
                          window=Window(0, r_start, layout.width, n_done))
                carry = (next_start, psum[n_done:], wsum[n_done:])
        map_tif = partial / "landslide_map.tif"
        _write_map(prob_tif, map_tif, threshold)
        prob_final, map_final = out_dir / "probability.tif", out_dir / "landslide_map.tif"
        _finalise(prob_tif, prob_final, predictor=3)
        _finalise(map_tif, map_final, predictor=2)
    shutil.rmtree(partial, ignore_errors=True)
    return PredictionResult(prob_final, map_final, threshold, n_rows * len(layout.cols))


# ---------------------------------------------------------------------------------- polygons
def vectorize(
    map_path: str | os.PathLike,
    min_area_m2: float = 0.0,
    probability_path: str | os.PathLike | None = None,
) -> Any:
    """Landslide polygons of a binary map (one per 4-connected landslide region).

    The map is read whole (``uint8``, one byte per pixel, plus an ``int32`` label image), which
    keeps every polygon intact; vectorising per window would cut polygons at window borders and
    need a dissolve. Regions are labelled with :func:`scipy.ndimage.label` and the label image is
    polygonised with :func:`rasterio.features.shapes` (same 4-connectivity), so each polygon has a
    label for the zonal mean.

    Parameters
    ----------
    map_path
        ``landslide_map.tif`` (1 = landslide, 0 = not, 255 = nodata).
    min_area_m2
        Drop polygons smaller than this (square metres of the map's projected CRS).
    probability_path
        ``probability.tif``; when given, ``mean_probability`` = zonal mean inside each polygon
        (``NaN`` otherwise).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``geometry``, ``area_m2``, ``mean_probability``; CRS of the map.
    """
    import geopandas as gpd
    from rasterio.features import shapes
    from scipy import ndimage
    from shapely.geometry import shape

    with rasterio.open(map_path) as src:
        landslide = src.read(1) == 1
        transform, crs = src.transform, src.crs
    labels, n = ndimage.label(landslide, structure=[[0, 1, 0], [1, 1, 1], [0, 1, 0]])
    labels = labels.astype("int32")
    mean_p = np.full(n + 1, np.nan)
    if probability_path is not None and n:
        with rasterio.open(probability_path) as src:
            prob = src.read(1).astype("float64")
        finite = np.isfinite(prob)
        flat = labels.ravel()
        sums = np.bincount(flat, weights=np.where(finite, prob, 0).ravel(), minlength=n + 1)
        counts = np.bincount(flat, weights=finite.ravel(), minlength=n + 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_p = sums / counts
    geoms, values = [], []
    for geom, value in shapes(labels, mask=labels > 0, connectivity=4, transform=transform):
        geoms.append(shape(geom))
        values.append(int(value))
    gdf = gpd.GeoDataFrame(
        {"label": np.asarray(values, dtype="int64"), "geometry": geoms},
        geometry="geometry",
        crs=crs,
    )
    gdf["area_m2"] = gdf.geometry.area
    gdf["mean_probability"] = mean_p[gdf["label"].to_numpy()] if len(gdf) else []
    gdf = gdf[gdf["area_m2"] >= min_area_m2].sort_values("label").reset_index(drop=True)
    return gdf[["geometry", "area_m2", "mean_probability"]]


def write_polygons(gdf: Any, path: str | os.PathLike, layer: str = "landslides") -> Path:
    """Write polygons to a GeoPackage under a temporary name, then move it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}.gpkg")
    try:
        gdf.to_file(tmp, layer=layer, driver="GPKG")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


# ----------------------------------------------------------------------------------- high level
def predict_area(
    bundle_dir: str | os.PathLike,
    area_or_stack: str | os.PathLike,
    out_dir: str | os.PathLike,
    resolution_m: float | None = None,
    min_area_m2: float = 0.0,
    **kwargs: Any,
) -> PredictionResult:
    """Bundle + study area (manifest name) or factor-stack GeoTIFF -> maps and polygons.

    An area name is loaded with :func:`fcad_lib.data.study_area.load_study_area` and written to
    ``out_dir/factors.tif`` first. ``kwargs`` go to :func:`predict_raster`. Writes
    ``probability.tif``, ``landslide_map.tif`` and ``polygons.gpkg`` in ``out_dir``.
    """
    from fcad_lib.training.train import load_bundle

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model, preprocessing = load_bundle(bundle_dir)
    candidate = Path(area_or_stack)
    if candidate.suffix.lower() in (".tif", ".tiff") or candidate.is_file():
        stack = candidate
    else:
        from fcad_lib.data.study_area import load_study_area

        ds = load_study_area(str(area_or_stack), resolution_m=resolution_m)
        stack = write_factor_stack(ds, out_dir / "factors.tif")
    result = predict_raster(model, preprocessing, stack, out_dir, **kwargs)
    gdf = vectorize(result.landslide_map, min_area_m2=min_area_m2,
                    probability_path=result.probability)
    polygons = write_polygons(gdf, out_dir / "polygons.gpkg")
    return PredictionResult(result.probability, result.landslide_map, result.threshold,
                            result.tiles, polygons=polygons, stack=stack)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``fcad-predict MODEL_DIR AREA OUT_DIR [options]``."""
    parser = argparse.ArgumentParser(
        prog="fcad-predict", description="Whole-area landslide map from a trained model bundle."
    )
    parser.add_argument("model_dir", help="model bundle (model.keras + preprocessing.json)")
    parser.add_argument("area", help="manifest area name, or path to a factor-stack GeoTIFF")
    parser.add_argument("out_dir", help="output folder")
    parser.add_argument("--overlap", type=int, default=32, help="tile overlap in pixels")
    parser.add_argument("--threshold", type=float, default=None,
                        help="probability threshold (default: the bundle's)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--tile", type=int, default=None, help="tile size (default: patch size)")
    parser.add_argument("--window", default="hann", choices=["hann", "triangle", "none"])
    parser.add_argument("--resolution-m", type=float, default=None)
    parser.add_argument("--min-area-m2", type=float, default=0.0)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        result = predict_area(
            args.model_dir, args.area, args.out_dir, resolution_m=args.resolution_m,
            min_area_m2=args.min_area_m2, tile=args.tile, overlap=args.overlap,
            batch_size=args.batch_size, threshold=args.threshold, window_fn=args.window,
            progress=not args.no_progress,
        )
    except (FcadDataError, FileNotFoundError, ValueError) as exc:
        # bad input is the user's to fix: say what is wrong, without a traceback
        print(f"fcad-predict: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({k: str(v) for k, v in result.__dict__.items()}))
    return 0

