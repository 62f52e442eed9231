"""Checks of a user's layer that no single reader can make: empty, spiky, misplaced, invalid.

Used when an area is registered (:mod:`fcad_lib.data.new_area`), so that a file that would give
a wrong or empty stack is named before any prediction; invalid polygons are also repaired by
:func:`fcad_lib.data.readers.read_inventory` whenever an inventory is read. Each refusal is an
:class:`~fcad_lib.errors.FcadDataError` naming the file; each finding that may be legitimate is a
:class:`LayerWarning`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from fcad_lib.errors import FcadDataError, InventoryError

#: A pixel further than this many MADs (median absolute deviations) from the median is a spike.
SPIKE_MADS = 20.0
#: Spikes are reported when they are at most this fraction of the valid pixels: more is the
#: layer's own distribution (heavy tails), not a few bad values.
MAX_SPIKE_FRACTION = 0.01
#: Median and MAD are estimated on at most about this many pixels (a regular subsample).
SPIKE_SAMPLE = 1_000_000

Bounds = tuple[float, float, float, float]


class LayerWarning(UserWarning):
    """A layer looks suspicious (spikes) or was repaired (invalid polygons); it is kept."""


def check_has_data(values: np.ndarray, path: str | os.PathLike[str], role: str) -> None:
    """Refuse a layer with no finite value (all nodata or NaN).

    Raises
    ------
    FcadDataError
        Naming ``path``: every pixel is nodata.
    """
    if not np.isfinite(values).any():
        raise FcadDataError(path, f"layer for role {role!r} has no data: every one of its "
                            f"{values.size} pixels is nodata or NaN")


def spike_count(values: np.ndarray, mads: float = SPIKE_MADS) -> tuple[int, float, float]:
    """Pixels beyond ``median +- mads * MAD`` and those bounds (``(0, nan, nan)`` if MAD is 0)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0, float("nan"), float("nan")
    sample = finite[:: max(1, finite.size // SPIKE_SAMPLE)].astype("float64")
    median = float(np.median(sample))
    mad = float(np.median(np.abs(sample - median)))
    if mad == 0:  # a constant layer (or mostly so): no scale to judge spikes by
        return 0, float("nan"), float("nan")
    lo, hi = median - mads * mad, median + mads * mad
    return int(np.count_nonzero((finite < lo) | (finite > hi))), lo, hi


def warn_spikes(values: np.ndarray, path: str | os.PathLike[str], role: str) -> int:
    """Warn (:class:`LayerWarning`) about a few pixels far outside the layer's own spread.

    A handful of values beyond median +- :data:`SPIKE_MADS` MAD is typically an undeclared
    nodata value (-9999, 32767) or sensor spikes, which would skew every statistic of the stack;
    it may also be real (a fast-moving patch of a deformation rate), so it is a warning only.

    Returns
    -------
    int
        The number of spike pixels reported (0 when none, or too many to be spikes).
    """
    n, lo, hi = spike_count(values)
    valid = int(np.isfinite(values).sum())
    if n == 0 or n > MAX_SPIKE_FRACTION * valid:
        return 0
    finite = values[np.isfinite(values)]
    outside = finite[(finite < lo) | (finite > hi)]
    warnings.warn(f"{path}: {role} has {n} pixel(s) ({n / valid:.3%} of its data) beyond "
                  f"median +- {SPIKE_MADS:g} MAD ({lo:.4g} .. {hi:.4g}), from {outside.min():.4g} "
                  f"to {outside.max():.4g}: spikes, a nodata value the file does not "
                  "declare, or real extremes? check them",
                  LayerWarning, stacklevel=2)
    return n


def _polygonal(geom: Any) -> Any:
    """The polygonal part of a repaired geometry (a collection may also hold lines, points)."""
    if geom is None or isinstance(geom, Polygon | MultiPolygon):
        return geom
    polys = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon | MultiPolygon)]
    return shapely.union_all(polys) if polys else None


def repair_polygons(geometries: Any) -> tuple[Any, int]:
    """Invalid (e.g. self-intersecting) polygons repaired with :func:`shapely.make_valid`.

    Parameters
    ----------
    geometries : geopandas.GeoSeries
        Polygons and multipolygons.

    Returns
    -------
    (geopandas.GeoSeries, int)
        The geometries (polygonal parts only where repaired) and the number repaired.
    """
    invalid = geometries.notna() & ~geometries.is_valid
    n = int(invalid.sum())
    if n:
        geometries = geometries.copy()
        repaired = [_polygonal(g) for g in shapely.make_valid(geometries[invalid].to_numpy())]
        geometries[invalid] = repaired
    return geometries, n


def check_inventory_inside(inventory: Any, footprints: Sequence[Bounds], crs: str,
                           path: str | os.PathLike[str], area: str) -> None:
    """Refuse an inventory none of whose polygons lies inside the rasters' common footprint.

    Parameters
    ----------
    inventory : geopandas.GeoDataFrame
        The inventory (any CRS).
    footprints : sequence of bounds
        Each raster layer's bounds in ``crs``; the area is their intersection.
    crs : str
        The area's CRS.
    path : path
        The inventory file (named in the error).
    area : str
        The area's name.

    Raises
    ------
    InventoryError
        No polygon intersects the area (wrong file, or a CRS declared wrongly).
    """
    if not footprints:
        return
    region = box(*footprints[0])
    for bounds in footprints[1:]:
        region = region.intersection(box(*bounds))
    if region.is_empty:  # rasters that do not overlap: the grid's own error names them
        return
    polygons = inventory.to_crs(crs)
    if polygons.intersects(region).any():
        return

    def text(b: Sequence[float]) -> str:
        return ", ".join(f"{v:.0f}" for v in b)

    raise InventoryError(path, f"none of its {len(polygons)} polygon(s) lies inside area "
                         f"{area!r}: the inventory covers ({text(polygons.total_bounds)}) and "
                         f"the rasters ({text(region.bounds)}) in {crs}; wrong file or CRS?")
