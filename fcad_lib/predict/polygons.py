"""Landslide polygons of a binary map, window by window: vectorise, zonal mean, GeoPackage."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
from rasterio.features import shapes
from rasterio.windows import Window
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry import shape

from fcad_lib.data.geotiff import atomic_path
from fcad_lib.data.stack_build import window_transform

#: 4-connectivity, as :func:`rasterio.features.shapes` traces regions.
_CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]])
#: Side of the square windows of the map vectorised at a time (pixels).
VECTOR_BLOCK = 4096
#: Timestamp GDAL writes into a GeoPackage (``gpkg_contents.last_change``) instead of the clock,
#: so that a re-run with the same inputs writes the same bytes.
GPKG_DATE = "2000-01-01T00:00:00.000Z"
#: Default smallest polygon, in pixels: most one- to three-pixel regions of a thresholded
#: probability map are noise, not landslides (``min_area_m2`` overrides it).
MIN_POLYGON_PX = 4


@dataclass
class _Pieces:
    """Per window-label (global id = position + 1): first pixel; per zonal raster sum and count."""

    first: list[np.ndarray] = field(default_factory=list)
    sums: dict[str, list[np.ndarray]] = field(default_factory=dict)
    counts: dict[str, list[np.ndarray]] = field(default_factory=dict)
    edges: list[np.ndarray] = field(default_factory=list)


def _windows(height: int, width: int, size: int) -> list[Window]:
    return [Window(c0, r0, min(size, width - c0), min(size, height - r0))
            for r0 in range(0, height, size) for c0 in range(0, width, size)]


def _label_window(src: Any, win: Window) -> tuple[np.ndarray, int]:
    """4-connected landslide regions of one window (``int64`` labels from 1, and their count)."""
    labels, n = ndimage.label(src.read(1, window=win) == 1, structure=_CROSS)
    return labels.astype("int64"), n


def _first_pass(src: Any, zonal: dict[str, Any], size: int) -> tuple[_Pieces, int, list[Window]]:
    """Label each window; record every piece's first pixel, zonal sums and cross-border links."""
    pieces, offset = _Pieces(), 0
    windows = _windows(src.height, src.width, size)
    above = np.zeros(src.width, "int64")  # global labels of the row above the current windows
    left = None
    for win in windows:
        r0, c0, w = int(win.row_off), int(win.col_off), int(win.width)
        labels, n = _label_window(src, win)
        g = np.where(labels > 0, labels + offset, 0)
        flat = labels.ravel()
        ids, idx = np.unique(flat, return_index=True)
        first = np.zeros(n + 1, "int64")
        first[ids] = (r0 + idx // w) * src.width + c0 + idx % w  # raster order over the map
        pieces.first.append(first[1:])
        for column, zsrc in zonal.items():
            values = zsrc.read(1, window=win).astype("float64")
            finite = np.isfinite(values)
            pieces.sums.setdefault(column, []).append(np.bincount(
                flat, weights=np.where(finite, values, 0).ravel(), minlength=n + 1)[1:])
            pieces.counts.setdefault(column, []).append(
                np.bincount(flat, weights=finite.ravel(), minlength=n + 1)[1:])
        # Regions that cross a window border: pixels on both sides of it are landslide.
        links = [np.stack([g[0], above[c0 : c0 + w]])] if r0 else []
        if c0 and left is not None:
            links.append(np.stack([g[:, 0], left]))
        for pair in links:
            pieces.edges.append(pair[:, (pair[0] > 0) & (pair[1] > 0)])
        above[c0 : c0 + w] = g[-1]
        left = g[:, -1] if c0 + w < src.width else None
        offset += n
    return pieces, offset, windows


def _regions(pieces: _Pieces, n: int) -> tuple[np.ndarray, int]:
    """Region number (1.. in raster order of first pixel, as ``ndimage.label``) of every piece."""
    edges = np.concatenate(pieces.edges, axis=1) - 1 if pieces.edges else np.zeros((2, 0), int)
    graph = coo_matrix((np.ones(edges.shape[1]), (edges[0], edges[1])), shape=(n, n))
    n_comp, comp = connected_components(graph, directed=False)
    first = np.full(n_comp, np.iinfo("int64").max)
    np.minimum.at(first, comp, np.concatenate(pieces.first))
    rank = np.empty(n_comp, "int64")
    rank[np.argsort(first)] = np.arange(1, n_comp + 1)
    return rank[comp], n_comp


def vectorize(
    map_path: str | os.PathLike,
    min_area_m2: float | None = None,
    probability_path: str | os.PathLike | None = None,
    block_size: int = VECTOR_BLOCK,
    min_area_px: float = MIN_POLYGON_PX,
    uncertainty_path: str | os.PathLike | None = None,
) -> Any:
    """Landslide polygons of a binary map (one per 4-connected landslide region), by windows.

    The map is read in square windows. Regions are labelled per window with
    :func:`scipy.ndimage.label`, pieces that touch across a window border are joined
    (:func:`scipy.sparse.csgraph.connected_components`), each window's label image is polygonised
    with :func:`rasterio.features.shapes` (same 4-connectivity) and the pieces of a region are
    dissolved with :func:`shapely.union_all`. Regions are numbered in raster order of their first
    pixel, as a whole-map ``ndimage.label`` numbers them, so the result is that of the whole map;
    memory is one window plus one row of labels and the polygons.

    Parameters
    ----------
    map_path : str or os.PathLike
        ``landslide_map.tif`` (1 = landslide, 0 = not, 255 = nodata).
    min_area_m2 : float, optional
        Drop polygons smaller than this (square metres of the map's projected CRS); default
        ``min_area_px`` pixels.
    probability_path : str or os.PathLike, optional
        ``probability.tif``; when given, ``mean_probability`` = zonal mean inside each polygon
        (``NaN`` otherwise).
    block_size : int
        Side of the windows in pixels.
    min_area_px : float
        Smallest polygon in pixels when ``min_area_m2`` is None (:data:`MIN_POLYGON_PX`).
    uncertainty_path : str or os.PathLike, optional
        ``uncertainty.tif`` (:mod:`fcad_lib.predict.uncertainty`); when given, a
        ``mean_uncertainty`` column holds its zonal mean inside each polygon.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``geometry``, ``area_m2``, ``mean_probability`` (and ``mean_uncertainty``); CRS
        of the map.
    """
    with ExitStack() as stack:
        src = stack.enter_context(rasterio.open(map_path))
        zonal = {column: stack.enter_context(rasterio.open(path)) for column, path in
                 (("mean_probability", probability_path), ("mean_uncertainty", uncertainty_path))
                 if path is not None}
        pieces, n_pieces, windows = _first_pass(src, zonal, block_size)
        region, n = _regions(pieces, n_pieces)
        means = {"mean_probability": np.full(n + 1, np.nan)}
        for column in zonal if n else ():
            sums = np.bincount(region, weights=np.concatenate(pieces.sums[column]),
                               minlength=n + 1)
            counts = np.bincount(region, weights=np.concatenate(pieces.counts[column]),
                                 minlength=n + 1)
            with np.errstate(invalid="ignore", divide="ignore"):
                means[column] = sums / counts
        geoms, values, offset = [], [], 0
        lookup = np.concatenate([[0], region]).astype("int32")
        for win in windows:
            labels, k = _label_window(src, win)
            final = lookup[np.where(labels > 0, labels + offset, 0)]
            offset += k
            for geom, value in shapes(final, mask=final > 0, connectivity=4,
                                      transform=window_transform(win, src.transform)):
                geoms.append(shape(geom))
                values.append(int(value))
        crs = src.crs
        if min_area_m2 is None:
            min_area_m2 = min_area_px * abs(src.transform.a * src.transform.e)
    gdf = gpd.GeoDataFrame({"label": np.asarray(values, dtype="int64"), "geometry": geoms},
                           geometry="geometry", crs=crs)
    if len(windows) > 1 and len(gdf):  # dissolve the pieces of regions cut by window borders
        gdf = gdf.dissolve(by="label", aggfunc="first", sort=True).reset_index()
    gdf["area_m2"] = gdf.geometry.area
    columns = ["mean_probability", *(["mean_uncertainty"] if uncertainty_path else [])]
    for column in columns:
        values = means.get(column, means["mean_probability"])  # NaN when nothing was read
        gdf[column] = values[gdf["label"].to_numpy()] if len(gdf) else []
    gdf = gdf[gdf["area_m2"] >= min_area_m2].sort_values("label").reset_index(drop=True)
    return gdf[["geometry", "area_m2", *columns]]


@contextmanager
def fixed_gpkg_date(date: str = GPKG_DATE) -> Iterator[None]:
    """GDAL's ``OGR_CURRENT_DATE`` set to ``date`` inside the block, restored after.

    Set in the environment, not through one library's GDAL config: pyogrio and fiona each
    bundle their own GDAL, and every GDAL reads the environment when the option is asked for.
    """
    before = os.environ.get("OGR_CURRENT_DATE")
    os.environ["OGR_CURRENT_DATE"] = date
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OGR_CURRENT_DATE", None)
        else:
            os.environ["OGR_CURRENT_DATE"] = before


def write_polygons(gdf: Any, path: str | os.PathLike, layer: str = "landslides") -> Path:
    """Write polygons to a GeoPackage under a temporary name, then move it into place.

    The GeoPackage's timestamp is fixed (:data:`GPKG_DATE`), so the same polygons give the same
    bytes, run after run.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, fixed_gpkg_date():
        gdf.to_file(tmp, layer=layer, driver="GPKG")
    return path
