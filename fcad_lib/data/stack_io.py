"""Aligned factor stack <-> one multi-band GeoTIFF.

Whole-area prediction (:mod:`fcad_lib.predict`) reads the factors window by window with
rasterio, so the aligned stack of :func:`fcad_lib.data.study_area.load_study_area` is first
written as one tiled, compressed ``float32`` GeoTIFF with one band per factor. Band descriptions
carry the factor names, so readers map channels by *name*, never by band position.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rasterio
import xarray as xr
from rasterio.windows import Window

from fcad_lib.data.geotiff import BLOCK_SIZE, CreationOptions, atomic_path, tiled_profile
from fcad_lib.factors import FACTOR_ORDER

__all__ = ["BLOCK_SIZE", "open_factor_stack", "write_factor_stack"]


def _stack_factors(ds: xr.Dataset, factors: Sequence[str] | None) -> list[str]:
    """Factor names to write: explicit, else ``ds.attrs["factors"]``, else canonical present."""
    if factors is None:
        factors = ds.attrs.get("factors") or [f for f in FACTOR_ORDER if f in ds.data_vars]
    factors = list(factors)
    missing = [f for f in factors if f not in ds.data_vars]
    if missing:
        raise ValueError(
            f"factor stack: dataset has no variable(s) {missing}; available: {list(ds.data_vars)}"
        )
    if not factors:
        raise ValueError("factor stack: no factors to write")
    return factors


def write_factor_stack(
    ds: xr.Dataset,
    path: str | os.PathLike,
    factors: Sequence[str] | None = None,
    rows_per_write: int = BLOCK_SIZE,
) -> Path:
    """Write the aligned factor stack as one tiled, compressed multi-band GeoTIFF.

    Parameters
    ----------
    ds
        Aligned stack per the architecture contract: dims ``("y", "x")``, CRS and transform set
        with rioxarray, one ``float32`` variable per factor, ``NaN`` = missing.
    path
        Output file. Written under a temporary name in the same folder, then moved into place
        with :func:`os.replace`, so a reader never sees a half-written file.
    factors
        Factor names in band order; default ``ds.attrs["factors"]`` (canonical order).
    rows_per_write
        Rows copied per write; with dask-backed datasets only that many rows are in memory.

    Returns
    -------
    pathlib.Path
        The written file. Band ``i`` has description = factor name ``i``; nodata is ``NaN``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = _stack_factors(ds, factors)
    height, width = ds.sizes["y"], ds.sizes["x"]
    crs = ds.rio.crs
    transform = ds.rio.transform()
    # floating-point predictor 3: much better DEFLATE ratio on smooth fields
    profile = tiled_profile(width, height, len(names), "float32", crs, transform, np.nan,
                            options=CreationOptions(predictor=3), interleave="band")
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        for band, name in enumerate(names, start=1):
            dst.set_band_description(band, name)
            var = ds[name].transpose("y", "x")
            for row in range(0, height, rows_per_write):
                rows = min(rows_per_write, height - row)
                block = np.asarray(var.isel(y=slice(row, row + rows)).values, dtype="float32")
                dst.write(block, band, window=Window(0, row, width, rows))
    return path


def open_factor_stack(path: str | os.PathLike) -> tuple[rasterio.io.DatasetReader, list[str]]:
    """Open a factor-stack GeoTIFF written by :func:`write_factor_stack`.

    Returns
    -------
    (rasterio.io.DatasetReader, list of str)
        The open dataset (caller closes it, e.g. ``with`` on the first item) and the factor name of
        each band, read from the band descriptions.

    Raises
    ------
    ValueError
        If a band has no description (the file was not written as a factor stack).
    """
    src = rasterio.open(path)
    names = list(src.descriptions)
    if any(not n for n in names):
        src.close()
        raise ValueError(
            f"{path}: band descriptions {names} do not name every factor; "
            "write the stack with fcad_lib.data.stack_io.write_factor_stack"
        )
    return src, names
