"""Polygons of a binary map (fcad_lib.predict.polygons)."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from fcad_lib.predict import vectorize, write_polygons
from tests.predict.helpers import CRS, RES


def test_polygons_round_trip(tmp_path):
    import geopandas as gpd

    transform = Affine(RES, 0, 500_000.0, 0, -RES, 3_000_000.0)
    lmap = np.zeros((20, 30), "uint8")
    lmap[2:6, 3:8] = 1  # 20 px
    lmap[10:12, 20:21] = 1  # 2 px
    lmap[15:20, 25:30] = 1
    lmap[0, 29] = 255
    prob = np.where(lmap == 1, 0.8, 0.1).astype("float32")
    prob[2, 3] = 0.6
    for name, arr, dtype, nodata in (("map.tif", lmap, "uint8", 255),
                                     ("prob.tif", prob, "float32", np.nan)):
        with rasterio.open(tmp_path / name, "w", driver="GTiff", width=30, height=20, count=1,
                           dtype=dtype, crs=CRS, transform=transform, nodata=nodata) as dst:
            dst.write(arr, 1)
    gdf = vectorize(tmp_path / "map.tif", min_area_m2=0.0, probability_path=tmp_path / "prob.tif")
    assert list(gdf.columns) == ["geometry", "area_m2", "mean_probability"]
    assert sorted(gdf.area_m2.round(3)) == sorted(np.array([20, 2, 25]) * RES**2)
    big = gdf.loc[(gdf.area_m2 - 20 * RES**2).abs().idxmin()]
    assert big.mean_probability == pytest.approx((19 * 0.8 + 0.6) / 20, rel=1e-6)
    assert len(vectorize(tmp_path / "map.tif", min_area_m2=3 * RES**2)) == 2

    path = write_polygons(gdf, tmp_path / "polygons.gpkg")
    back = gpd.read_file(path)
    assert back.crs == gdf.crs
    assert len(back) == len(gdf)
    assert all(a.equals(b) for a, b in zip(back.geometry, gdf.geometry, strict=True))
    np.testing.assert_allclose(back.area_m2, gdf.area_m2)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_windows_give_the_whole_map_polygons(tmp_path):
    """Regions cut by window borders (snakes, rings with holes, a U) are dissolved back."""
    rng = np.random.default_rng(5)
    h, w = 90, 110
    lmap = (rng.random((h, w)) < 0.45).astype("uint8")  # many regions of every shape
    lmap[20:60, 30:70] = 1
    lmap[30:50, 40:60] = 0  # a ring with a hole, cut by windows of 16 px
    lmap[0, :5] = 255
    prob = rng.random((h, w)).astype("float32")
    prob[5, 5] = np.nan
    transform = Affine(RES, 0, 500_000.0, 0, -RES, 3_000_000.0)
    for name, arr, dtype, nodata in (("map.tif", lmap, "uint8", 255),
                                     ("prob.tif", prob, "float32", np.nan)):
        with rasterio.open(tmp_path / name, "w", driver="GTiff", width=w, height=h, count=1,
                           dtype=dtype, crs=CRS, transform=transform, nodata=nodata) as dst:
            dst.write(arr, 1)
    whole = vectorize(tmp_path / "map.tif", min_area_m2=0.0,
                      probability_path=tmp_path / "prob.tif")
    windowed = vectorize(tmp_path / "map.tif", min_area_m2=0.0,
                         probability_path=tmp_path / "prob.tif", block_size=16)
    # independent count: 4-connected regions of the map
    from scipy import ndimage

    n = ndimage.label(lmap == 1, structure=[[0, 1, 0], [1, 1, 1], [0, 1, 0]])[1]
    assert len(whole) == len(windowed) == n
    assert all(a.equals(b) for a, b in zip(whole.geometry, windowed.geometry, strict=True))
    np.testing.assert_allclose(windowed.area_m2, whole.area_m2, rtol=1e-12)
    np.testing.assert_allclose(windowed.mean_probability, whole.mean_probability, rtol=1e-12)
