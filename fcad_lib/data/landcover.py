"""Land cover as one-hot factors of an aligned stack, and the DEM's native pixel size.

Land cover is not one of the paper's factors (Li et al. 2024 fuse deformation, optical bands
and terrain), so :func:`fcad_lib.data.study_area.load_study_area` leaves it out; areas that
have a ``landcover`` layer (Balakot, from BGR-EGHA/LSAT-TestData) add it here. Class codes are
nominal, so each becomes a 0/1 factor ``landcover_<code>`` (NaN where the class is unknown),
named by the manifest's ``classes``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from fcad_lib.data.grid import Grid, reproject_to_grid
from fcad_lib.data.manifest import StudyArea
from fcad_lib.data.readers import raster_georeference, read_layer
from fcad_lib.factors import LANDCOVER

__all__ = ["PREFIX", "add_landcover", "landcover_factors", "native_resolution_m"]

PREFIX = f"{LANDCOVER}_"


def native_resolution_m(area: StudyArea, role: str = "dem") -> float:
    """Pixel size (metres, x direction) of the file behind ``role``: its native resolution."""
    _, transform, _, _ = raster_georeference(area.layer(role))
    return float(abs(transform.a))


def landcover_factors(ds: xr.Dataset) -> list[str]:
    """The one-hot land-cover factors of a stack (after :func:`add_landcover`)."""
    return [f for f in ds.attrs["factors"] if f.startswith(PREFIX)]


def add_landcover(ds: xr.Dataset, area: StudyArea) -> xr.Dataset:
    """Add one 0/1 factor per land-cover class present in the stack's footprint.

    Parameters
    ----------
    ds : xarray.Dataset
        An aligned stack of ``area`` (:func:`fcad_lib.data.study_area.load_study_area`).
    area : StudyArea
        Its manifest entry, with a ``landcover`` layer (nearest-neighbour resampling).

    Returns
    -------
    xarray.Dataset
        A copy with ``landcover_<code>`` variables (float32: 1 in the class, 0 elsewhere, NaN
        without a class) appended to ``attrs["factors"]``, ``valid`` and-ed with a known class,
        and ``attrs["landcover_classes"]`` = ``{code: name}``.
    """
    layer = area.layer(LANDCOVER)
    grid = Grid(ds.rio.crs, ds.rio.transform(), ds.sizes["x"], ds.sizes["y"])
    values = reproject_to_grid(read_layer(layer), grid, "nearest")
    known = np.isfinite(values)
    codes = [int(c) for c in np.unique(values[known])]
    names = layer.classes or {}
    out = ds.copy()
    for code in codes:
        onehot = np.where(known, values == code, np.nan).astype(np.float32)
        out[f"{PREFIX}{code}"] = (("y", "x"), onehot, {
            "units": "1", "long_name": f"land cover: {names.get(code, f'class {code}')}"})
    out["valid"] = out["valid"] & known
    out.attrs["factors"] = [*ds.attrs["factors"], *(f"{PREFIX}{c}" for c in codes)]
    out.attrs["landcover_classes"] = {c: names.get(c, f"class {c}") for c in codes}
    return out
