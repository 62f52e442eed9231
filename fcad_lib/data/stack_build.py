"""The aligned factor stack of a study area, built block by block straight into a GeoTIFF.

:func:`fcad_lib.data.study_area.load_study_area` warps every layer onto the target grid in memory,
which a province (640 Mpx x 10 factors at 12.5 m) does not fit. :func:`build_factor_stack` writes
the same stack as ``write_factor_stack(load_study_area(area), path)`` one square block of the
target grid at a time:

* each raster layer is read only over the source window under the block (plus a margin wide
  enough for the resampling kernel) and warped onto the block with ``rasterio.warp.reproject``,
  with the same conversions as :func:`fcad_lib.data.readers.read_layer` (nodata -> NaN, rates to
  mm/yr, MintPy zero fill);
* slope, aspect and curvature are computed on the block's DEM plus a one-pixel halo, so they
  equal the whole-grid values (:mod:`fcad_lib.data.terrain` pads the grid's own border by edge
  values, and so does a block that touches it);
* lithology is resampled with nearest neighbour per block, like any categorical layer.

Memory is a few blocks of ``block_size**2`` pixels, whatever the area. See ``book/scaling.md``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import h5py
import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS
from rasterio.enums import Resampling
from rasterio.transform import array_bounds
from rasterio.warp import reproject, transform_bounds
from rasterio.windows import Window
from shapely.geometry import box

from fcad_lib.data import terrain
from fcad_lib.data.generated import ensure_generated
from fcad_lib.data.geotiff import CreationOptions, atomic_path, tiled_profile
from fcad_lib.data.grid import Grid, target_grid, warp_scale
from fcad_lib.data.manifest import (
    Layer,
    Manifest,
    StudyArea,
    get_area,
    verify_area,
)
from fcad_lib.data.readers import raster_georeference, raster_units
from fcad_lib.data.units import (
    RATE_TO_MM_PER_YR,
    check_rate_magnitude,
    rate_factor,
    same_rate_unit,
)
from fcad_lib.errors import ManifestError, NoOverlapError
from fcad_lib.factors import FACTOR_ORDER, ROLE_FACTORS

#: Side of the square blocks of the target grid built at a time (pixels; a multiple of 256).
BUILD_BLOCK = 1024
#: Pixels of a layer read to check its rate magnitude (the check is a unit sanity check).
_CHECK_PIXELS = 1024 * 1024


class LayerWindows:
    """A raster layer of the manifest, read window by window with ``read_layer``'s conversions.

    Parameters
    ----------
    layer : Layer
        A raster layer (GDAL or MintPy HDF5).
    """

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self.crs, self.transform, self.width, self.height = raster_georeference(layer)
        self.mintpy = layer.format == "MintPy-HDF5"
        self._open()
        self.factor = self._rate_factor()

    def _open(self) -> None:
        if self.mintpy:
            self._h5 = h5py.File(self.layer.path, "r")
            name = self.layer.dataset or "velocity"
            self._data = self._h5[name]
            attrs = {k: (v.decode() if isinstance(v, bytes) else str(v))
                     for k, v in self._h5.attrs.items()}
            unit = self._data.attrs.get("UNIT")
            unit = unit.decode() if isinstance(unit, bytes) else unit
            self.units = unit or attrs.get("UNIT") or self.layer.units or ""
            nodata = attrs.get("NO_DATA_VALUE", "none")
            self.nodata = None if nodata.lower() in {"none", "nan", ""} else float(nodata)
        else:
            self._src = rasterio.open(self.layer.path)
            self.units = self.layer.units or raster_units(self.layer.path, self.layer.band)
            self.nodata = self.layer.nodata

    def _rate_factor(self) -> float:
        """Factor to mm/yr of a deformation rate (1 for other roles), as ``read_layer`` applies."""
        if self.layer.role != "deformation_rate":
            return 1.0
        if not self.mintpy:
            stated = raster_units(self.layer.path, self.layer.band)
            known = str(stated or "").strip().lower() in RATE_TO_MM_PER_YR
            if stated and self.layer.units and known and not same_rate_unit(stated,
                                                                           self.layer.units):
                raise ManifestError(self.layer.path, f"manifest declares units "
                                    f"{self.layer.units!r} but the file states {stated!r}")
        units = self.units or ""
        return 1.0 if units == "mm/yr" else rate_factor(units, self.layer.path)

    def close(self) -> None:
        """Close the file."""
        (self._h5 if self.mintpy else self._src).close()

    def read(self, window: Window) -> np.ndarray:
        """``float32`` values of a source window, NaN = no data, rates in mm/yr."""
        r0, c0 = int(window.row_off), int(window.col_off)
        r1, c1 = r0 + int(window.height), c0 + int(window.width)
        if self.mintpy:
            # Zero fill is a zero with a zero 4-neighbour (a zero region of >= 2 pixels, as
            # readers._mask_zero_fill labels it): one pixel of halo decides it exactly.
            h0, h1 = max(r0 - 1, 0), min(r1 + 1, self.height)
            g0, g1 = max(c0 - 1, 0), min(c1 + 1, self.width)
            v = np.asarray(self._data[h0:h1, g0:g1], dtype=np.float32)
            if self.nodata is not None:
                v[v == np.float32(self.nodata)] = np.nan
            v = _mask_zero_fill_local(v)[r0 - h0 : r1 - h0, c0 - g0 : c1 - g0]
        else:
            data = self._src.read(self.layer.band, window=window, masked=True)
            v = np.ma.filled(data.astype(np.float32), np.nan)
            if self.nodata is not None and not math.isnan(self.nodata):
                v[v == np.float32(self.nodata)] = np.nan
        if self.factor != 1.0:
            v = v * np.float32(self.factor)
        return v

    def check_magnitude(self) -> None:
        """``check_rate_magnitude`` on a decimated read of the whole layer (rates only)."""
        if self.layer.role != "deformation_rate":
            return
        step = max(1, math.ceil(math.sqrt(self.width * self.height / _CHECK_PIXELS)))
        if self.mintpy:
            v = np.asarray(self._data[::step, ::step], dtype=np.float32)
            if self.nodata is not None:
                v[v == np.float32(self.nodata)] = np.nan
            v = v * np.float32(self.factor)
        else:
            v = self.read(Window(0, 0, self.width, self.height)) if step == 1 else \
                self._decimated(step)
        check_rate_magnitude(v, self.layer.path, self.layer.name, self.units or "mm/yr")

    def _decimated(self, step: int) -> np.ndarray:
        shape = (max(1, self.height // step), max(1, self.width // step))
        data = self._src.read(self.layer.band, out_shape=shape, masked=True,
                              resampling=Resampling.nearest)
        v = np.ma.filled(data.astype(np.float32), np.nan)
        if self.nodata is not None and not math.isnan(self.nodata):
            v[v == np.float32(self.nodata)] = np.nan
        return v * np.float32(self.factor)


def _mask_zero_fill_local(values: np.ndarray) -> np.ndarray:
    """Zeros with a zero 4-neighbour set to NaN (MintPy's zero fill; single zeros are kept)."""
    zeros = values == 0
    if not zeros.any():
        return values
    p = np.pad(zeros, 1, constant_values=False)
    neighbour = p[:-2, 1:-1] | p[2:, 1:-1] | p[1:-1, :-2] | p[1:-1, 2:]
    out = values.copy()
    out[zeros & neighbour] = np.nan
    return out


def window_transform(window: Window, transform: Affine) -> Affine:
    """Affine transform of a window (``@``: affine's ``*`` for composition is deprecated)."""
    return transform @ Affine.translation(window.col_off, window.row_off)


def _window_bounds(window: Window, transform: Affine) -> tuple[float, float, float, float]:
    t = window_transform(window, transform)
    xs = (t.c, t.c + t.a * window.width)
    ys = (t.f, t.f + t.e * window.height)
    return min(xs), min(ys), max(xs), max(ys)


def warp_window(source: LayerWindows, grid: Grid, window: Window, resampling: str) -> np.ndarray:
    """One window of the target grid, warped from the source layer; NaN where not covered.

    Only the source window under the target window is read, widened by a margin that covers the
    resampling kernel (scaled by the zoom when the target is coarser), and the kernel's scale is
    fixed (:func:`warp_scale`), so every target pixel gets the value of a warp of the whole layer.
    """
    out = np.full((int(window.height), int(window.width)), np.nan, dtype=np.float32)
    bounds = transform_bounds(grid.crs, source.crs, *_window_bounds(window, grid.transform),
                              densify_pts=21)
    inv = ~source.transform
    xs, ys = zip(*(inv @ (x, y) for x in bounds[0::2] for y in bounds[1::2]), strict=True)
    zoom = max(1.0, (max(xs) - min(xs)) / window.width, (max(ys) - min(ys)) / window.height)
    margin = 2 * math.ceil(zoom) + 2
    c0 = max(0, math.floor(min(xs)) - margin)
    c1 = min(source.width, math.ceil(max(xs)) + margin)
    r0 = max(0, math.floor(min(ys)) - margin)
    r1 = min(source.height, math.ceil(max(ys)) + margin)
    if c1 <= c0 or r1 <= r0:
        return out
    src_win = Window(c0, r0, c1 - c0, r1 - r0)
    reproject(
        source=source.read(src_win),
        destination=out,
        src_transform=window_transform(src_win, source.transform),
        src_crs=source.crs.to_wkt(),
        src_nodata=np.nan,
        dst_transform=window_transform(window, grid.transform),
        dst_crs=grid.crs.to_wkt(),
        dst_nodata=np.nan,
        resampling=Resampling[resampling],
        **warp_scale(source.crs, source.transform, source.width, source.height, grid),
    )
    return out


def _check_overlap(source: LayerWindows, grid: Grid) -> None:
    """The same refusal as ``reproject_to_grid``: a layer that misses the grid entirely."""
    fp = transform_bounds(source.crs, grid.crs,
                          *array_bounds(source.height, source.width, source.transform),
                          densify_pts=21)
    if box(*fp).intersection(box(*grid.bounds)).area <= 0:
        raise NoOverlapError(source.layer.path, f"footprint {tuple(round(v, 3) for v in fp)} in "
                             f"{grid.crs.to_string()} does not intersect the grid "
                             f"{tuple(round(v, 3) for v in grid.bounds)}")


def grid_blocks(grid: Grid, block_size: int) -> Iterator[Window]:
    """Square windows of ``block_size`` covering the grid, row by row (edge blocks clipped)."""
    for r0 in range(0, grid.height, block_size):
        for c0 in range(0, grid.width, block_size):
            yield Window(c0, r0, min(block_size, grid.width - c0),
                         min(block_size, grid.height - r0))


def _halo(window: Window, grid: Grid) -> tuple[Window, slice, slice]:
    """The window grown by one pixel inside the grid, and the slices of the window within it."""
    r0, c0 = int(window.row_off), int(window.col_off)
    r1, c1 = r0 + int(window.height), c0 + int(window.width)
    h0, h1, g0, g1 = max(r0 - 1, 0), min(r1 + 1, grid.height), max(c0 - 1, 0), min(c1 + 1,
                                                                                   grid.width)
    return Window(g0, h0, g1 - g0, h1 - h0), slice(r0 - h0, r1 - h0), slice(c0 - g0, c1 - g0)


def _terrain_block(source: LayerWindows, grid: Grid, window: Window,
                   resampling: str) -> dict[str, np.ndarray]:
    """Elevation, slope, aspect and curvature of one window, from the DEM plus a halo."""
    halo, rows, cols = _halo(window, grid)
    dem = warp_window(source, grid, halo, resampling)
    dx, dy = grid.resolution
    out = {
        "elevation": dem,
        "slope": terrain.slope_horn(dem, dx, dy),
        "aspect": terrain.aspect_horn(dem, dx, dy),
        "curvature": terrain.curvature_zevenbergen_thorne(dem, dx, dy),
    }
    return {k: np.asarray(v, dtype=np.float32)[rows, cols] for k, v in out.items()}


def build_factor_stack(
    name_or_area: str | StudyArea,
    path: str | os.PathLike,
    manifest: Manifest | str | os.PathLike | None = None,
    resolution_m: float | None = None,
    verify: bool = True,
    block_size: int = BUILD_BLOCK,
) -> Path:
    """Write a study area's aligned factor stack block by block (bounded memory).

    Parameters
    ----------
    name_or_area : str or StudyArea
        An area name in ``manifest`` or an already parsed area.
    path : str or os.PathLike
        Output GeoTIFF; written under a temporary name and moved into place when complete.
    manifest : Manifest or path, optional
        Default: ``$FCAD_MANIFEST``, else ``data_manifest.yml`` in the working directory or
        one of its parents.
    resolution_m : float, optional
        Target pixel size in metres (default: the area's ``resolution_m``).
    verify : bool
        Check every file's sha256 first.
    block_size : int
        Side of the square blocks of the target grid processed at a time, in pixels.

    Returns
    -------
    pathlib.Path
        The stack: the same bands, band descriptions, grid and values as
        ``write_factor_stack(load_study_area(...), path)``.
    """
    area = name_or_area if isinstance(name_or_area, StudyArea) else get_area(name_or_area,
                                                                             manifest)
    ensure_generated(area)
    if verify:
        verify_area(area)
    grid = target_grid(area, resolution_m)
    roles = [r for r in ROLE_FACTORS if area.has(r)]
    factors = [f for f in FACTOR_ORDER if any(f in ROLE_FACTORS[r] for r in roles)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = tiled_profile(grid.width, grid.height, len(factors), "float32",
                            CRS.from_user_input(grid.crs).to_wkt(), grid.transform, np.nan,
                            options=CreationOptions(predictor=3), interleave="band")
    with ExitStack() as stack:
        sources = {}
        for role in roles:
            sources[role] = LayerWindows(area.layer(role))
            stack.callback(sources[role].close)
            _check_overlap(sources[role], grid)
            sources[role].check_magnitude()
        tmp = stack.enter_context(atomic_path(path))
        dst = stack.enter_context(rasterio.open(tmp, "w", **profile))
        for band, name in enumerate(factors, start=1):
            dst.set_band_description(band, name)
        for window in grid_blocks(grid, block_size):
            for role in roles:
                resampling = area.layer(role).resampling
                if role == "dem":
                    arrays = _terrain_block(sources[role], grid, window, resampling)
                else:
                    arrays = {ROLE_FACTORS[role][0]: warp_window(sources[role], grid, window,
                                                                 resampling)}
                for name, values in arrays.items():
                    dst.write(values, factors.index(name) + 1, window=window)
    return path
