"""Shared fixtures: tiny GeoTIFF / inventory writers and a small study area in ``tmp_path``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import yaml
from affine import Affine
from shapely.geometry import box

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# The small area: UTM 47N, 10 m pixels, 40 x 40 cells from (500000, 3000000) up.
SMALL_ORIGIN = (500_000.0, 3_000_400.0)
SMALL_RES = 10.0
SMALL_SIZE = 40


def write_geotiff(
    path: Path,
    array: np.ndarray,
    crs: str | None = "EPSG:32647",
    transform: Affine | None = None,
    nodata: float | None = np.nan,
) -> Path:
    """Write a 2-D (one band) or 3-D (bands first) array as a GeoTIFF; ``crs=None`` omits it."""
    data = array[np.newaxis] if array.ndim == 2 else array
    count, height, width = data.shape
    if transform is None:
        transform = Affine(SMALL_RES, 0, SMALL_ORIGIN[0], 0, -SMALL_RES, SMALL_ORIGIN[1])
    profile = {
        "driver": "GTiff", "height": height, "width": width, "count": count,
        "dtype": data.dtype.name, "transform": transform,
    }
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def write_tif() -> Callable[..., Path]:
    """The GeoTIFF writer, as a fixture so test modules need no import from conftest."""
    return write_geotiff


@pytest.fixture
def sha256_of() -> Callable[[Path], str]:
    """Hex sha256 of a file."""
    return sha256


@pytest.fixture
def shared_data() -> Path:
    """The real shared data folder; tests using it are skipped when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def small_area(tmp_path: Path, rng: np.random.Generator) -> dict:
    """A 40 x 40 area: DEM (tilted plane + noise), lithology (int16, nodata -1, with a -1 cell),
    a deformation layer in m/yr with a NaN hole at rows 10-19, cols 10-19, and a GPKG inventory
    with one 50 m square. Returns the manifest path and the written files.
    """
    data = tmp_path / "data"
    data.mkdir()
    n = SMALL_SIZE
    rows, cols = np.mgrid[0:n, 0:n]
    dem = (1000 + 2.0 * rows + 1.0 * cols + rng.normal(0, 0.1, (n, n))).astype(np.float32)
    litho = np.where(cols < n // 2, 1, 2).astype(np.int16)
    litho[0, 0] = -1
    rate = (-0.01 + 0.001 * rng.standard_normal((n, n))).astype(np.float32)
    rate[10:20, 10:20] = np.nan
    files = {
        "dem": write_geotiff(data / "dem.tif", dem),
        "lithology": write_geotiff(data / "lithology.tif", litho, nodata=-1),
        "deformation_rate": write_geotiff(data / "rate.tif", rate),
    }
    x0, y1 = SMALL_ORIGIN
    slide = box(x0 + 250, y1 - 300, x0 + 300, y1 - 250)  # rows 25-29, cols 25-29
    inv = data / "slides.gpkg"
    gpd.GeoDataFrame({"id": [1]}, geometry=[slide], crs="EPSG:32647").to_file(inv)
    files["inventory"] = inv

    def entry(name: str, role: str, path: Path, fmt: str, units: str | None,
              resampling: str, nodata: object) -> dict:
        return {
            "name": name, "role": role, "path": f"data/{path.name}", "format": fmt,
            "units": units, "crs": "EPSG:32647", "nodata": nodata, "resampling": resampling,
            "sha256": sha256(path), "source": "test fixture", "licence": "MIT",
        }

    manifest = {
        "version": 1,
        "areas": {
            "small": {
                "description": "tiny test area",
                "crs": "EPSG:32647",
                "resolution_m": 10.0,
                "layers": [
                    entry("rate", "deformation_rate", files["deformation_rate"], "GTiff",
                          "m/yr", "bilinear", "nan"),
                    entry("dem", "dem", files["dem"], "GTiff", "m", "bilinear", "nan"),
                    entry("litho", "lithology", files["lithology"], "GTiff", "1", "nearest", -1),
                    entry("slides", "inventory", inv, "GPKG", None, "nearest", None),
                ],
            },
            "no_dem": {
                "crs": "EPSG:32647",
                "resolution_m": 10.0,
                "layers": [
                    entry("litho", "lithology", files["lithology"], "GTiff", "1", "nearest", -1),
                ],
            },
        },
    }
    path = tmp_path / "manifest.yml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False))
    return {"manifest": path, "files": files, "dem": dem, "rate": rate, "litho": litho}
