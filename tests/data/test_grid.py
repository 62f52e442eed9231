"""Target grid, warping onto it, rasterising inventories."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from pyproj import Transformer
from shapely.geometry import box

from fcad_lib.data.grid import Grid, rasterize_inventory, reproject_to_grid, target_grid
from fcad_lib.data.manifest import Layer, StudyArea
from fcad_lib.data.readers import read_raster
from fcad_lib.errors import InventoryError, NoOverlapError

# Target: UTM 47N, 20 m cells, 60 x 60 around (500 000, 3 000 000) (about 99 E, 27.1 N).
TARGET = Grid.from_bounds((500_000, 3_000_000, 501_200, 3_001_200), "EPSG:32647", 20.0)


def test_from_bounds_snaps_outward() -> None:
    grid = Grid.from_bounds((1003.0, 2001.0, 1096.0, 2049.0), "EPSG:32647", 12.5)
    assert grid.bounds == (1000.0, 2000.0, 1100.0, 2050.0)
    assert grid.shape == (4, 8) and grid.resolution == (12.5, 12.5)
    y, x = grid.coords()
    np.testing.assert_allclose(x, 1006.25 + 12.5 * np.arange(8))
    np.testing.assert_allclose(y, 2043.75 - 12.5 * np.arange(4))
    # Bounds already on the lattice are kept as they are.
    assert Grid.from_bounds((0, 0, 100, 50), "EPSG:32647", 12.5).shape == (4, 8)


def _expected_cell(lon: float, lat: float, grid: Grid, src: str = "EPSG:4326") -> tuple[int, int]:
    x, y = Transformer.from_crs(src, grid.crs, always_xy=True).transform(lon, lat)
    col, row = ~grid.transform @ (x, y)
    return int(row), int(col)


def _bright_square_raster(
    tmp_path: Path, write_tif, crs: str, centre: tuple[float, float], step: float
) -> Path:
    """21 x 21 raster centred on ``centre`` with a 3 x 3 bright square in its middle cells."""
    values = np.zeros((21, 21), np.float32)
    values[9:12, 9:12] = 100.0
    transform = Affine(step, 0, centre[0] - 10.5 * step, 0, -step, centre[1] + 10.5 * step)
    return write_tif(tmp_path / "square.tif", values, crs=crs, transform=transform)


def _peak(arr: np.ndarray) -> tuple[float, float]:
    rows, cols = np.nonzero(arr > 50)
    assert rows.size, "the bright square did not land on the grid"
    return rows.mean(), cols.mean()


def test_geographic_layer_lands_on_right_pixels(tmp_path: Path, write_tif) -> None:
    # Centre of the target cell (row 20, col 35), expressed in lon/lat.
    y, x = TARGET.coords()
    lon, lat = Transformer.from_crs(TARGET.crs, "EPSG:4326", always_xy=True).transform(
        x[35], y[20]
    )
    path = _bright_square_raster(tmp_path, write_tif, "EPSG:4326", (lon, lat), 0.0002)
    out = reproject_to_grid(read_raster(path), TARGET, "bilinear")
    assert out.dtype == np.float32 and out.shape == TARGET.shape
    assert _expected_cell(lon, lat, TARGET) == (20, 35)
    row, col = _peak(out)
    assert abs(row - 20) <= 1 and abs(col - 35) <= 1


def test_other_utm_zone_layer_lands_on_right_pixels(tmp_path: Path, write_tif) -> None:
    y, x = TARGET.coords()
    to_48 = Transformer.from_crs(TARGET.crs, "EPSG:32648", always_xy=True)
    cx, cy = to_48.transform(x[12], y[47])
    path = _bright_square_raster(tmp_path, write_tif, "EPSG:32648", (cx, cy), 15.0)
    out = reproject_to_grid(read_raster(path), TARGET, "nearest")
    row, col = _peak(out)
    assert abs(row - 47) <= 1 and abs(col - 12) <= 1
    # Outside the source footprint the grid is NaN, not 0.
    assert np.isnan(out[0, 0]) and np.isnan(out[-1, -1])


def test_nan_hole_stays_nan(tmp_path: Path, write_tif) -> None:
    values = np.ones((60, 60), np.float32)
    values[20:40, 20:40] = np.nan
    transform = Affine(20.0, 0, 500_000, 0, -20.0, 3_001_200)
    da = read_raster(write_tif(tmp_path / "hole.tif", values, transform=transform))
    shifted = Grid.from_bounds((500_010, 3_000_010, 501_190, 3_001_190), "EPSG:32647", 10.0)
    for method in ("bilinear", "nearest"):
        out = reproject_to_grid(da, shifted, method)
        assert not (out == 0).any()
        # Cells well inside the hole stay NaN; cells far from it keep the value 1.
        assert np.isnan(out[45:70, 45:70]).all()
        np.testing.assert_allclose(out[:30, :30], 1.0)


def test_no_overlap(tmp_path: Path, write_tif) -> None:
    far = Affine(20.0, 0, 700_000, 0, -20.0, 3_500_000)
    path = write_tif(tmp_path / "far.tif", np.ones((5, 5), np.float32), transform=far)
    with pytest.raises(NoOverlapError, match="far.tif.*does not intersect"):
        reproject_to_grid(read_raster(path), TARGET)


def test_rasterize_inventory(tmp_path: Path) -> None:
    # A 100 m square covering rows 10-14 and cols 5-9, given in lon/lat.
    x0, y1 = 500_000 + 5 * 20, 3_001_200 - 10 * 20
    square = gpd.GeoDataFrame(geometry=[box(x0, y1 - 100, x0 + 100, y1)], crs="EPSG:32647")
    mask = rasterize_inventory(square.to_crs("EPSG:4326"), TARGET)
    assert mask.dtype == np.uint8 and mask.shape == TARGET.shape
    rows, cols = np.nonzero(mask)
    assert 20 <= mask.sum() <= 30  # 25 cells, +- edge effects of the lon/lat round trip
    assert abs(rows.mean() - 12) < 0.5 and abs(cols.mean() - 7) < 0.5


def test_rasterize_inventory_out_of_extent() -> None:
    far = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs="EPSG:32647")
    far.attrs["source_path"] = "/data/far_slides.gpkg"
    with pytest.raises(InventoryError, match="far_slides.gpkg: none of 1 polygons"):
        rasterize_inventory(far, TARGET)


def test_target_grid_is_intersection_of_layers(tmp_path: Path, write_tif) -> None:
    a = write_tif(tmp_path / "a.tif", np.ones((50, 50), np.float32),
                  transform=Affine(10.0, 0, 500_000, 0, -10.0, 3_000_500))
    b = write_tif(tmp_path / "b.tif", np.ones((50, 50), np.float32),
                  transform=Affine(10.0, 0, 500_200, 0, -10.0, 3_000_300))
    layers = tuple(Layer(name=p.stem, role=r, path=p, format="GTiff")
                   for p, r in ((a, "dem"), (b, "lithology")))
    area = StudyArea(name="t", crs="EPSG:32647", layers=layers, resolution_m=25.0)
    grid = target_grid(area)
    assert grid.bounds == (500_200.0, 3_000_000.0, 500_500.0, 3_000_300.0)
    assert grid.resolution == (25.0, 25.0)
    assert target_grid(area, resolution_m=100).shape == (3, 3)
    with_bounds = StudyArea(name="t", crs="EPSG:32647", layers=layers, resolution_m=25.0,
                            bounds=(500_000, 3_000_000, 500_100, 3_000_100))
    assert target_grid(with_bounds).shape == (4, 4)
