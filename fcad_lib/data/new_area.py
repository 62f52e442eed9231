"""Describe your own rasters and inventory as a `data_manifest.yml` area entry.

A geologist's files are the same kinds the book reads (any raster GDAL opens, MintPy
``velocity.h5``, any vector file with polygons), but writing the manifest entry by hand means
looking up each file's format, CRS, band, nodata value, unit and sha256. This module reads those
from the files, checks them, and appends the entry to a manifest (``--manifest``, with a backup)
or prints it, ready to paste under ``areas:``::

    python -m fcad_lib.data.new_area my_valley --dem dem.tif --lithology geology.tif \\
        --deformation-rate velocity.h5 --inventory landslides.gpkg --manifest my_manifest.yml

Fill in ``source`` and ``licence`` afterwards: they cannot be read from the files. Every data
error is one line naming the file and the problem. Formats are judged by content, not by the
file's extension; a multi-band raster needs its band (``--b2 rgb.tif:3``); a deformation rate
needs a stated unit (MintPy's ``UNIT``, a GeoTIFF unit tag, or ``--deformation-units``).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import rasterio
from pyproj import CRS
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from rasterio.errors import RasterioIOError
from rasterio.transform import array_bounds
from rasterio.warp import transform_bounds

from fcad_lib.data.layer_checks import (
    LayerWarning,
    check_has_data,
    check_inventory_inside,
    warn_spikes,
)
from fcad_lib.data.manifest import VECTOR_FORMATS, Layer, sha256_file
from fcad_lib.data.manifest_edit import append_to_manifest, entry_block
from fcad_lib.data.readers import (
    MAX_UPSAMPLING,
    native_pixel_size,
    raster_georeference,
    raster_units,
    read_inventory,
    read_layer,
)
from fcad_lib.data.units import rate_factor, same_rate_unit
from fcad_lib.errors import BandCountError, FcadDataError
from fcad_lib.factors import CATEGORICAL_ROLES, ROLE_UNITS, ROLES

#: Manifest format of a vector file whose OGR driver has no name of its own in the manifest.
GENERIC_VECTOR = "OGR"
#: Manifest format of a raster GDAL reads that is not a GeoTIFF (.img, .asc, .vrt ...).
GENERIC_RASTER = "GDAL"
#: Units of the roles whose unit is fixed (the deformation rate's must be stated).
DEFAULT_UNITS = {role: unit for role, unit in ROLE_UNITS.items() if role != "deformation_rate"}
TO_FILL = "TO FILL IN"
_BAND_SUFFIX = re.compile(r"^(?P<path>.+):(?P<band>\d+)$")


def file_format(path: str | os.PathLike[str]) -> str:
    """The manifest format of a file, judged by its content (not its extension).

    Returns ``MintPy-HDF5`` for HDF5, ``GTiff`` or ``GDAL`` for a raster GDAL opens, the OGR
    driver name (``ESRI Shapefile``, ``GPKG``, ``GeoJSON``, else ``OGR``) for a vector file.

    Raises
    ------
    FcadDataError
        Nothing can read the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FcadDataError(path, "file does not exist")
    if h5py.is_hdf5(path):
        return "MintPy-HDF5"
    try:
        with rasterio.open(path) as src:
            if src.count > 0:
                return "GTiff" if src.driver == "GTiff" else GENERIC_RASTER
    except RasterioIOError:
        pass
    import pyogrio  # geopandas' vector engine

    try:
        driver = pyogrio.read_info(path)["driver"]
    except Exception:  # pyogrio raises its own DataSourceError for anything unreadable
        raise FcadDataError(path, "neither GDAL (raster), OGR (vector) nor HDF5 can read it") \
            from None
    return driver if driver in VECTOR_FORMATS else GENERIC_VECTOR


def split_band(text: str | os.PathLike[str]) -> tuple[Path, int | None]:
    """``"rgb.tif:3"`` -> ``(Path("rgb.tif"), 3)``; a plain path -> ``(path, None)``."""
    match = _BAND_SUFFIX.match(str(text))
    if match and not Path(text).exists():
        return Path(match["path"]), int(match["band"])
    return Path(text), None


def _raster_band(path: Path, role: str, band: int | None) -> tuple[int, int, Any]:
    """Band, band count and nodata of a raster for a one-band role (``BandCountError`` if
    a multi-band file comes without its band)."""
    with rasterio.open(path) as src:
        count, nodatavals = src.count, src.nodatavals
    if band is None:
        if count > 1:
            raise BandCountError(path, f"has {count} bands; give the one for role {role} as "
                                 f"{path.name}:N (1..{count})")
        band = 1
    if not 1 <= band <= count:
        raise BandCountError(path, f"band {band} requested but the file has {count}")
    return band, count, nodatavals[band - 1]


def _rate_units(path: Path, fmt: str, band: int, given: str | None) -> str:
    """The deformation rate's unit: the file's, or the one given; both must agree."""
    if fmt == "MintPy-HDF5":
        with h5py.File(path, "r") as h5:
            unit = h5["velocity"].attrs.get("UNIT") if "velocity" in h5 else None
            unit = unit or h5.attrs.get("UNIT")
        stated = unit.decode() if isinstance(unit, bytes) else unit
    else:
        stated = raster_units(path, band)
    if stated and given and not same_rate_unit(stated, given):
        raise FcadDataError(path, f"the file states unit {stated!r} but --deformation-units is "
                            f"{given!r}")
    units = stated or given
    if not units:
        raise FcadDataError(path, "the deformation rate states no unit; pass "
                            "--deformation-units mm/yr, cm/yr or m/yr")
    rate_factor(units, path)
    return str(units)


def layer_entry(
    path: str | os.PathLike[str],
    role: str,
    relative_to: str | os.PathLike[str] | None = None,
    band: int | None = None,
    units: str | None = None,
) -> dict:
    """One manifest layer entry read off a file, and checked by reading it.

    Parameters
    ----------
    path : path
        The file (any raster GDAL reads, MintPy HDF5, or a vector file for ``inventory``).
    role : str
        Manifest role (``dem``, ``lithology``, ``deformation_rate``, ``optical_B2`` ...,
        ``inventory``).
    relative_to : path, optional
        Write the path relative to this folder (the manifest's); default absolute.
    band : int, optional
        1-based band; required when the raster has more than one.
    units : str, optional
        The deformation rate's unit when the file does not state it (``mm/yr``, ``cm/yr``,
        ``m/yr``); must agree with the file's when both exist.

    Returns
    -------
    dict
        The entry, with ``source`` and ``licence`` left to fill in.

    Raises
    ------
    FcadDataError
        The file cannot be read, has no CRS, lacks a band or a unit, holds no polygon or no
        data, or its deformation rates have a magnitude only a wrong unit explains.

    Warns
    -----
    LayerWarning
        A few pixels far outside the layer's spread (spikes), or invalid polygons repaired.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; known: {ROLES}")
    path = Path(os.path.abspath(path))  # not resolve(): keep the user's links in the path
    fmt = file_format(path)
    is_vector = fmt in VECTOR_FORMATS or fmt == GENERIC_VECTOR
    if (role == "inventory") != is_vector:
        kind = "a vector" if is_vector else "a raster"
        raise FcadDataError(path, f"is {kind} file ({fmt}); role {role!r} needs the other kind")
    shown = Path(os.path.relpath(path, relative_to)) if relative_to else path
    entry: dict[str, Any] = {"name": role.removeprefix("optical_"), "role": role,
                             "path": str(shown), "format": fmt}
    if role == "inventory":
        entry["crs"] = read_inventory(path).crs.to_string()
    else:
        crs, _, _, _ = raster_georeference(path)
        entry["crs"] = crs.to_string()
        if fmt == "MintPy-HDF5":
            entry.update(dataset="velocity", nodata="nan")
            band = 1
        else:
            band, count, nodata = _raster_band(path, role, band)
            entry["band"], entry["count"] = band, count
            entry["nodata"] = "nan" if nodata is None or math.isnan(nodata) else float(nodata)
        entry["units"] = (_rate_units(path, fmt, band, units) if role == "deformation_rate"
                          else DEFAULT_UNITS[role])
        entry["resampling"] = "nearest" if role in CATEGORICAL_ROLES else "bilinear"
        # Read it as the loader will: the unit conversion and the magnitude check run here.
        values = read_layer(_as_layer(entry, path)).values
        check_has_data(values, path, role)
        if role not in CATEGORICAL_ROLES:  # codes have no spread to judge spikes by
            warn_spikes(values, path, role)
    entry.update(sha256=sha256_file(path), source=TO_FILL, licence=TO_FILL)
    return entry


def _as_layer(entry: Mapping[str, Any], path: Path) -> Layer:
    nodata = entry.get("nodata")
    return Layer(name=entry["name"], role=entry["role"], path=path, format=entry["format"],
                 units=entry.get("units"), crs=entry.get("crs"),
                 nodata=math.nan if nodata == "nan" else nodata,
                 band=int(entry.get("band", 1)), count=entry.get("count"),
                 dataset=entry.get("dataset"))


def projected_crs_for(path: str | os.PathLike[str]) -> str:
    """The file's CRS if it is projected, else the UTM zone of its centre (EPSG code)."""
    path = Path(path)
    if file_format(path) in VECTOR_FORMATS + (GENERIC_VECTOR,):
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


def upsampling_warnings(layers: Mapping[str, Path], crs: str, resolution_m: float) -> list[str]:
    """One line per raster layer whose own pixels are more than ``MAX_UPSAMPLING`` x the grid's."""
    lines = []
    for role, path in layers.items():
        if role == "inventory":
            continue
        native = native_pixel_size(path, crs)
        if native / resolution_m > MAX_UPSAMPLING:
            why = ("slope, aspect and curvature of an up-sampled DEM are mostly interpolation"
                   if role == "dem" else "the grid adds no detail the layer does not have")
            lines.append(f"{path}: {role} has {native:.4g} m pixels; the {resolution_m:g} m grid "
                         f"up-samples it {native / resolution_m:.1f}x ({why})")
    return lines


def area_entry(
    name: str,
    layers: Mapping[str, str | os.PathLike[str]],
    resolution_m: float | None = None,
    crs: str | None = None,
    relative_to: str | os.PathLike[str] | None = None,
    bands: Mapping[str, int] | None = None,
    deformation_units: str | None = None,
) -> dict:
    """A whole ``areas: <name>:`` entry for the given files.

    Parameters
    ----------
    name : str
        Area name.
    layers : mapping of str to path
        Role -> file.
    resolution_m : float, optional
        Target pixel size of the aligned stack; default the DEM's (or first raster's) own pixel
        size in the target CRS, rounded to 0.01 m.
    crs : str, optional
        Target projected CRS; default that of the DEM (or first raster), or its UTM zone.
    relative_to : path, optional
        Folder of the manifest, for relative paths.
    bands : mapping of str to int, optional
        Role -> band, for multi-band rasters.
    deformation_units : str, optional
        Unit of the deformation rate when its file does not state one.

    Raises
    ------
    FcadDataError
        As :func:`layer_entry`; also an inventory none of whose polygons lies inside the
        rasters' common footprint (:class:`~fcad_lib.errors.InventoryError`).
    """
    if not layers:
        raise ValueError("give at least one layer")
    bands = dict(bands or {})
    rasters = [p for r, p in layers.items() if r != "inventory"]
    reference = layers.get("dem") or (rasters[0] if rasters else next(iter(layers.values())))
    crs = crs or projected_crs_for(reference)
    if resolution_m is None:
        if not rasters:
            raise ValueError("an inventory alone has no pixel size: give --resolution-m")
        resolution_m = round(native_pixel_size(reference, crs), 2)
    entries = [layer_entry(p, role, relative_to, bands.get(role),
                           deformation_units if role == "deformation_rate" else None)
               for role, p in layers.items()]
    if "inventory" in layers:
        with warnings.catch_warnings():  # its repairs were reported when its entry was made
            warnings.simplefilter("ignore", LayerWarning)
            inventory = read_inventory(layers["inventory"])
        check_inventory_inside(inventory, [_footprint(p, crs) for p in rasters], crs,
                               layers["inventory"], name)
    return {name: {"description": TO_FILL, "crs": crs, "resolution_m": float(resolution_m),
                   "layers": entries}}


def _footprint(path: str | os.PathLike[str], crs: str) -> tuple[float, float, float, float]:
    """A raster's bounds in ``crs`` (edges densified)."""
    src_crs, transform, width, height = raster_georeference(path)
    return transform_bounds(src_crs, crs, *array_bounds(height, width, transform),
                            densify_pts=21)


def main(argv: list[str] | None = None) -> int:
    """Append (``--manifest``) or print a manifest entry for the files on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="area name")
    for role in ROLES:
        flag = "--" + role.replace("optical_", "").replace("_", "-").lower()
        parser.add_argument(flag, dest=role, help=f"file for role {role} (FILE or FILE:BAND)")
    parser.add_argument("--deformation-units", help="unit of the deformation rate when its file "
                        "does not state one: mm/yr, cm/yr or m/yr")
    parser.add_argument("--resolution-m", type=float, default=None,
                        help="grid pixel size in metres (default: the DEM's own)")
    parser.add_argument("--crs", help="target projected CRS (default: from the DEM)")
    parser.add_argument("--manifest", type=Path, help="append the entry under areas: of this "
                        "manifest (a .bak copy is kept; an existing name is refused)")
    parser.add_argument("--relative-to", type=Path, default=None,
                        help="folder paths are written relative to (default: the manifest's, "
                        "else the current folder)")
    args = parser.parse_args(argv)
    given = {role: split_band(getattr(args, role)) for role in ROLES if getattr(args, role)}
    layers = {role: path for role, (path, _) in given.items()}
    bands = {role: band for role, (_, band) in given.items() if band is not None}
    relative_to = args.relative_to or (args.manifest.resolve().parent if args.manifest
                                       else Path.cwd())
    shown: set[str] = set()

    def one_line(message: Warning | str, *_: Any, **__: Any) -> None:
        if str(message) not in shown:  # a file read twice says it once
            shown.add(str(message))
            print(f"new_area: warning: {message}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = one_line
            warnings.simplefilter("always", LayerWarning)
            entry = area_entry(args.name, layers, args.resolution_m, args.crs, relative_to, bands,
                               args.deformation_units)
        area = entry[args.name]
        for line in upsampling_warnings(layers, area["crs"], area["resolution_m"]):
            print(f"new_area: warning: {line}", file=sys.stderr)
        if args.manifest:
            backup = append_to_manifest(entry, args.manifest)
            kept = f" (previous version in {backup})" if backup else ""
            print(f"new_area: added area {args.name!r} to {args.manifest}{kept}; fill in "
                  f"'{TO_FILL}'", file=sys.stderr)
            return 0
    except (FcadDataError, OSError, ValueError) as exc:
        print(f"new_area: error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write("# paste under `areas:` of your manifest as it is (two-space indent)\n")
    sys.stdout.write(entry_block(entry))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
