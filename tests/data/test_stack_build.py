"""Windowed stack building (fcad_lib.data.stack_build): the in-memory loader's stack, by blocks."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import rasterio
import yaml
from affine import Affine
from rasterio.warp import transform_bounds

from fcad_lib.data.stack_build import build_factor_stack
from fcad_lib.data.stack_io import write_factor_stack
from fcad_lib.data.study_area import load_study_area


def _both(manifest, tmp_path, res, block_size=16):
    """The stack of the in-memory path and of the windowed one, read back."""
    whole = write_factor_stack(load_study_area("small", manifest, resolution_m=res),
                               tmp_path / f"whole_{res}.tif")
    blocks = build_factor_stack("small", tmp_path / f"blocks_{res}.tif", manifest,
                                resolution_m=res, block_size=block_size)
    with rasterio.open(whole) as a, rasterio.open(blocks) as b:
        assert a.descriptions == b.descriptions
        assert (a.crs, a.transform, a.shape) == (b.crs, b.transform, b.shape)
        assert b.profile["blockxsize"] == 256 and b.dtypes[0] == "float32"
        return a.descriptions, a.read(), b.read()


@pytest.mark.parametrize("res", [10.0, 7.0, 23.0])  # same grid, finer, coarser
def test_blocks_equal_the_in_memory_stack(small_area, tmp_path, res):
    names, whole, blocks = _both(small_area["manifest"], tmp_path, res)
    assert names == ("deformation_rate", "elevation", "slope", "aspect", "curvature",
                     "lithology")
    assert np.isnan(whole[0]).any()  # the rate's hole, and slope's NaN ring around it
    for name, a, b in zip(names, whole, blocks, strict=True):
        np.testing.assert_array_equal(b, a, err_msg=name)


def test_slope_across_block_borders_is_the_plane_slope(small_area, tmp_path):
    """16-px blocks: the one-pixel halo gives Horn's slope of the tilted DEM at every border."""
    names, _, blocks = _both(small_area["manifest"], tmp_path, 10.0)
    slope = blocks[names.index("slope")][1:-1, 1:-1]
    # DEM = 1000 + 2 row + 1 col (m per 10 m pixel) + 0.1 m noise: about 12.6 degrees
    expected = np.degrees(np.arctan(np.hypot(2.0, 1.0) / 10.0))
    assert abs(np.median(slope) - expected) < 0.2
    rows = slope[14:17]  # rows 15-17 of the grid straddle the block border at 16
    assert np.isfinite(rows).all() and abs(rows.mean() - expected) < 0.3


def test_layer_in_another_crs(small_area, tmp_path):
    """A rate layer in degrees: same values up to GDAL's approximate transformer."""
    manifest = yaml.safe_load(small_area["manifest"].read_text())
    bounds = transform_bounds("EPSG:32647", "EPSG:4326", 500000, 3000000, 500400, 3000400)
    n = 60
    transform = Affine((bounds[2] - bounds[0]) / n, 0, bounds[0], 0,
                       -(bounds[3] - bounds[1]) / n, bounds[3])
    rate = (-0.01 + 0.002 * np.random.default_rng(1).standard_normal((n, n))).astype("float32")
    path = small_area["manifest"].parent / "data" / "rate_4326.tif"
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32",
                       crs="EPSG:4326", transform=transform, nodata=np.nan) as dst:
        dst.write(rate, 1)
    layer = manifest["areas"]["small"]["layers"][0]
    layer.update(path="data/rate_4326.tif", crs="EPSG:4326",
                 sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    small_area["manifest"].write_text(yaml.safe_dump(manifest, sort_keys=False))
    _, whole, blocks = _both(small_area["manifest"], tmp_path, 10.0)
    np.testing.assert_array_equal(np.isnan(blocks[0]), np.isnan(whole[0]))
    # rates of about 10 mm/yr; 0.125 px of position error at a slope of about 2 mm/yr per px
    np.testing.assert_allclose(blocks[0], whole[0], atol=0.01)
    np.testing.assert_array_equal(blocks[1:], whole[1:])
