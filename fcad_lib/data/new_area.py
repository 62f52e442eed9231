"""Describe your own rasters and inventory as a `data_manifest.yml` area entry.

A geologist's files are the same kinds the book reads (GeoTIFF, MintPy ``velocity.h5``,
shapefile / GeoPackage / GeoJSON inventory), but writing the manifest entry by hand means looking
up each file's CRS, band count, nodata value and sha256. This module reads those from the files
and prints the entry, ready to paste into ``data_manifest.yml``::

    python -m fcad_lib.data.new_area my_valley --dem dem.tif --lithology geology.tif \\
        --deformation-rate velocity.h5 --inventory landslides.gpkg >> my_manifest_part.yml

Fill in ``source`` and ``licence`` afterwards: they cannot be read from the files.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import rasterio
import yaml
from pyproj import CRS
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from rasterio.transform import array_bounds
from rasterio.warp import transform_bounds

from fcad_lib.data.manifest import CATEGORICAL_ROLES, ROLES, sha256_file
from fcad_lib.data.readers import raster_georeference, read_inventory

#: File suffix -> manifest format.
FORMATS = {
    ".tif": "GTiff",
    ".tiff": "GTiff",
    ".h5": "MintPy-HDF5",
    ".he5": "MintPy-HDF5",
    ".shp": "ESRI Shapefile",
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
}
#: Units assumed per role when the file does not say (check them!).
DEFAULT_UNITS = {
    "deformation_rate": "mm/yr",
    "optical_B2": "1",
    "optical_B3": "1",
    "optical_B4": "1",
    "optical_B8": "1",
    "dem": "m",
    "lithology": "class",
}
TO_FILL = "TO FILL IN"


def layer_entry(path: str | Path, role: str, relative_to: str | Path | None = None) -> dict:
    """One manifest layer entry read off a file.

    Parameters
    ----------
    path
        The file.
    role
        Manifest role (``dem``, ``lithology``, ``deformation_rate``, ``optical_B2`` ...,
        ``inventory``).
    relative_to
        Write the path relative to this folder (the manifest's); default absolute.

    Returns
    -------
    dict
        The entry, with ``source`` and ``licence`` left to fill in.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; known: {ROLES}")
    path = Path(path).resolve()
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: unknown file type {path.suffix!r}; known {sorted(FORMATS)}")
    shown = Path(os.path.relpath(path, relative_to)) if relative_to else path
    entry: dict[str, Any] = {"name": role.removeprefix("optical_"), "role": role,
                             "path": str(shown), "format": fmt}
    if role == "inventory":
        gdf = read_inventory(path)
        entry["crs"] = gdf.crs.to_string()
    else:
        crs, _, _, _ = raster_georeference(path)
        entry["crs"] = crs.to_string()
        entry["units"] = DEFAULT_UNITS[role]
        if fmt == "GTiff":
            with rasterio.open(path) as src:
                entry["band"], entry["count"] = 1, src.count
                nodata = src.nodata
            entry["nodata"] = "nan" if nodata is None or math.isnan(nodata) else float(nodata)
        else:
            # MintPy writes velocity in m/yr; the reader converts to mm/yr
            entry.update(dataset="velocity", units="m/yr", nodata="nan")
        entry["resampling"] = "nearest" if role in CATEGORICAL_ROLES else "bilinear"
    entry.update(sha256=sha256_file(path), source=TO_FILL, licence=TO_FILL)
    return entry


def projected_crs_for(path: str | Path) -> str:
    """The file's CRS if it is projected, else the UTM zone of its centre (EPSG code)."""
    path = Path(path)
    if FORMATS.get(path.suffix.lower()) in ("ESRI Shapefile", "GPKG", "GeoJSON"):
        gdf = read_inventory(path)
        crs, bounds = CRS.from_user_input(gdf.crs), gdf.to_crs(4326).total_bounds
    else:
        crs, transform, width, height = raster_georeference(path)
        bounds = transform_bounds(crs, "EPSG:4326", *array_bounds(height, width, transform))
    if crs.is_projected:
        return crs.to_string()
    lon = (bounds[0] + bounds[2]) / 2
    lat = (bounds[1] + bounds[3]) / 2
    zones = query_utm_crs_info(datum_name="WGS 84",
                               area_of_interest=AreaOfInterest(lon, lat, lon, lat))
    return f"EPSG:{zones[0].code}"


def area_entry(
    name: str,
    layers: Mapping[str, str | Path],
    resolution_m: float = 12.5,
    crs: str | None = None,
    relative_to: str | Path | None = None,
) -> dict:
    """A whole ``areas: <name>:`` entry for the given files.

    Parameters
    ----------
    name
        Area name.
    layers
        Role -> file.
    resolution_m
        Target pixel size of the aligned stack.
    crs
        Target projected CRS; default that of the DEM (or first raster), or its UTM zone.
    relative_to
        Folder of the manifest, for relative paths.
    """
    if not layers:
        raise ValueError("give at least one layer")
    rasters = [p for r, p in layers.items() if r != "inventory"]
    reference = layers.get("dem") or (rasters[0] if rasters else next(iter(layers.values())))
    return {
        name: {
            "description": TO_FILL,
            "crs": crs or projected_crs_for(reference),
            "resolution_m": float(resolution_m),
            "layers": [layer_entry(p, role, relative_to) for role, p in layers.items()],
        }
    }


def main(argv: list[str] | None = None) -> int:
    """Print a manifest entry for the files given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="area name")
    for role in ROLES:
        flag = "--" + role.replace("optical_", "").replace("_", "-").lower()
        parser.add_argument(flag, dest=role, type=Path, help=f"file for role {role}")
    parser.add_argument("--resolution-m", type=float, default=12.5)
    parser.add_argument("--crs", help="target projected CRS (default: from the DEM)")
    parser.add_argument("--relative-to", type=Path, default=Path.cwd(),
                        help="folder of the manifest (paths are written relative to it)")
    args = parser.parse_args(argv)
    layers = {role: getattr(args, role) for role in ROLES if getattr(args, role)}
    try:
        entry = area_entry(args.name, layers, args.resolution_m, args.crs, args.relative_to)
    except (OSError, ValueError) as exc:
        print(f"new_area: error: {exc}", file=sys.stderr)
        return 2
    yaml.safe_dump(entry, sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
