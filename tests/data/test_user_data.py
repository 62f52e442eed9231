"""A user's own files: units, bands, formats, one-line errors and the manifest entry (issue 10).

Each test is a mistake that used to run to exit 0 with a wrong result, or to a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import h5py
import numpy as np
import pytest
import rasterio
import yaml
from affine import Affine
from shapely.geometry import box

from fcad_lib.data.manifest import load_manifest, sha256_file
from fcad_lib.data.new_area import (
    append_to_manifest,
    area_entry,
    entry_block,
    layer_entry,
    main,
)
from fcad_lib.data.study_area import load_study_area
from fcad_lib.errors import BandCountError, FcadDataError, ManifestError

CRS = "EPSG:32647"
T10 = Affine(10.0, 0, 500_000.0, 0, -10.0, 3_000_400.0)


def _rate_m_per_yr(seed: int = 0) -> np.ndarray:
    """A realistic rate field in m/yr (a few cm/yr): p99 |v| about 0.03."""
    rng = np.random.default_rng(seed)
    return (0.01 * rng.standard_normal((40, 40))).astype(np.float32)


def _tif(path: Path, array: np.ndarray, units: str | None = None, crs: str | None = CRS,
         transform: Affine = T10, driver: str = "GTiff") -> Path:
    data = array[None] if array.ndim == 2 else array
    profile = {"driver": driver, "height": data.shape[1], "width": data.shape[2],
               "count": data.shape[0], "dtype": data.dtype.name, "transform": transform}
    if crs:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        if units:
            dst.update_tags(1, units=units)
    return path


def _mintpy(path: Path, values: np.ndarray, unit: str | None, geocoded: bool = True) -> Path:
    with h5py.File(path, "w") as h5:
        ds = h5.create_dataset("velocity", data=values)
        if unit:
            ds.attrs["UNIT"] = unit
        h5.attrs.update(WIDTH=str(values.shape[1]), LENGTH=str(values.shape[0]))
        if geocoded:
            h5.attrs.update(X_FIRST="103.0", Y_FIRST="27.0", X_STEP="0.0003",
                            Y_STEP="-0.0003", EPSG="4326")
    return path


def _one_line_error(capsys: pytest.CaptureFixture, needle: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("new_area: error:"), err
    assert "\n" not in err and "Traceback" not in err
    assert needle in err, err
    return err


# ------------------------------------------------------------------------------------- units
def test_geotiff_rate_without_a_stated_unit_is_refused(tmp_path):
    """A m/yr GeoTIFF (MintPy save_gdal) used to be registered as mm/yr: 1000x too small."""
    path = _tif(tmp_path / "vel.tif", _rate_m_per_yr())
    with pytest.raises(FcadDataError, match="states no unit.*--deformation-units"):
        layer_entry(path, "deformation_rate")


def test_geotiff_unit_tag_is_read_and_converted(tmp_path):
    rate = _rate_m_per_yr()
    path = _tif(tmp_path / "vel.tif", rate, units="m/yr")
    entry = area_entry("mine", {"deformation_rate": path}, relative_to=tmp_path)
    assert entry["mine"]["layers"][0]["units"] == "m/yr"
    manifest = tmp_path / "m.yml"
    append_to_manifest(entry, manifest)
    ds = load_study_area("mine", manifest=manifest)
    np.testing.assert_allclose(ds["deformation_rate"].values, rate * 1000, rtol=1e-5)


def test_wrong_unit_is_caught_by_magnitude_naming_the_layer(tmp_path):
    path = _tif(tmp_path / "vel.tif", _rate_m_per_yr())
    with pytest.raises(FcadDataError, match=r"'deformation_rate'.*is 0.0\d+ mm/yr, below "
                                            r".*; read as m/yr they would be plausible"):
        layer_entry(path, "deformation_rate", units="mm/yr")
    # the same mistake written into a manifest by hand stops the loader
    manifest = tmp_path / "m.yml"
    append_to_manifest(area_entry("mine", {"deformation_rate": path}, relative_to=tmp_path,
                                  deformation_units="m/yr"), manifest)
    manifest.write_text(manifest.read_text().replace("units: m/yr", "units: mm/yr"))
    with pytest.raises(FcadDataError, match=r"vel.tif: layer 'deformation_rate'.*m/yr"):
        load_study_area("mine", manifest=manifest)


def test_unit_given_and_stated_must_agree(tmp_path):
    path = _tif(tmp_path / "vel.tif", _rate_m_per_yr(), units="m/yr")
    with pytest.raises(FcadDataError, match="states unit 'm/yr' but --deformation-units"):
        layer_entry(path, "deformation_rate", units="mm/yr")
    with pytest.raises(FcadDataError, match="unit 'furlongs' is not known"):
        layer_entry(_tif(tmp_path / "v2.tif", _rate_m_per_yr()), "deformation_rate",
                    units="furlongs")


def test_mintpy_unit_comes_from_the_file(tmp_path):
    rate_cm = 100 * _rate_m_per_yr()
    path = _mintpy(tmp_path / "velocity.h5", rate_cm, unit="cm/year")
    entry = layer_entry(path, "deformation_rate")
    assert entry["units"] == "cm/year"  # used to be written as m/yr whatever the file said
    path2 = _mintpy(tmp_path / "nounit.h5", rate_cm, unit=None)
    with pytest.raises(FcadDataError, match="states no unit"):
        layer_entry(path2, "deformation_rate")


# ------------------------------------------------------------------------------------- bands
def test_multiband_file_needs_a_band(tmp_path, capsys):
    rgb = np.stack([np.full((40, 40), v, np.float32) for v in (0.3, 0.2, 0.1)])
    path = _tif(tmp_path / "rgb.tif", rgb)
    with pytest.raises(BandCountError, match="has 3 bands.*rgb.tif:N"):
        layer_entry(path, "optical_B2")
    assert main(["mine", "--b2", str(path)]) == 2
    _one_line_error(capsys, "rgb.tif:N")
    manifest = tmp_path / "m.yml"
    assert main(["mine", "--b2", f"{path}:3", "--manifest", str(manifest)]) == 0
    layer = load_manifest(manifest)["mine"].layer("optical_B2")
    assert (layer.band, layer.count) == (3, 3)
    ds = load_study_area("mine", manifest=manifest)
    np.testing.assert_allclose(ds["B2"].values, 0.1)  # blue, not red


# ----------------------------------------------------------------------------------- formats
@pytest.mark.parametrize("driver, name", [("HFA", "dem.img"), ("AAIGrid", "dem.asc")])
def test_any_gdal_raster_is_accepted_by_content(tmp_path, driver, name):
    rows, cols = np.mgrid[0:40, 0:40]
    dem = (1000 + 2.0 * rows + cols).astype(np.float32)
    path = _tif(tmp_path / name, dem, driver=driver)
    entry = area_entry("mine", {"dem": path}, relative_to=tmp_path)
    assert entry["mine"]["layers"][0]["format"] == "GDAL"
    manifest = tmp_path / "m.yml"
    append_to_manifest(entry, manifest)
    ds = load_study_area("mine", manifest=manifest)
    np.testing.assert_allclose(ds["elevation"].values, dem)


# ---------------------------------------------------------------------------- one-line errors
def test_data_errors_are_one_line_without_traceback(tmp_path, capsys):
    empty = tmp_path / "empty.gpkg"
    gpd.GeoDataFrame(geometry=[], crs=CRS).to_file(empty)
    assert main(["a", "--inventory", str(empty), "--resolution-m", "10"]) == 2
    _one_line_error(capsys, "empty.gpkg: inventory holds no polygon")

    no_crs = _tif(tmp_path / "nocrs.tif", np.ones((40, 40), np.float32), crs=None)
    assert main(["a", "--dem", str(no_crs)]) == 2
    _one_line_error(capsys, "nocrs.tif: file has no CRS")

    radar = _mintpy(tmp_path / "radar.h5", 100 * _rate_m_per_yr(), "cm/year", geocoded=False)
    assert main(["a", "--deformation-rate", str(radar)]) == 2
    _one_line_error(capsys, "radar.h5: no X_FIRST")

    shp = tmp_path / "slides.shp"
    gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)], crs=CRS).to_file(shp)
    shp.with_suffix(".prj").unlink()
    assert main(["a", "--inventory", str(shp), "--resolution-m", "10"]) == 2
    _one_line_error(capsys, "slides.shp: inventory has no CRS")

    cut = _tif(tmp_path / "cut.tif", np.random.default_rng(0).random((200, 200), np.float32))
    os.truncate(cut, cut.stat().st_size // 2)  # header intact, pixels gone
    assert main(["a", "--dem", str(cut)]) == 2
    _one_line_error(capsys, "cut.tif: cannot read band 1")


# ------------------------------------------------------------------------------------- grid
def test_grid_defaults_to_the_dem_pixel_and_warns_on_upsampling(tmp_path, capsys):
    rows, cols = np.mgrid[0:40, 0:40]
    dem = _tif(tmp_path / "dem.tif", (1000 + rows + cols).astype(np.float32),
               transform=Affine(78.0, 0, 500_000.0, 0, -78.0, 3_000_400.0))
    assert main(["a", "--dem", str(dem)]) == 0
    out = capsys.readouterr()
    assert yaml.safe_load(out.out)["a"]["resolution_m"] == 78.0
    assert "warning" not in out.err
    assert main(["a", "--dem", str(dem), "--resolution-m", "12.5"]) == 0
    err = capsys.readouterr().err
    assert "dem.tif: dem has 78 m pixels; the 12.5 m grid up-samples it 6.2x" in err


# -------------------------------------------------------------------------------- manifest


def _with_old_area(tmp_path: Path, small_area: dict) -> Path:
    dem = small_area["files"]["dem"]
    block = entry_block(area_entry("old", {"dem": dem}, relative_to=tmp_path))
    manifest = tmp_path / "areas.yml"
    manifest.write_text("# my areas\nversion: 1\nareas:\n" + block)
    return manifest


def test_manifest_append_keeps_comments_and_a_backup_and_refuses_duplicates(
    tmp_path, small_area, capsys
):
    manifest = _with_old_area(tmp_path, small_area)
    before = manifest.read_text()
    files = small_area["files"]
    args = ["new", "--dem", str(files["dem"]), "--lithology", str(files["lithology"]),
            "--inventory", str(files["inventory"]), "--manifest", str(manifest)]
    assert main(args) == 0
    assert "added area 'new'" in capsys.readouterr().err
    assert manifest.read_text().startswith(before)  # comments and old entries untouched
    assert Path(str(manifest) + ".bak").read_text() == before
    loaded = load_manifest(manifest)
    assert loaded.names == ["old", "new"]
    assert int(load_study_area("new", manifest=manifest)["label"].sum()) == 25
    after = manifest.read_text()
    assert main(args) == 2
    _one_line_error(capsys, "area 'new' exists already")
    assert manifest.read_text() == after


def test_manifest_append_when_areas_is_not_the_last_key(tmp_path, small_area):
    manifest = tmp_path / "areas.yml"
    manifest.write_text("areas: {}\nversion: 1\n")
    append_to_manifest(area_entry("new", {"dem": small_area["files"]["dem"]},
                                  relative_to=tmp_path), manifest)
    assert load_manifest(manifest).names == ["new"]


def test_printed_block_pastes_under_areas(tmp_path, small_area, capsys):
    manifest = _with_old_area(tmp_path, small_area)
    assert main(["pasted", "--dem", str(small_area["files"]["dem"]),
                 "--relative-to", str(tmp_path)]) == 0
    manifest.write_text(manifest.read_text() + capsys.readouterr().out)
    assert load_manifest(manifest).names == ["old", "pasted"]


def test_block_pasted_at_column_zero_is_an_error(tmp_path, small_area):
    """It used to be ignored silently; the only later error was 'unknown study area'."""
    manifest = _with_old_area(tmp_path, small_area)
    block = entry_block(area_entry("pasted", {"dem": small_area["files"]["dem"]},
                                   relative_to=tmp_path), indent=0)
    manifest.write_text(manifest.read_text() + block)
    with pytest.raises(ManifestError, match="'pasted'.*indent"):
        load_manifest(manifest)


# ------------------------------------------------------------------------------ valid data
def test_all_nodata_layer_is_refused_naming_it(tmp_path, small_area):
    rate = tmp_path / "empty_rate.tif"
    _tif(rate, np.full((40, 40), np.nan, np.float32), units="mm/yr")
    manifest = tmp_path / "m.yml"
    entry = area_entry("mine", {"dem": small_area["files"]["dem"]}, relative_to=tmp_path)
    entry["mine"]["layers"].append({**entry["mine"]["layers"][0], "name": "empty_rate",
                                    "role": "deformation_rate", "path": "empty_rate.tif",
                                    "units": "mm/yr", "sha256": sha256_file(rate)})
    append_to_manifest(entry, manifest)
    with pytest.raises(FcadDataError, match=r"empty_rate.tif: layer 'empty_rate' "
                                            r"\(deformation_rate\) has data on 0.0% of the grid"):
        load_study_area("mine", manifest=manifest)


def test_loader_warns_when_the_grid_upsamples_a_layer(tmp_path, caplog):
    rows, cols = np.mgrid[0:40, 0:40]
    dem = _tif(tmp_path / "dem.tif", (1000 + rows + cols).astype(np.float32),
               transform=Affine(78.0, 0, 500_000.0, 0, -78.0, 3_000_400.0))
    manifest = tmp_path / "m.yml"
    append_to_manifest(area_entry("mine", {"dem": dem}, relative_to=tmp_path), manifest)
    with caplog.at_level("WARNING"):
        load_study_area("mine", manifest=manifest, resolution_m=78.0)
        assert "up-samples" not in caplog.text
        load_study_area("mine", manifest=manifest, resolution_m=26.0)
    assert "dem.tif: layer 'dem' has 78 m pixels; the 26 m grid up-samples it 3.0x" in caplog.text
