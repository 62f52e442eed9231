"""The manifest entry written from a user's own files loads through the normal path."""

from pathlib import Path

import numpy as np
import pytest
import yaml
from affine import Affine

from fcad_lib.data.new_area import area_entry, layer_entry, main, projected_crs_for
from fcad_lib.data.study_area import load_study_area
from fcad_lib.errors import FcadDataError


def test_entry_from_files_loads_as_a_study_area(small_area, tmp_path):
    files = small_area["files"]
    entry = area_entry("mine", {"dem": files["dem"], "lithology": files["lithology"],
                                "inventory": files["inventory"]}, resolution_m=10.0,
                       relative_to=tmp_path)
    layers = {layer["role"]: layer for layer in entry["mine"]["layers"]}
    assert entry["mine"]["crs"] == "EPSG:32647"
    assert layers["lithology"]["resampling"] == "nearest"
    assert layers["lithology"]["nodata"] == -1.0
    assert layers["dem"]["path"] == "data/dem.tif"  # relative to the manifest folder
    manifest = tmp_path / "mine.yml"
    manifest.write_text(yaml.safe_dump({"version": 1, "areas": entry}))
    ds = load_study_area("mine", manifest=manifest)
    assert ds.attrs["factors"] == ["elevation", "slope", "aspect", "curvature", "lithology"]
    assert int(ds["label"].sum()) == 25


def test_geographic_raster_gets_its_utm_zone(write_tif, tmp_path):
    # 0.01 degree pixels around 103 E, 27 N (Baihetan): UTM zone 48 N
    path = write_tif(tmp_path / "lonlat.tif", np.zeros((10, 10), np.float32), crs="EPSG:4326",
                     transform=Affine(0.01, 0, 103.0, 0, -0.01, 27.0))
    assert projected_crs_for(path) == "EPSG:32648"


def test_bad_role_and_file_type_are_clear_errors(small_area, tmp_path, capsys):
    with pytest.raises(ValueError, match="unknown role"):
        layer_entry(small_area["files"]["dem"], "elevation_model")
    odd = tmp_path / "dem.asc"
    odd.write_text("ncols 1")  # a truncated ASCII grid: judged by content, and unreadable
    with pytest.raises(FcadDataError, match="dem.asc: neither GDAL"):
        layer_entry(odd, "dem")
    assert main(["x", "--dem", str(tmp_path / "missing.tif")]) == 2
    assert "missing.tif" in capsys.readouterr().err


def test_cli_prints_yaml(small_area, capsys):
    assert main(["mine", "--dem", str(small_area["files"]["dem"]),
                 "--relative-to", str(Path(small_area["manifest"]).parent)]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["mine"]["layers"][0]["role"] == "dem"


def test_tab_indented_manifest_is_one_line_not_a_traceback(small_area, tmp_path, capsys):
    from fcad_lib.data.manifest import load_manifest
    from fcad_lib.errors import ManifestError

    manifest = tmp_path / "tabs.yml"
    manifest.write_text("version: 1\nareas:\n\told: {}\n")
    assert main(["mine", "--dem", str(small_area["files"]["dem"]), "--manifest",
                 str(manifest)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err == (f"new_area: error: {manifest}: not valid YAML at line 3, column 1: found "
                   "character '\\t' that cannot start any token; indent with spaces, YAML does "
                   "not allow tabs")
    assert manifest.read_text() == "version: 1\nareas:\n\told: {}\n"  # left as it was
    with pytest.raises(ManifestError, match=r"^[^\n]*line 3, column 1[^\n]*$"):
        load_manifest(manifest)  # fcad-predict --manifest reads it this way
