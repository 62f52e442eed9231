"""Land cover: manifest classes, one-hot factors on the stack grid, native resolution."""

from __future__ import annotations

import numpy as np
import pytest
import rioxarray  # noqa: F401
import xarray as xr
import yaml
from affine import Affine

from fcad_lib.data.landcover import add_landcover, landcover_factors, native_resolution_m
from fcad_lib.data.manifest import get_area, load_manifest

RES = 10.0
ORIGIN = (500_000.0, 3_000_400.0)


def _area(tmp_path, write_tif):
    codes = np.array([[4, 4, 5, -9999], [9, 5, 4, 4], [4, 9, 9, 5]], dtype=np.int16)
    lc = write_tif(tmp_path / "lc.tif", codes, nodata=-9999)
    dem = write_tif(tmp_path / "dem.tif", np.full((3, 4), 100.0, dtype=np.float32))
    layer = {"format": "GTiff", "crs": "EPSG:32647", "sha256": None}
    manifest = {"version": 1, "areas": {"a": {"crs": "EPSG:32647", "resolution_m": RES, "layers": [
        {**layer, "name": "dem", "role": "dem", "path": str(dem), "units": "m"},
        {**layer, "name": "lc", "role": "landcover", "path": str(lc), "units": "class code",
         "nodata": -9999, "classes": {4: "Forest", 5: "Shrub land", 9: "Bare ground"}},
    ]}}}
    path = tmp_path / "m.yml"
    path.write_text(yaml.safe_dump(manifest))
    return get_area("a", path), codes


def _stack(shape=(3, 4)) -> xr.Dataset:
    y = ORIGIN[1] - RES * (np.arange(shape[0]) + 0.5)
    x = ORIGIN[0] + RES * (np.arange(shape[1]) + 0.5)
    ds = xr.Dataset({"elevation": (("y", "x"), np.ones(shape, np.float32)),
                     "valid": (("y", "x"), np.ones(shape, bool))}, coords={"y": y, "x": x})
    ds = ds.rio.write_crs("EPSG:32647").rio.write_transform(
        Affine(RES, 0, ORIGIN[0], 0, -RES, ORIGIN[1]))
    ds.attrs["factors"] = ["elevation"]
    return ds


def test_manifest_reads_classes_and_nearest(tmp_path, write_tif):
    area, _ = _area(tmp_path, write_tif)
    layer = area.layer("landcover")
    assert layer.classes == {4: "Forest", 5: "Shrub land", 9: "Bare ground"}
    assert layer.resampling == "nearest"  # categorical role, no resampling given


def test_add_landcover_one_hot(tmp_path, write_tif):
    area, codes = _area(tmp_path, write_tif)
    ds = add_landcover(_stack(), area)
    assert landcover_factors(ds) == ["landcover_4", "landcover_5", "landcover_9"]
    assert ds.attrs["factors"] == ["elevation", "landcover_4", "landcover_5", "landcover_9"]
    assert ds.attrs["landcover_classes"] == {4: "Forest", 5: "Shrub land", 9: "Bare ground"}
    for code in (4, 5, 9):
        got = ds[f"landcover_{code}"].values
        known = codes != -9999
        np.testing.assert_array_equal(got[known], (codes[known] == code).astype(np.float32))
        assert np.isnan(got[~known]).all()
    np.testing.assert_array_equal(ds["valid"].values, codes != -9999)
    assert "Forest" in ds["landcover_4"].attrs["long_name"]


def test_native_resolution(tmp_path, write_tif):
    area, _ = _area(tmp_path, write_tif)
    assert native_resolution_m(area) == pytest.approx(RES)


def test_balakot_declares_landcover():
    layer = load_manifest()["balakot"].layer("landcover")
    assert layer.classes[4] == "Forest" and len(layer.classes) == 11
