"""The target grid of a study area, and putting layers onto it.

Layers are always warped with ``rasterio.warp.reproject`` (GDAL), never cut by array slicing, so
that a layer in another CRS or with another pixel size lands on the right cells.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import xarray as xr
from affine import Affine
from pyproj import CRS
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.transform import array_bounds
from rasterio.warp import reproject, transform_bounds
from shapely.geometry import box

from fcad_lib.data.manifest import StudyArea
from fcad_lib.data.readers import raster_georeference
from fcad_lib.errors import InventoryError, ManifestError, MissingCRSError, NoOverlapError

log = logging.getLogger(__name__)

Bounds = tuple[float, float, float, float]
# Snapping tolerance in pixels, so that bounds already on the lattice are not widened by rounding.
_SNAP_EPS = 1e-6


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid: CRS, affine transform (upper-left origin), width, height."""

    crs: CRS
    transform: Affine
    width: int
    height: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "crs", CRS.from_user_input(self.crs))
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"grid must have positive size, got {self.width} x {self.height}")

    @classmethod
    def from_bounds(cls, bounds: Bounds, crs: CRS | str, resolution: float) -> Grid:
        """Grid covering ``bounds`` with square ``resolution`` cells, snapped outward to a
        multiple of the resolution.

        Parameters
        ----------
        bounds : (xmin, ymin, xmax, ymax)
            In units of ``crs`` (metres for a projected CRS).
        crs : CRS or str
        resolution : float
            Cell size in CRS units.
        """
        if resolution <= 0:
            raise ValueError(f"resolution must be positive, got {resolution}")
        xmin, ymin, xmax, ymax = bounds
        if not (xmin < xmax and ymin < ymax):
            raise ValueError(f"empty bounds {bounds}")
        x0 = math.floor(xmin / resolution + _SNAP_EPS) * resolution
        y0 = math.floor(ymin / resolution + _SNAP_EPS) * resolution
        x1 = math.ceil(xmax / resolution - _SNAP_EPS) * resolution
        y1 = math.ceil(ymax / resolution - _SNAP_EPS) * resolution
        width = round((x1 - x0) / resolution)
        height = round((y1 - y0) / resolution)
        transform = Affine(resolution, 0.0, x0, 0.0, -resolution, y1)
        return cls(CRS.from_user_input(crs), transform, width, height)

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``."""
        return self.height, self.width

    @property
    def bounds(self) -> Bounds:
        """``(xmin, ymin, xmax, ymax)`` of the outer cell edges."""
        west, south, east, north = array_bounds(self.height, self.width, self.transform)
        return west, south, east, north

    @property
    def resolution(self) -> tuple[float, float]:
        """Cell size ``(dx, dy)``, both positive, in CRS units."""
        return abs(self.transform.a), abs(self.transform.e)

    def coords(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates ``(y, x)`` as 1-D arrays (y decreasing for north-up)."""
        t = self.transform
        x = t.c + t.a * (np.arange(self.width) + 0.5)
        y = t.f + t.e * (np.arange(self.height) + 0.5)
        return y, x


def _footprint_in(src_crs: CRS, src_bounds: Bounds, dst_crs: CRS) -> Bounds:
    """Bounding box of ``src_bounds`` in ``dst_crs`` (edges densified, so curved edges fit)."""
    return transform_bounds(src_crs, dst_crs, *src_bounds, densify_pts=21)


def _intersects(a: Bounds, b: Bounds) -> bool:
    return box(*a).intersection(box(*b)).area > 0


def warp_scale(src_crs: CRS, src_transform: Affine, width: int, height: int,
               grid: Grid) -> dict[str, float]:
    """GDAL's ``XSCALE``/``YSCALE`` warp options: target pixels per source pixel, per axis.

    GDAL otherwise derives the resampling kernel's width from the shape of each processed chunk,
    so a coarser target warped window by window (:mod:`fcad_lib.data.stack_build`) would differ
    from one warped whole. Fixing the scale to the ratio of pixel sizes makes both the same.
    """
    west, south, east, north = _footprint_in(src_crs, array_bounds(height, width, src_transform),
                                             grid.crs)
    dx, dy = grid.resolution
    return {"XSCALE": (east - west) / width / dx, "YSCALE": (north - south) / height / dy}


def reproject_to_grid(
    da: xr.DataArray,
    grid: Grid,
    resampling: Literal["bilinear", "nearest"] = "bilinear",
    src_nodata: float = np.nan,
) -> np.ndarray:
    """Warp a georeferenced ``DataArray`` onto ``grid``.

    Parameters
    ----------
    da : xarray.DataArray
        2-D, with ``rio`` CRS and transform (as the readers return).
    grid : Grid
    resampling : {"bilinear", "nearest"}
        Bilinear for continuous factors, nearest for categorical ones.
    src_nodata : float
        Source no-data value (NaN from the readers); never interpolated into valid cells.

    Returns
    -------
    numpy.ndarray
        float32 of ``grid.shape``; NaN wherever the source has no data or no coverage.

    Raises
    ------
    MissingCRSError
        ``da`` has no CRS.
    NoOverlapError
        The source footprint, transformed to the grid CRS, does not intersect the grid.
    """
    path = da.attrs.get("source_path")
    if da.rio.crs is None:
        raise MissingCRSError(path, "array has no CRS; cannot reproject")
    src_crs = CRS.from_user_input(da.rio.crs.to_wkt())
    src_transform = da.rio.transform()
    height, width = da.shape
    src_bounds = array_bounds(height, width, src_transform)
    footprint = _footprint_in(src_crs, src_bounds, grid.crs)
    if not _intersects(footprint, grid.bounds):
        raise NoOverlapError(
            path,
            f"footprint {tuple(round(v, 3) for v in footprint)} in {grid.crs.to_string()} "
            f"does not intersect the grid {tuple(round(v, 3) for v in grid.bounds)}",
        )
    source = np.asarray(da.values, dtype=np.float32)
    destination = np.full(grid.shape, np.nan, dtype=np.float32)
    reproject(
        source=source,
        destination=destination,
        src_transform=src_transform,
        src_crs=src_crs.to_wkt(),
        src_nodata=src_nodata,
        dst_transform=grid.transform,
        dst_crs=grid.crs.to_wkt(),
        dst_nodata=np.nan,
        resampling=Resampling[resampling],
        **warp_scale(src_crs, src_transform, width, height, grid),
    )
    return destination


def rasterize_inventory(
    gdf: gpd.GeoDataFrame, grid: Grid, values: np.ndarray | None = None
) -> np.ndarray:
    """Burn inventory polygons into a ``uint8`` mask on ``grid`` (1 = landslide).

    A cell is 1 when its centre lies inside a polygon (GDAL's default rule). With ``values``
    (one uint8 code per row of ``gdf``, 1..255), each polygon burns its own code instead, e.g.
    a landslide type.

    Raises
    ------
    MissingCRSError
        ``gdf`` has no CRS.
    InventoryError
        No polygon intersects the grid (the error names ``gdf.attrs['source_path']``).
    """
    path = gdf.attrs.get("source_path")
    if gdf.crs is None:
        raise MissingCRSError(path, "inventory has no CRS")
    projected = gdf.to_crs(grid.crs)
    geoms = projected.geometry
    codes = np.ones(len(gdf), "uint8") if values is None else np.asarray(values, "uint8")
    keep = (geoms.notna() & ~geoms.is_empty & geoms.intersects(box(*grid.bounds))).to_numpy()
    inside, codes = geoms[keep], codes[keep]
    if inside.empty:
        raise InventoryError(
            path,
            f"none of {len(gdf)} polygons intersects the grid {grid.bounds} "
            f"({grid.crs.to_string()})",
        )
    mask = rasterize(
        zip(inside, codes.tolist(), strict=True),
        out_shape=grid.shape,
        transform=grid.transform,
        fill=0,
        dtype="uint8",
    )
    if not mask.any():
        log.warning("%s: %d polygons overlap the grid but none covers a cell centre",
                    path, len(inside))
    return mask


def target_grid(area: StudyArea, resolution_m: float | None = None) -> Grid:
    """The aligned-stack grid of ``area``.

    Bounds are the area's ``bounds`` or else the intersection of its raster layers' footprints
    transformed into the area's CRS; snapped outward to ``resolution_m`` (default: the area's).

    Raises
    ------
    ManifestError
        No resolution, or neither bounds nor raster layers.
    NoOverlapError
        The raster layers' footprints do not intersect.
    """
    resolution = resolution_m if resolution_m is not None else area.resolution_m
    if resolution is None:
        raise ManifestError(area.manifest_path, f"area {area.name!r}: no resolution_m given")
    crs = CRS.from_user_input(area.crs)
    if area.bounds is not None:
        return Grid.from_bounds(area.bounds, crs, resolution)
    if not area.raster_layers:
        raise ManifestError(
            area.manifest_path, f"area {area.name!r}: needs bounds or at least one raster layer"
        )
    region = None
    for layer in area.raster_layers:
        src_crs, transform, width, height = raster_georeference(layer)
        fp = box(*_footprint_in(src_crs, array_bounds(height, width, transform), crs))
        if region is None:
            region = fp
        elif region.intersection(fp).area > 0:
            region = region.intersection(fp)
        else:
            raise NoOverlapError(
                layer.path, f"footprint does not overlap the other layers of area {area.name!r}"
            )
    return Grid.from_bounds(region.bounds, crs, resolution)
