"""Your own area in five commands, on a crop of the real Balakot DEM and inventory.

fcad-new-area registers the files, fcad-stack writes the factor stack, fcad-train trains a
compact FCADenseNet on the terrain factors the area has (no optical, no InSAR), fcad-predict
maps the stack and fcad-evaluate scores the map against the inventory: each through its
``main(argv)``, as the console scripts call it.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.windows import Window
from shapely.geometry import box

from fcad_lib.bundle import PREPROCESSING_FILE, Preprocessing, TrainingGrid
from fcad_lib.cli import evaluate, stack, train
from fcad_lib.data import new_area
from fcad_lib.data.study_area import load_study_area
from fcad_lib.predict import cli as predict

TERRAIN = ["elevation", "slope", "aspect", "curvature"]
#: 384 x 384 DEM pixels (11 km) around the densest landslides: a blocked split of 64 px tiles
#: needs about 30 tiles to leave train, validation and test blocks apart.
CROP = Window(387, 221, 384, 384)


@pytest.fixture
def balakot_crop(shared_data: Path, tmp_path: Path) -> dict[str, Path]:
    """The crop's DEM (GeoTIFF) and the inventory polygons clipped to it (GeoPackage)."""
    src_dir, out = shared_data / "balakot", tmp_path / "files"
    out.mkdir()
    with rasterio.open(src_dir / "AW3D30.tif") as src:
        t = src.transform  # the crop's transform by hand: rasterio's window helpers warn
        x0, y1 = t.c + CROP.col_off * t.a, t.f + CROP.row_off * t.e
        profile = src.profile | {"width": CROP.width, "height": CROP.height,
                                 "transform": Affine(t.a, 0.0, x0, 0.0, t.e, y1)}
        with rasterio.open(out / "dem.tif", "w", **profile) as dst:
            dst.write(src.read(window=CROP))
    crop = box(x0, y1 + CROP.height * t.e, x0 + CROP.width * t.a, y1)
    slides = gpd.read_file(src_dir / "landslides.shp")
    slides[slides.intersects(crop)].clip(crop).to_file(out / "slides.gpkg")
    return {"dem": out / "dem.tif", "inventory": out / "slides.gpkg"}


@pytest.mark.slow
def test_five_commands_from_files_to_scores(balakot_crop, tmp_path, capsys):
    manifest = str(tmp_path / "my_areas.yml")
    area = ["kaghan", "--manifest", manifest]
    # 1. register: the grid is the DEM's own pixel
    assert new_area.main(["kaghan", "--dem", str(balakot_crop["dem"]), "--inventory",
                          str(balakot_crop["inventory"]), "--manifest", manifest]) == 0
    # 2. the factor stack alone
    assert stack.main([area[0], str(tmp_path / "stack.tif"), *area[1:]]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["factors"] == TERRAIN and record["resolution_m"] == pytest.approx(28.55)
    with rasterio.open(tmp_path / "stack.tif") as src:
        assert list(src.descriptions) == TERRAIN and src.crs.to_string() == "EPSG:32643"
    # 3. train on what the area has: optical and InSAR asked for, absent, left out
    bundle = tmp_path / "bundle"
    assert train.main([area[0], str(bundle), *area[1:], "--factors", "deformation_rate", "B2",
                       "terrain", "--profile", "quick", "--epochs", "1", "--steps-per-epoch",
                       "3", "--no-progress"]) == 0
    out = capsys.readouterr()
    assert "lacks ['deformation_rate', 'B2', 'lithology']" in out.err
    assert out.out.splitlines()[1].split() == ["split", "pre", "rec", "f1", "kappa", "miou",
                                               "ap"]
    trained = json.loads(out.out.strip().splitlines()[-1])
    assert set(trained["test"]) >= {"pre", "rec", "f1", "kappa", "miou", "ap"}
    prep = Preprocessing.from_json(bundle / PREPROCESSING_FILE)
    assert prep.factors == TERRAIN and prep.grid == TrainingGrid(
        pytest.approx(28.55), "EPSG:32643",
        {"elevation": "m", "slope": "degree", "aspect": "degree", "curvature": "1/m"}, 64,
        "quick")
    result = json.loads((bundle / "result.json").read_text())
    assert result["spec"]["model_config"] == "compact" and result["spec"]["split"] == "blocked"
    assert result["recipe"] == "rare-foreground" and result["spec"]["sampling"] == "foreground"
    # 4. map the stack fcad-stack wrote
    assert predict.main([str(bundle), str(tmp_path / "stack.tif"), str(tmp_path / "map"),
                         "--no-progress"]) == 0
    mapped = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert mapped["grid"]["ratio"] == 1.0 and not mapped["grid"]["allow_resolution_mismatch"]
    # 5. score the map against the inventory
    scores = tmp_path / "scores.json"
    assert evaluate.main([str(bundle), *area, "--prediction", str(tmp_path / "map"), "--out",
                          str(scores)]) == 0
    out = capsys.readouterr()
    assert "these scores include its training tiles" in out.err
    record = json.loads(scores.read_text())
    # the pixel counts are those of the map against the loader's labels on the same grid
    ds = load_study_area("kaghan", manifest=manifest)
    with rasterio.open(tmp_path / "map" / "probability.tif") as src:
        prob = src.read(1)
    scored = np.isfinite(prob)
    label = ds["label"].values.astype(bool)
    positive = prob >= record["threshold"]
    px = record["pixels"]
    assert (px["tp"], px["fn"]) == (int((label & positive & scored).sum()),
                                    int((label & ~positive & scored).sum()))
    assert px["n_pixels"] == int(scored.sum()) and 0 <= px["f1"] <= 1 and px["ap"] > 0
    objects = record["objects"]["all"]
    assert objects["n_reference"] > 500 and objects["n_predicted"] >= 0
    assert "objects" in out.out and "small" in out.out
    # without --prediction the bundle maps the area itself: the same scores
    again = tmp_path / "again.json"
    assert evaluate.main([str(bundle), *area, "--no-progress", "--out", str(again)]) == 0
    again = json.loads(again.read_text())
    assert again["pixels"] == record["pixels"] and again["grid"]["ratio"] == 1.0
