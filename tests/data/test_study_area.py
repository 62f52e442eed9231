"""``load_study_area``: the aligned stack contract of ``book/architecture.md``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fcad_lib.data.manifest import load_manifest
from fcad_lib.data.study_area import load_study_area
from fcad_lib.errors import ChecksumError
from fcad_lib.factors import FACTOR_ORDER


def _snapshot(paths: list[Path]) -> dict[Path, tuple[int, bytes]]:
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in paths}


def test_factor_order_is_the_contract() -> None:
    assert FACTOR_ORDER == ("deformation_rate", "B2", "B3", "B4", "B8", "elevation", "slope",
                            "aspect", "curvature", "lithology")


def test_small_area_stack(small_area: dict) -> None:
    files = list(small_area["files"].values())
    before = _snapshot(files)
    ds = load_study_area("small", manifest=small_area["manifest"])

    expected = ["deformation_rate", "elevation", "slope", "aspect", "curvature", "lithology"]
    assert ds.attrs["factors"] == expected
    assert [v for v in ds.data_vars if v in FACTOR_ORDER] == expected
    assert ds.attrs["missing_roles"] == ["optical_B2", "optical_B3", "optical_B4", "optical_B8",
                                         "landcover"]
    assert ds.attrs["area"] == "small" and ds.attrs["crs"] == "EPSG:32647"
    assert ds.attrs["resolution_m"] == 10.0
    assert ds.rio.crs.to_epsg() == 32647
    assert tuple(ds.rio.transform())[:6] == (10.0, 0.0, 500_000.0, 0.0, -10.0, 3_000_400.0)
    assert ds.sizes == {"y": 40, "x": 40}
    units = {f: ds[f].attrs["units"] for f in expected}
    assert units == {"deformation_rate": "mm/yr", "elevation": "m", "slope": "degree",
                     "aspect": "degree", "curvature": "1/m", "lithology": "class code"}
    for f in expected:
        assert ds[f].dtype == np.float32 and ds[f].attrs["long_name"]

    # Same grid as the files: values pass through; m/yr became mm/yr.
    rate = ds["deformation_rate"].values
    np.testing.assert_allclose(rate, small_area["rate"] * 1000, rtol=1e-5, equal_nan=True)
    np.testing.assert_allclose(ds["elevation"].values, small_area["dem"], rtol=1e-6)
    # The NaN hole stays NaN (never 0) and is masked in `valid`; so is the lithology nodata.
    assert np.isnan(rate[10:20, 10:20]).all() and not (rate == 0).any()
    assert not ds["valid"].values[10:20, 10:20].any()
    assert np.isnan(ds["lithology"].values[0, 0]) and not ds["valid"].values[0, 0]
    assert set(np.unique(ds["lithology"].values[1:, 1:])) == {1.0, 2.0}
    assert ds["valid"].values[30, 5]
    assert ds["valid"].dtype == bool
    # Slope of the plane z = 1000 + 2 row + col over 10 m cells is atan(sqrt(0.2^2 + 0.1^2)).
    assert np.nanmedian(ds["slope"].values) == pytest.approx(
        np.degrees(np.arctan(np.hypot(0.2, 0.1))), abs=0.5
    )
    # Inventory: a 50 m square at rows 25-29, cols 25-29.
    label = ds["label"].values
    assert label.dtype == np.uint8 and label.sum() == 25 and label[25:30, 25:30].all()

    assert _snapshot(files) == before, "an input file was modified"


def test_area_without_dem_has_no_terrain(small_area: dict) -> None:
    ds = load_study_area("no_dem", manifest=small_area["manifest"])
    assert ds.attrs["factors"] == ["lithology"]
    assert "slope" not in ds and "label" not in ds
    assert "dem" in ds.attrs["missing_roles"] and "inventory" in ds.attrs["missing_roles"]


def test_tampered_file_is_refused(small_area: dict) -> None:
    area = load_manifest(small_area["manifest"])["small"]
    path = small_area["files"]["dem"]
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ChecksumError, match="dem.tif"):
        load_study_area(area)
    # verify=False skips the check (the trailing byte does not break the GeoTIFF).
    assert "elevation" in load_study_area(area, verify=False)


def test_balakot_real_data(shared_data: Path) -> None:
    area = load_manifest()["balakot"]
    before = _snapshot([layer.path for layer in area.layers])
    ds = load_study_area("balakot", resolution_m=60)
    assert ds.attrs["factors"] == ["elevation", "slope", "aspect", "curvature", "lithology"]
    assert ds.attrs["missing_roles"] == [
        "deformation_rate", "optical_B2", "optical_B3", "optical_B4", "optical_B8"
    ]
    assert ds.rio.crs.to_epsg() == 32643 and ds.attrs["resolution_m"] == 60.0
    elev = ds["elevation"].values
    assert 850 < np.nanmin(elev) and np.nanmax(elev) < 4150  # README: 905..4099 m
    assert ds["valid"].mean() > 0.95
    litho = np.unique(ds["lithology"].values[np.isfinite(ds["lithology"].values)])
    assert set(litho) <= set(range(2, 21))
    # 8.17 km2 of mapped landslides at 60 m cells is about 2270 cells.
    assert 1800 < int(ds["label"].sum()) < 2800
    assert _snapshot([layer.path for layer in area.layers]) == before


def test_cadia_insar_in_utm(shared_data: Path) -> None:
    ds = load_study_area("cadia_insar", resolution_m=80)
    assert ds.attrs["factors"] == ["deformation_rate"]
    assert ds.rio.crs.to_epsg() == 32755
    rate = ds["deformation_rate"].values
    assert -60 < np.nanmin(rate) < -20 and "label" not in ds
    # Pixels without coverage are NaN and not valid.
    assert np.isnan(rate).any() and (ds["valid"].values == np.isfinite(rate)).all()
