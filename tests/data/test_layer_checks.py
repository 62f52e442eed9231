"""Registration refuses or reports what would give a wrong stack (issue 19).

Each case runs ``fcad-new-area`` (:func:`fcad_lib.data.new_area.main`): a refusal is one error
line naming the user's file, a finding is one warning line.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Polygon, box

from fcad_lib.data.layer_checks import LayerWarning, spike_count
from fcad_lib.data.new_area import main
from fcad_lib.data.readers import read_inventory

CRS = "EPSG:32647"
X0, Y1 = 500_000.0, 3_000_400.0  # the conftest rasters' corner: 40 x 40 pixels of 10 m


def _dem(write_tif, path: Path, spikes: int = 0) -> Path:
    rows, cols = np.mgrid[0:40, 0:40]
    dem = (1000 + 2.0 * rows + cols).astype(np.float32)
    dem.ravel()[:: 97][:spikes] = -9999.0  # an undeclared nodata value on a few pixels
    return write_tif(path, dem)


def _inventory(path: Path, *polygons: Polygon) -> Path:
    gpd.GeoDataFrame({"id": range(len(polygons))}, geometry=list(polygons), crs=CRS).to_file(path)
    return path


def _lines(capsys, kind: str) -> list[str]:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.startswith(f"new_area: {kind}:")]


def test_all_nan_layer_is_refused_naming_the_file(tmp_path, write_tif, capsys):
    empty = write_tif(tmp_path / "empty_slope_source.tif", np.full((40, 40), np.nan, "float32"))
    assert main(["a", "--dem", str(empty)]) == 2
    [line] = _lines(capsys, "error")
    assert f"{empty}: layer for role 'dem' has no data: every one of its 1600 pixels" in line


def test_inventory_outside_the_area_is_refused(tmp_path, write_tif, capsys):
    dem = _dem(write_tif, tmp_path / "dem.tif")
    far = _inventory(tmp_path / "far.gpkg", box(X0 + 50_000, Y1 - 300, X0 + 50_050, Y1 - 250))
    assert main(["a", "--dem", str(dem), "--inventory", str(far)]) == 2
    [line] = _lines(capsys, "error")
    assert f"{far}: none of its 1 polygon(s) lies inside area 'a'" in line
    near = _inventory(tmp_path / "near.gpkg", box(X0 + 250, Y1 - 300, X0 + 300, Y1 - 250))
    assert main(["a", "--dem", str(dem), "--inventory", str(near)]) == 0


def test_self_intersecting_polygons_are_repaired_and_counted(tmp_path, write_tif, capsys):
    dem = _dem(write_tif, tmp_path / "dem.tif")
    bowtie = Polygon([(X0 + 100, Y1 - 200), (X0 + 200, Y1 - 100), (X0 + 200, Y1 - 200),
                      (X0 + 100, Y1 - 100)])
    inv = _inventory(tmp_path / "slides.gpkg", bowtie, box(X0 + 250, Y1 - 300, X0 + 300,
                                                           Y1 - 250))
    assert main(["a", "--dem", str(dem), "--inventory", str(inv)]) == 0
    [line] = _lines(capsys, "warning")  # said once, though the file is read twice
    assert f"{inv}: 1 invalid (e.g. self-intersecting) polygon(s)" in line
    assert "repaired with shapely.make_valid" in line
    with pytest.warns(LayerWarning, match="1 invalid"):
        gdf = read_inventory(inv)
    assert gdf.geometry.is_valid.all() and gdf.attrs["repaired"] == 1
    assert gdf.geometry.area.sum() == pytest.approx(2 * 2500 + 2500)  # both triangles kept


def test_spikes_warn_with_their_count(tmp_path, write_tif, capsys):
    dem = _dem(write_tif, tmp_path / "dem.tif", spikes=3)
    assert main(["a", "--dem", str(dem)]) == 0
    [line] = _lines(capsys, "warning")
    assert f"{dem}: dem has 3 pixel(s) (0.188% of its data) beyond median +- 20 MAD" in line
    assert "from -9999 to -9999: spikes, a nodata value the file does not declare" in line
    clean = _dem(write_tif, tmp_path / "clean.tif")
    assert main(["a", "--dem", str(clean)]) == 0
    assert _lines(capsys, "warning") == []


def test_spike_count_ignores_heavy_tails_and_constant_layers():
    rng = np.random.default_rng(0)
    assert spike_count(rng.standard_normal(10_000))[0] == 0
    assert spike_count(np.ones(100))[0] == 0  # no spread: nothing to judge by
    values = np.r_[rng.standard_normal(10_000), [500.0, -500.0], [np.nan] * 5]
    assert spike_count(values)[0] == 2


@pytest.mark.parametrize(("values", "given", "says"), [
    (1e6, "mm/yr", "is 1e+06 mm/yr, above the 10000 mm/yr InSAR can follow; no rate unit "
                   "(mm/yr, cm/yr, m/yr) fits them: check its values and its nodata value"),
    (30.0, "m/yr", "is 30 m/yr = 3e+04 mm/yr, above the 10000 mm/yr InSAR can follow; read as "
                   "mm/yr or cm/yr they would be plausible: check the declared unit"),
])
def test_rate_magnitude_error_says_what_was_read_and_what_fits(tmp_path, write_tif, capsys,
                                                               values, given, says):
    rng = np.random.default_rng(1)
    rate = np.full((40, 40), values, "float32") * np.where(rng.random((40, 40)) < 0.5, 1, -1)
    path = write_tif(tmp_path / "vel.tif", rate.astype("float32"))
    assert main(["a", "--deformation-rate", str(path), "--deformation-units", given]) == 2
    [line] = _lines(capsys, "error")
    assert f"{path}: layer 'deformation_rate': 99th percentile of |deformation rate| {says}" \
        in line
