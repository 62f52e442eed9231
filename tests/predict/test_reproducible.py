"""A re-run with the same inputs writes the same bytes (issue 19)."""

from __future__ import annotations

import os
import time

from fcad_lib.data.study_area import load_study_area
from fcad_lib.predict import cli
from tests.predict.helpers import make_bundle, tiny_model_of

FACTORS = ["deformation_rate", "slope", "lithology"]


def test_rerun_writes_byte_identical_outputs(tmp_path, small_area, monkeypatch):
    ds = load_study_area("small", manifest=small_area["manifest"])
    valid = ds["valid"].values
    stats = [(float(ds[f].values[valid].mean()), float(ds[f].values[valid].std()))
             for f in FACTORS[:2]]
    bundle = make_bundle(tmp_path / "bundle", FACTORS, [m for m, _ in stats] + [0.0, 0.0],
                         [s for _, s in stats] + [1.0, 1.0], codes=[1, 2])
    monkeypatch.setattr(cli, "load_model", tiny_model_of)
    outputs = []
    for name in ("a", "b"):
        assert cli.main([str(bundle), "small", str(tmp_path / name), "--manifest",
                         str(small_area["manifest"]), "--overlap", "4", "--no-progress"]) == 0
        outputs.append({p.name: p.read_bytes() for p in (tmp_path / name).iterdir()})
        time.sleep(1.1)  # a timestamp with one-second resolution would differ
    assert sorted(outputs[0]) == ["factors.tif", "landslide_map.tif", "polygons.gpkg",
                                  "probability.tif"]
    different = [n for n in outputs[0] if outputs[0][n] != outputs[1][n]]
    assert different == []


def test_geopackage_timestamp_is_fixed_and_the_environment_restored(tmp_path, monkeypatch):
    import sqlite3

    import geopandas as gpd
    from shapely.geometry import box

    from fcad_lib.predict.polygons import GPKG_DATE, write_polygons

    monkeypatch.setenv("OGR_CURRENT_DATE", "mine")
    gdf = gpd.GeoDataFrame({"area_m2": [1.0]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:32647")
    path = write_polygons(gdf, tmp_path / "p.gpkg")
    with sqlite3.connect(path) as db:
        [(stamp,)] = db.execute("SELECT last_change FROM gpkg_contents").fetchall()
    assert stamp == GPKG_DATE == "2000-01-01T00:00:00.000Z"
    assert os.environ["OGR_CURRENT_DATE"] == "mine"
