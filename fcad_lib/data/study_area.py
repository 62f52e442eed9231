"""``load_study_area``: every factor of a study area on one grid, as an ``xarray.Dataset``.

Contract (``book/architecture.md``): dims ``("y", "x")`` with cell-centre coords in the area's
projected CRS, one float32 variable per available factor in ``FACTOR_ORDER``, NaN for missing
data (never 0), ``valid`` where every factor is finite, ``label`` (uint8) when the area has an
inventory.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import xarray as xr

from fcad_lib.data import terrain
from fcad_lib.data.generated import ensure_generated
from fcad_lib.data.grid import Grid, rasterize_inventory, reproject_to_grid, target_grid
from fcad_lib.data.manifest import (
    Layer,
    Manifest,
    StudyArea,
    get_area,
    verify_area,
)
from fcad_lib.data.readers import MAX_UPSAMPLING, native_pixel_size, read_inventory, read_layer
from fcad_lib.errors import FcadDataError
from fcad_lib.factors import FACTOR_LONG_NAMES, FACTOR_ORDER, FACTOR_UNITS, ROLE_FACTORS, ROLES

log = logging.getLogger(__name__)

#: A layer with data on less than this fraction of the grid is refused (all nodata, or barely
#: overlapping the other layers): its factor would make almost every pixel invalid.
MIN_LAYER_VALID_FRACTION = 0.05


def _terrain_factors(dem: np.ndarray, grid: Grid) -> dict[str, np.ndarray]:
    """Slope, aspect and curvature of the DEM as resampled onto the target grid."""
    dx, dy = grid.resolution
    return {
        "elevation": dem,
        "slope": np.asarray(terrain.slope_horn(dem, dx, dy), dtype=np.float32),
        "aspect": np.asarray(terrain.aspect_horn(dem, dx, dy), dtype=np.float32),
        "curvature": np.asarray(
            terrain.curvature_zevenbergen_thorne(dem, dx, dy), dtype=np.float32
        ),
    }


def check_layer_on_grid(layer: Layer, values: np.ndarray, grid: Grid) -> float:
    """Refuse a layer with too little data on the grid; warn when the grid up-samples it.

    Returns
    -------
    float
        The fraction of grid cells where the layer is finite.

    Raises
    ------
    FcadDataError
        The fraction is below :data:`MIN_LAYER_VALID_FRACTION`, naming the layer.
    """
    fraction = float(np.isfinite(values).mean())
    if fraction < MIN_LAYER_VALID_FRACTION:
        raise FcadDataError(layer.path, f"layer {layer.name!r} ({layer.role}) has data on "
                            f"{fraction:.1%} of the grid, below {MIN_LAYER_VALID_FRACTION:.0%}: "
                            "all nodata, or barely overlapping the other layers")
    native = native_pixel_size(layer, grid.crs)
    if native / grid.resolution[0] > MAX_UPSAMPLING:
        log.warning("%s: layer %r has %.4g m pixels; the %.4g m grid up-samples it %.1fx",
                    layer.path, layer.name, native, grid.resolution[0],
                    native / grid.resolution[0])
    return fraction


def area_and_grid(
    name_or_area: str | StudyArea,
    manifest: Manifest | str | os.PathLike[str] | None = None,
    resolution_m: float | None = None,
    verify: bool = True,
) -> tuple[StudyArea, Grid]:
    """The study area, its files generated and verified, and its target grid.

    Parameters are those of :func:`load_study_area`; the files are generated when the area is
    generated and they are missing, then checked against their sha256 when ``verify``.

    Returns
    -------
    (StudyArea, Grid)
    """
    area = name_or_area if isinstance(name_or_area, StudyArea) else get_area(name_or_area,
                                                                             manifest)
    ensure_generated(area)
    if verify:
        verify_area(area)
    return area, target_grid(area, resolution_m)


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
        Default: ``$FCAD_MANIFEST``, else ``data_manifest.yml`` in the working directory or
        one of its parents.
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
    area, grid = area_and_grid(name_or_area, manifest, resolution_m, verify)
    log.info("area %r: grid %d x %d at %g m (%s)", area.name, grid.width, grid.height,
             grid.resolution[0], grid.crs.to_string())

    arrays: dict[str, np.ndarray] = {}
    for role in ROLE_FACTORS:
        if not area.has(role):
            continue
        layer = area.layer(role)
        log.info("reading %s (%s) with %s resampling", layer.name, layer.path, layer.resampling)
        values = reproject_to_grid(read_layer(layer), grid, layer.resampling)
        check_layer_on_grid(layer, values, grid)
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
    if factors and not valid.any():
        raise FcadDataError(area.manifest_path, f"area {area.name!r}: no pixel where every "
                            f"factor is finite ({', '.join(factors)}): the layers' data do not "
                            "overlap")
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
