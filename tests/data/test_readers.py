"""GeoTIFF, MintPy and inventory readers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import h5py
import numpy as np
import pytest
from shapely.geometry import Polygon, box

from fcad_lib.data.manifest import Layer
from fcad_lib.data.readers import read_inventory, read_layer, read_mintpy, read_raster
from fcad_lib.errors import (
    BandCountError,
    FcadDataError,
    InventoryError,
    ManifestError,
    MissingCRSError,
    MissingFileError,
)


def test_read_raster_masks_nodata(tmp_path: Path, write_tif) -> None:
    values = np.arange(12, dtype=np.int16).reshape(3, 4)
    values[1, 2] = -1
    path = write_tif(tmp_path / "a.tif", values, nodata=-1)
    da = read_raster(path)
    assert da.dtype == np.float32 and da.dims == ("y", "x")
    assert np.isnan(da.values[1, 2]) and np.isfinite(da.values).sum() == 11
    assert da.rio.crs.to_epsg() == 32647
    # Cell centres: the writer's origin (500000, 3000400) with 10 m pixels.
    assert da.x.values[0] == pytest.approx(500_005.0)
    assert da.y.values[0] == pytest.approx(3_000_395.0)
    assert da.attrs["source_path"] == str(path)


def test_read_raster_without_crs(tmp_path: Path, write_tif) -> None:
    path = write_tif(tmp_path / "nocrs.tif", np.ones((3, 3), np.float32), crs=None)
    with pytest.raises(MissingCRSError, match="nocrs.tif"):
        read_raster(path)
    # The manifest may supply the CRS that the file lacks.
    layer = Layer(name="x", role="dem", path=path, format="GTiff", crs="EPSG:32647")
    assert read_raster(layer).rio.crs.to_epsg() == 32647


def test_read_raster_crs_disagrees_with_manifest(tmp_path: Path, write_tif) -> None:
    path = write_tif(tmp_path / "a.tif", np.ones((3, 3), np.float32))
    layer = Layer(name="x", role="dem", path=path, format="GTiff", crs="EPSG:32648")
    with pytest.raises(ManifestError, match="a.tif.*EPSG:32648"):
        read_raster(layer)


def test_read_raster_band_count(tmp_path: Path, write_tif) -> None:
    path = write_tif(tmp_path / "two.tif", np.ones((2, 3, 3), np.float32))
    with pytest.raises(BandCountError, match="two.tif: has 2 bands, expected 1"):
        read_raster(path, expected_count=1)
    with pytest.raises(BandCountError, match="band 3"):
        read_raster(path, band=3)
    assert read_raster(path, band=2, expected_count=2).shape == (3, 3)


def test_read_raster_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="absent.tif"):
        read_raster(tmp_path / "absent.tif")


def test_geotiff_rate_in_m_per_yr_becomes_mm(tmp_path: Path, write_tif) -> None:
    path = write_tif(tmp_path / "rate.tif", np.full((2, 2), -0.02, np.float32))
    layer = Layer(name="r", role="deformation_rate", path=path, format="GTiff", units="m/yr")
    da = read_layer(layer)
    assert da.attrs["units"] == "mm/yr"
    np.testing.assert_allclose(da.values, -20.0, rtol=1e-6)


def test_read_mintpy_real_cadia(shared_data: Path) -> None:
    path = shared_data / "cadia_insar" / "geo_velocity.h5"
    da = read_mintpy(path)
    assert da.shape == (253, 224)
    assert da.rio.crs.to_epsg() == 4326
    with h5py.File(path, "r") as h5:
        x_first, y_first = float(h5.attrs["X_FIRST"]), float(h5.attrs["Y_FIRST"])
        x_step, y_step = float(h5.attrs["X_STEP"]), float(h5.attrs["Y_STEP"])
        raw = h5["velocity"][()]
    # X_FIRST/Y_FIRST are the first pixel's corner, so its centre is half a step inside.
    assert da.x.values[0] == pytest.approx(x_first + x_step / 2)
    assert da.y.values[0] == pytest.approx(y_first + y_step / 2)
    west, south, east, north = da.rio.bounds()
    assert 148.9 < west < east < 149.1 and -33.6 < south < north < -33.4
    assert da.attrs["units"] == "mm/yr"
    vmin, vmax = float(da.min()), float(da.max())
    assert -60 < vmin < -20 and 10 < vmax < 40  # README: -43..+21 mm/yr
    np.testing.assert_allclose(da.values, raw * 1000, rtol=1e-5, equal_nan=True)
    assert int(da.isnull().sum()) == int(np.isnan(raw).sum())
    # The single exact zero is the reference pixel (at REF_LAT/REF_LON): kept as data.
    assert np.isfinite(da.values[raw == 0]).all()


def test_read_mintpy_synthetic(tmp_path: Path) -> None:
    path = tmp_path / "velocity.h5"
    vel = np.full((6, 5), 0.004, np.float32)
    vel[0, :] = np.nan  # NaN fill
    vel[4:, 3:] = 0.0  # zero fill (older MintPy): a block, not a reference pixel
    vel[2, 2] = 0.0  # reference pixel
    with h5py.File(path, "w") as h5:
        h5.create_dataset("velocity", data=vel)
        h5["velocity"].attrs["UNIT"] = "m/year"
        h5.attrs.update({
            "X_FIRST": "300000.0", "Y_FIRST": "4000000.0", "X_STEP": "30.0",
            "Y_STEP": "-30.0", "EPSG": "32633", "WIDTH": "5", "LENGTH": "6",
        })
    da = read_mintpy(path)
    assert da.rio.crs.to_epsg() == 32633
    assert da.rio.transform().c == 300000.0 and da.rio.transform().f == 4000000.0
    assert da.x.values[0] == pytest.approx(300015.0)
    assert np.isnan(da.values[0]).all() and np.isnan(da.values[4:, 3:]).all()
    assert da.values[2, 2] == 0.0
    assert da.values[1, 0] == pytest.approx(4.0)
    with pytest.raises(FcadDataError, match="no dataset 'timeseries'"):
        read_mintpy(path, dataset="timeseries")


def test_read_mintpy_radar_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "velocity.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("velocity", data=np.zeros((2, 2), np.float32))
    with pytest.raises(MissingCRSError, match="velocity.h5.*not geocoded"):
        read_mintpy(path)


def test_read_inventory_drops_z_and_keeps_polygons(tmp_path: Path) -> None:
    poly_z = Polygon([(0, 0, 5), (10, 0, 5), (10, 10, 6), (0, 0, 5)])
    gdf = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[poly_z, box(20, 20, 30, 30)],
                           crs="EPSG:32647")
    path = tmp_path / "inv.gpkg"
    gdf.to_file(path)
    out = read_inventory(path)
    assert len(out) == 2 and not out.has_z.any()
    assert out.crs.to_epsg() == 32647
    assert out.attrs["source_path"] == str(path)


def test_read_inventory_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.gpkg"
    gpd.GeoDataFrame({"id": []}, geometry=[], crs="EPSG:32647").to_file(path)
    with pytest.raises(InventoryError, match="empty.gpkg: inventory holds no polygon"):
        read_inventory(path)


def test_read_inventory_without_crs(tmp_path: Path) -> None:
    path = tmp_path / "nocrs.shp"
    gpd.GeoDataFrame({"id": [1]}, geometry=[box(0, 0, 1, 1)]).to_file(path)
    with pytest.raises(MissingCRSError, match="nocrs.shp"):
        read_inventory(path)
