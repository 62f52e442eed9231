"""Read layers into memory: GeoTIFF and MintPy HDF5 -> ``xarray.DataArray``, inventories ->
``GeoDataFrame``.

Every reader opens its file read-only and closes it before returning; nothing is written back.
Missing data become ``NaN`` (float32) so that no later step mistakes them for a value of 0.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import geopandas as gpd
import h5py
import numpy as np
import rasterio
import rasterio.transform
import rasterio.warp
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from affine import Affine
from pyproj import CRS
from rasterio.errors import RasterioIOError
from scipy import ndimage

from fcad_lib.data.layer_checks import LayerWarning, repair_polygons
from fcad_lib.data.manifest import Layer
from fcad_lib.data.units import (
    RATE_TO_MM_PER_YR,
    check_rate_magnitude,
    rate_factor,
    same_rate_unit,
    stated_units,
)
from fcad_lib.errors import (
    BandCountError,
    FcadDataError,
    InventoryError,
    ManifestError,
    MissingCRSError,
    MissingFileError,
)

PathOrLayer = str | os.PathLike[str] | Layer

# Factor applied to rates to express them in the stack's mm/yr.
_RATE_TO_MM_PER_YR = RATE_TO_MM_PER_YR
#: Manifest formats of rasters read through GDAL (any format GDAL opens).
GDAL_RASTER_FORMATS = ("GTiff", "GDAL")
#: A grid finer than a layer's own pixels by more than this factor gets a warning: an
#: up-sampled DEM's slope and curvature are mostly interpolation (a crosshatch near 0).
MAX_UPSAMPLING = 2.0


def _split(layer_or_path: PathOrLayer) -> tuple[Path, Layer | None]:
    if isinstance(layer_or_path, Layer):
        return layer_or_path.path, layer_or_path
    return Path(layer_or_path), None


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise MissingFileError(path, "file does not exist")


def _check_declared_crs(path: Path, file_crs: CRS | None, declared: str | None) -> CRS:
    """The file's CRS, checked against the manifest's; the manifest's only if the file has none."""
    if file_crs is None:
        if declared is None:
            raise MissingCRSError(path, "file has no CRS and the manifest declares none")
        return CRS.from_user_input(declared)
    if declared is not None and not file_crs.equals(CRS.from_user_input(declared),
                                                    ignore_axis_order=True):
        raise ManifestError(
            path, f"manifest declares crs {declared} but the file has {file_crs.to_string()}"
        )
    return file_crs


def _centres(transform: Affine, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    x = transform.c + transform.a * (np.arange(width) + 0.5)
    y = transform.f + transform.e * (np.arange(height) + 0.5)
    return y, x


def _to_dataarray(
    values: np.ndarray, transform: Affine, crs: CRS, path: Path, name: str, units: str | None
) -> xr.DataArray:
    height, width = values.shape
    y, x = _centres(transform, width, height)
    da = xr.DataArray(
        values.astype(np.float32, copy=False),
        dims=("y", "x"),
        coords={"y": y, "x": x},
        name=name,
        attrs={"source_path": str(path), "units": units or ""},
    )
    da = da.rio.write_crs(crs.to_wkt())
    da = da.rio.write_transform(transform)
    return da.rio.write_nodata(np.nan, encoded=False)


def raster_georeference(layer_or_path: PathOrLayer) -> tuple[CRS, Affine, int, int]:
    """CRS, affine transform, width and height of a raster layer, without reading pixels."""
    path, layer = _split(layer_or_path)
    _require_file(path)
    if (layer is not None and layer.format == "MintPy-HDF5") or path.suffix.lower() in {".h5",
                                                                                     ".he5"}:
        with _open_h5(path) as h5:
            attrs = _h5_attrs(h5)
        crs, transform = _mintpy_georeference(path, attrs)
        return crs, transform, int(attrs["WIDTH"]), int(attrs["LENGTH"])
    with _open_raster(path) as src:
        file_crs = None if src.crs is None else CRS.from_user_input(src.crs.to_wkt())
        crs = _check_declared_crs(path, file_crs, layer.crs if layer else None)
        return crs, src.transform, src.width, src.height


def native_pixel_size(layer_or_path: PathOrLayer, crs: CRS | str) -> float:
    """A raster's pixel size in units of ``crs`` (metres for a projected CRS).

    The mean of the footprint's width / columns and height / rows once transformed into ``crs``,
    so a layer in degrees gets its size on the ground.
    """
    src_crs, transform, width, height = raster_georeference(layer_or_path)
    bounds = rasterio.transform.array_bounds(height, width, transform)
    west, south, east, north = rasterio.warp.transform_bounds(src_crs, CRS.from_user_input(crs),
                                                              *bounds, densify_pts=21)
    return float(((east - west) / width + (north - south) / height) / 2)


def _open_raster(path: Path) -> rasterio.io.DatasetReader:
    """``rasterio.open`` with a one-line error naming the file when GDAL cannot read it."""
    try:
        return rasterio.open(path)
    except RasterioIOError as exc:
        raise FcadDataError(path, f"GDAL cannot read it as a raster ({exc})") from None


def raster_units(path: str | os.PathLike[str], band: int = 1) -> str | None:
    """The unit a GDAL raster states for ``band`` (band unit, or a ``UNITS`` tag), or None."""
    with _open_raster(Path(path)) as src:
        return stated_units({**src.tags(), **src.tags(band)}, src.units[band - 1])


def read_raster(
    layer_or_path: PathOrLayer, band: int = 1, expected_count: int | None = None
) -> xr.DataArray:
    """Read one band of a GeoTIFF as a masked float32 ``DataArray``.

    Parameters
    ----------
    layer_or_path : Layer or path
        A manifest layer (its ``band``, ``count``, ``crs`` and ``nodata`` override the
        arguments) or a file path.
    band : int
        1-based band index.
    expected_count : int, optional
        Required number of bands in the file.

    Returns
    -------
    xarray.DataArray
        dims ``("y", "x")``, cell-centre coords, ``rio`` CRS and transform set, nodata -> NaN.
        ``attrs["source_path"]`` names the file.

    Raises
    ------
    MissingFileError, MissingCRSError, BandCountError
    """
    path, layer = _split(layer_or_path)
    _require_file(path)
    if layer is not None:
        if layer.format == "MintPy-HDF5":
            return read_mintpy(layer)
        band, expected_count = layer.band, layer.count
    with _open_raster(path) as src:
        if expected_count is not None and src.count != expected_count:
            raise BandCountError(path, f"has {src.count} bands, expected {expected_count}")
        if not 1 <= band <= src.count:
            raise BandCountError(path, f"band {band} requested but the file has {src.count}")
        file_crs = None if src.crs is None else CRS.from_user_input(src.crs.to_wkt())
        crs = _check_declared_crs(path, file_crs, layer.crs if layer else None)
        try:
            data = src.read(band, masked=True)
        except RasterioIOError as exc:  # e.g. a truncated file whose header is intact
            raise FcadDataError(path, f"cannot read band {band} (truncated or corrupt?): "
                                f"{exc}") from None
        values = np.ma.filled(data.astype(np.float32), np.nan)
        transform = src.transform
        stated = stated_units({**src.tags(), **src.tags(band)}, src.units[band - 1])
    if layer is not None and layer.nodata is not None and not math.isnan(layer.nodata):
        # The manifest may know a nodata value the file does not declare.
        values[values == np.float32(layer.nodata)] = np.nan
    units = layer.units if layer else None
    if layer is not None and layer.role == "deformation_rate":
        _check_declared_units(path, stated, units)
    return _to_dataarray(values, transform, crs, path, layer.name if layer else path.stem,
                         units or stated)


def _check_declared_units(path: Path, stated: str | None, declared: str | None) -> None:
    """A rate unit stated by the file must agree with the manifest's."""
    if stated and declared and str(stated).strip().lower() in RATE_TO_MM_PER_YR and not \
            same_rate_unit(stated, declared):
        raise ManifestError(path, f"manifest declares units {declared!r} but the file states "
                            f"{stated!r}")


def _open_h5(path: Path) -> h5py.File:
    """``h5py.File(path, "r")`` with a one-line error naming the file."""
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise FcadDataError(path, f"cannot read it as HDF5 ({exc})") from None


def _h5_attrs(h5: h5py.File) -> dict[str, str]:
    return {
        k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in h5.attrs.items()
    }


def _mintpy_georeference(path: Path, attrs: dict[str, str]) -> tuple[CRS, Affine]:
    """CRS and transform of a geocoded MintPy file.

    MintPy convention (docs/api/coord.md): ``X_FIRST``/``Y_FIRST`` are the longitude/latitude
    (or easting/northing) of the upper-left CORNER of the first pixel, and pixel centres are at
    ``X_FIRST + (col + 0.5) * X_STEP``; so the GDAL transform is
    ``(X_STEP, 0, X_FIRST, 0, Y_STEP, Y_FIRST)`` with no half-pixel shift.
    """
    keys = ("X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP", "WIDTH", "LENGTH")
    if any(k not in attrs for k in keys):
        raise MissingCRSError(path, "no X_FIRST/Y_FIRST/X_STEP/Y_STEP: not geocoded (radar grid)")
    epsg = attrs.get("EPSG")
    crs = CRS.from_epsg(int(float(epsg))) if epsg not in (None, "", "None") else CRS.from_epsg(
        4326
    )
    transform = Affine(
        float(attrs["X_STEP"]), 0.0, float(attrs["X_FIRST"]),
        0.0, float(attrs["Y_STEP"]), float(attrs["Y_FIRST"]),
    )
    return crs, transform


def _mask_zero_fill(values: np.ndarray) -> np.ndarray:
    """Mask exact zeros that fill areas without coverage, keeping the reference pixel.

    Some MintPy versions fill pixels without data with 0 instead of NaN. The reference pixel is
    exactly 0 by construction and is a real value, so only connected zero regions of two or more
    pixels are taken as fill (the Cadia file has NaN fill and a single zero at REF_LAT/REF_LON).
    """
    zeros = values == 0
    if not zeros.any():
        return values
    labels, n = ndimage.label(zeros)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    fill = (sizes >= 2)[labels] & zeros
    out = values.copy()
    out[fill] = np.nan
    return out


def read_mintpy(layer_or_path: PathOrLayer, dataset: str = "velocity") -> xr.DataArray:
    """Read a geocoded MintPy HDF5 dataset (e.g. ``geo_velocity.h5``) in mm/yr.

    Parameters
    ----------
    layer_or_path : Layer or path
        A manifest layer (its ``dataset``, ``units`` and ``crs`` are used) or a file path.
    dataset : str
        HDF5 dataset name (``velocity``, ``velocityStd`` ...).

    Returns
    -------
    xarray.DataArray
        float32, dims ``("y", "x")``; rates in m/yr (MintPy's unit) are converted to mm/yr.
        The georeference comes from the root attributes (``X_FIRST`` ... ``EPSG``, default
        EPSG:4326); ``X_FIRST``/``Y_FIRST`` are the first pixel's upper-left corner. NaN and
        zero-filled areas without coverage are NaN.
    """
    path, layer = _split(layer_or_path)
    _require_file(path)
    if layer is not None and layer.dataset:
        dataset = layer.dataset
    with _open_h5(path) as h5:
        attrs = _h5_attrs(h5)
        if dataset not in h5:
            raise FcadDataError(path, f"no dataset {dataset!r}; has {sorted(h5.keys())}")
        values = np.asarray(h5[dataset][()], dtype=np.float32)
        ds_units = h5[dataset].attrs.get("UNIT")
    if values.ndim != 2:
        raise BandCountError(path, f"dataset {dataset!r} is {values.ndim}-D; expected 2-D")
    crs, transform = _mintpy_georeference(path, attrs)
    if layer is not None and layer.crs is not None:
        _check_declared_crs(path, crs, layer.crs)
    if isinstance(ds_units, bytes):
        ds_units = ds_units.decode()
    units = ds_units or attrs.get("UNIT") or (layer.units if layer else None) or ""
    if layer is not None and layer.role == "deformation_rate":
        _check_declared_units(path, ds_units or attrs.get("UNIT"), layer.units)
    nodata = attrs.get("NO_DATA_VALUE", "none")
    if nodata.lower() not in {"none", "nan", ""}:
        values[values == np.float32(float(nodata))] = np.nan
    values = _mask_zero_fill(values)
    factor = _RATE_TO_MM_PER_YR.get(units.strip().lower())
    if factor is not None:
        values = values * np.float32(factor)
        units = "mm/yr"
    name = layer.name if layer else dataset
    return _to_dataarray(values, transform, crs, path, name, units)


def to_mm_per_yr(da: xr.DataArray) -> xr.DataArray:
    """Convert a rate ``DataArray`` from its ``attrs['units']`` to mm/yr (m/yr -> x1000).

    Raises ``FcadDataError`` when the units are not a known rate unit.
    """
    factor = rate_factor(da.attrs.get("units", ""), da.attrs.get("source_path"))
    out = da * np.float32(factor) if factor != 1.0 else da.copy()
    out.attrs = {**da.attrs, "units": "mm/yr"}
    return out.astype(np.float32)


def read_layer(layer: Layer) -> xr.DataArray:
    """Read a raster layer of the manifest; deformation rates come back in mm/yr.

    Raises
    ------
    FcadDataError
        A deformation rate with an unknown unit, or whose magnitude only a wrong unit explains
        (:func:`fcad_lib.data.units.check_rate_magnitude`).
    """
    if layer.format == "MintPy-HDF5":
        da = read_mintpy(layer)
    elif layer.format in GDAL_RASTER_FORMATS:
        da = read_raster(layer)
    else:
        raise ManifestError(layer.path, f"layer {layer.name!r} ({layer.format}) is not a raster")
    if layer.role == "deformation_rate":
        declared = da.attrs.get("units")
        if declared != "mm/yr":
            da = to_mm_per_yr(da)
        check_rate_magnitude(da.values, layer.path, layer.name, declared or "mm/yr")
    return da


def read_inventory(layer_or_path: PathOrLayer) -> gpd.GeoDataFrame:
    """Read a landslide inventory (Shapefile, GPKG or GeoJSON) as 2-D polygons.

    Returns
    -------
    geopandas.GeoDataFrame
        Polygonal features only, Z dropped, invalid ones repaired (with a
        :class:`~fcad_lib.data.layer_checks.LayerWarning`); ``attrs["source_path"]`` names the
        file, ``attrs["repaired"]`` counts the repaired polygons.

    Raises
    ------
    MissingFileError, MissingCRSError
    InventoryError
        The file holds no polygon.
    """
    path, layer = _split(layer_or_path)
    _require_file(path)
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio/fiona raise their own types; the user needs the file
        raise FcadDataError(path, f"cannot read it as a vector file ({exc})") from None
    if gdf.crs is None:
        if layer is None or layer.crs is None:
            raise MissingCRSError(path, "inventory has no CRS (.prj missing?)")
        gdf = gdf.set_crs(layer.crs)
    elif layer is not None and layer.crs is not None:
        _check_declared_crs(path, CRS.from_user_input(gdf.crs), layer.crs)
    geoms = gdf.geometry
    keep = geoms.notna() & ~geoms.is_empty & geoms.geom_type.isin(["Polygon", "MultiPolygon"])
    gdf = gdf.loc[keep].copy()
    geometry, repaired = repair_polygons(gdf.geometry.force_2d())
    gdf = gdf.set_geometry(geometry)
    gdf = gdf.loc[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if gdf.empty:
        raise InventoryError(path, "inventory holds no polygon")
    if repaired:  # a self-intersecting outline would rasterise unpredictably
        warnings.warn(f"{path}: {repaired} invalid (e.g. self-intersecting) polygon(s) of the "
                      "inventory repaired with shapely.make_valid", LayerWarning, stacklevel=2)
    gdf.attrs.update(source_path=str(path), repaired=repaired)
    return gdf
