"""Factor stack <-> multi-band GeoTIFF (fcad_lib.data.stack_io)."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio.errors
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from affine import Affine

from fcad_lib.data.stack_io import open_factor_stack, write_factor_stack


@pytest.fixture
def stack() -> xr.Dataset:
    rng = np.random.default_rng(1)
    h, w, res = 300, 270, 12.5  # larger than one 256 block: several tiles
    x = 500_000.0 + res * (np.arange(w) + 0.5)
    y = 3_000_000.0 - res * (np.arange(h) + 0.5)
    factors = ["deformation_rate", "elevation", "lithology"]
    data = {}
    for name in factors:
        a = rng.standard_normal((h, w)).astype("float32")
        a[rng.random((h, w)) < 0.02] = np.nan
        data[name] = (("y", "x"), a)
    ds = xr.Dataset(data, coords={"y": y, "x": x}, attrs={"factors": factors})
    ds = ds.rio.write_crs("EPSG:32647").rio.write_transform(Affine(res, 0, 500_000.0, 0, -res,
                                                                   3_000_000.0))
    return ds


def test_round_trip(tmp_path, stack):
    path = write_factor_stack(stack, tmp_path / "sub" / "factors.tif")
    assert [p.name for p in path.parent.iterdir()] == ["factors.tif"]  # no temp file left
    src, names = open_factor_stack(path)
    with src:
        assert names == ["deformation_rate", "elevation", "lithology"]
        assert src.crs.to_epsg() == 32647
        assert src.transform == stack.rio.transform()
        assert (src.height, src.width) == (300, 270)
        assert src.dtypes == ("float32",) * 3
        assert np.isnan(src.nodata)
        assert src.block_shapes[0] == (256, 256)
        assert src.compression is not None
        for i, name in enumerate(names, start=1):
            np.testing.assert_array_equal(src.read(i), stack[name].values)


def test_subset_and_order(tmp_path, stack):
    path = write_factor_stack(stack, tmp_path / "f.tif", factors=["lithology", "deformation_rate"])
    src, names = open_factor_stack(path)
    with src:
        assert names == ["lithology", "deformation_rate"]
        np.testing.assert_array_equal(src.read(1), stack["lithology"].values)


def test_missing_factor(tmp_path, stack):
    with pytest.raises(ValueError, match="slope"):
        write_factor_stack(stack, tmp_path / "f.tif", factors=["slope"])
    assert not (tmp_path / "f.tif").exists()


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_unnamed_bands_rejected(tmp_path):
    path = tmp_path / "plain.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=2,
                       dtype="float32") as dst:
        dst.write(np.zeros((2, 4, 4), "float32"))
    with pytest.raises(ValueError, match="band descriptions"):
        open_factor_stack(path)
