"""``load_study_area``: every factor of a study area on one grid, as an ``xarray.Dataset``.

Contract (``book/architecture.md``): dims ``("y", "x")`` with cell-centre coords in the area's
projected CRS, one float32 variable per available factor in ``FACTOR_ORDER``, NaN for missing
data (never 0), ``valid`` where every factor is finite, ``label`` (uint8) when the area has an
inventory.
"""

from __future__ import annotations

import importlib
import logging
import os

import numpy as np
import xarray as xr

from fcad_lib.data.grid import Grid, rasterize_inventory, reproject_to_grid, target_grid
from fcad_lib.data.manifest import (
    ROLES,
    Manifest,
    StudyArea,
    ensure_generated,
    get_area,
    verify_area,
)
from fcad_lib.data.readers import read_inventory, read_layer
from fcad_lib.factors import FACTOR_ORDER

log = logging.getLogger(__name__)


# Manifest role -> factor(s) it yields.
ROLE_FACTORS = {
    "deformation_rate": ("deformation_rate",),
    "optical_B2": ("B2",),
    "optical_B3": ("B3",),
    "optical_B4": ("B4",),
    "optical_B8": ("B8",),
    "dem": ("elevation", "slope", "aspect", "curvature"),
    "lithology": ("lithology",),
}

FACTOR_UNITS = {
    "deformation_rate": "mm/yr",
    "B2": "1",
    "B3": "1",
    "B4": "1",
    "B8": "1",
    "elevation": "m",
    "slope": "degree",
    "aspect": "degree",
    "curvature": "1/m",
    "lithology": "1",
}

FACTOR_LONG_NAMES = {
    "deformation_rate": "LOS deformation rate (negative = away from the satellite)",
    "B2": "Sentinel-2 B2 (blue) reflectance",
    "B3": "Sentinel-2 B3 (green) reflectance",
    "B4": "Sentinel-2 B4 (red) reflectance",
    "B8": "Sentinel-2 B8 (near infrared) reflectance",
    "elevation": "elevation",
    "slope": "slope (Horn 1981)",
    "aspect": "aspect, clockwise from north (Horn 1981)",
    "curvature": "curvature (Zevenbergen & Thorne 1987)",
    "lithology": "lithology unit code",
}


def _terrain_factors(dem: np.ndarray, grid: Grid) -> dict[str, np.ndarray]:
    """Slope, aspect and curvature of the DEM as resampled onto the target grid."""
    # Imported here so the data layer stays importable on its own.
    terrain = importlib.import_module("fcad_lib.data.terrain")
    dx, dy = grid.resolution
    return {
        "elevation": dem,
        "slope": np.asarray(terrain.slope_horn(dem, dx, dy), dtype=np.float32),
        "aspect": np.asarray(terrain.aspect_horn(dem, dx, dy), dtype=np.float32),
        "curvature": np.asarray(
            terrain.curvature_zevenbergen_thorne(dem, dx, dy), dtype=np.float32
        ),
    }


def load_study_area(
    name_or_area: str | StudyArea,
    manifest: Manifest | str | os.PathLike[str] | None = None,
    resolution_m: float | None = None,
    verify: bool = True,
) -> xr.Dataset:
    """Load a study area as one aligned stack of factors.

    Parameters
    ----------
    name_or_area : str or StudyArea
        An area name in ``manifest`` or an already parsed area.
    manifest : Manifest or path, optional
        Default: ``$FCAD_MANIFEST`` or the repository's ``data_manifest.yml``.
    resolution_m : float, optional
        Target pixel size in metres (default: the area's ``resolution_m``).
    verify : bool
        Check every file's sha256 first (generated areas: against ``checksums.sha256``).

    Returns
    -------
    xarray.Dataset
        Factors in ``FACTOR_ORDER`` (float32, NaN = no data), ``valid`` (bool), ``label``
        (uint8) when there is an inventory; ``rio`` CRS and transform set; attrs ``area``,
        ``factors``, ``missing_roles``, ``resolution_m``, ``crs``.
    """
    area = name_or_area if isinstance(name_or_area, StudyArea) else get_area(name_or_area,
                                                                             manifest)
    ensure_generated(area)
    if verify:
        verify_area(area)
    grid = target_grid(area, resolution_m)
    log.info("area %r: grid %d x %d at %g m (%s)", area.name, grid.width, grid.height,
             grid.resolution[0], grid.crs.to_string())

    arrays: dict[str, np.ndarray] = {}
    for role in ROLE_FACTORS:
        if not area.has(role):
            continue
        layer = area.layer(role)
        log.info("reading %s (%s) with %s resampling", layer.name, layer.path, layer.resampling)
        values = reproject_to_grid(read_layer(layer), grid, layer.resampling)
        if role == "dem":
            arrays.update(_terrain_factors(values, grid))
        else:
            arrays[ROLE_FACTORS[role][0]] = values

    factors = [f for f in FACTOR_ORDER if f in arrays]
    y, x = grid.coords()
    data_vars = {
        f: (("y", "x"), arrays[f].astype(np.float32, copy=False),
            {"units": FACTOR_UNITS[f], "long_name": FACTOR_LONG_NAMES[f]})
        for f in factors
    }
    valid = np.ones(grid.shape, dtype=bool)
    for f in factors:
        valid &= np.isfinite(arrays[f])
    data_vars["valid"] = (("y", "x"), valid, {"long_name": "every factor is finite"})
    if area.has("inventory"):
        label = rasterize_inventory(read_inventory(area.layer("inventory")), grid)
        data_vars["label"] = (("y", "x"), label, {"long_name": "landslide (1) / other (0)",
                                                  "units": "1"})

    ds = xr.Dataset(data_vars, coords={"y": y, "x": x})
    ds = ds.rio.write_crs(grid.crs.to_wkt()).rio.write_transform(grid.transform)
    ds.attrs.update(
        area=area.name,
        factors=factors,
        missing_roles=[r for r in ROLES if not area.has(r)],
        resolution_m=float(grid.resolution[0]),
        crs=grid.crs.to_string(),
    )
    return ds
