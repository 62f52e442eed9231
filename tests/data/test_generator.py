"""The generated study area: files, determinism and the physical properties it promises."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.features import rasterize

from fcad_lib.data.generator import (
    LOS_UNIT_ENU,
    generate_scene,
    generate_study_area,
    main,
    sample_areas_m2,
)

SIZE = 160
RATIO = 0.02
SEED = 3
RASTERS = ("deformation_rate", "B2", "B3", "B4", "B8", "dem", "lithology")
FILES = {f"{name}.tif" for name in RASTERS} | {"landslides.gpkg", "checksums.sha256"}


def _generate(out: Path, seed: int = SEED) -> dict[str, Path]:
    return generate_study_area(out, seed=seed, size_px=SIZE, landslide_ratio=RATIO)


def _read(paths: dict[str, Path]) -> dict[str, np.ndarray]:
    arrays = {}
    for name in RASTERS:
        with rasterio.open(paths[name]) as src:
            arrays[name] = src.read(1)
    return arrays


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> dict:
    paths = _generate(tmp_path_factory.mktemp("area"))
    arrays = _read(paths)
    inventory = gpd.read_file(paths["landslides"])
    with rasterio.open(paths["dem"]) as src:
        transform = src.transform
    label = rasterize(
        [(g, i + 1) for i, g in enumerate(inventory.geometry)],
        out_shape=(SIZE, SIZE),
        transform=transform,
        fill=0,
    )
    b4, b8 = arrays["B4"], arrays["B8"]
    ndvi = (b8 - b4) / (b8 + b4)
    # Only water has B8 below B4 by this much (and no InSAR coherence).
    water = (ndvi < -0.2) & np.isnan(arrays["deformation_rate"])
    return {
        "paths": paths,
        "arrays": arrays,
        "inventory": inventory,
        "label": label,
        "ndvi": ndvi,
        "water": water,
    }


def test_files_written(area: dict) -> None:
    out = area["paths"]["dem"].parent
    assert {p.name for p in out.iterdir()} == FILES
    assert set(area["paths"]) == set(RASTERS) | {"landslides", "checksums"}


@pytest.mark.parametrize("name", RASTERS)
def test_raster_metadata(area: dict, name: str) -> None:
    with rasterio.open(area["paths"][name]) as src:
        assert src.crs.to_epsg() == 32647
        assert (src.width, src.height, src.count) == (SIZE, SIZE, 1)
        t = src.transform
        assert (t.a, t.b, t.d, t.e) == (12.5, 0.0, 0.0, -12.5)  # north-up, 12.5 m
        # Baihetan (102.85 E, 27.25 N) in UTM 47N.
        assert 870_000 < t.c < 890_000 and 3_010_000 < t.f < 3_030_000
        assert src.profile["tiled"] and src.compression is not None
        if name == "lithology":
            assert src.dtypes[0] == "int16" and src.nodata == -1
        else:
            assert src.dtypes[0] == "float32" and np.isnan(src.nodata)
        assert src.tags(1)["units"]


def test_value_ranges(area: dict) -> None:
    a = area["arrays"]
    for band in ("B2", "B3", "B4", "B8"):
        assert np.isfinite(a[band]).all() and a[band].min() >= 0 and a[band].max() <= 1
    assert 450 < a["dem"].min() and a["dem"].max() < 3200
    assert set(np.unique(a["lithology"])) <= set(range(1, 7))
    finite = a["deformation_rate"][np.isfinite(a["deformation_rate"])]
    assert -200 < finite.min() < 0 < finite.max() < 100


def test_same_seed_same_area_other_seed_differs(area: dict, tmp_path: Path) -> None:
    again = _generate(tmp_path / "again")
    other = _generate(tmp_path / "other", seed=SEED + 1)
    a1, a2, a3 = area["arrays"], _read(again), _read(other)
    for name in RASTERS:
        np.testing.assert_array_equal(a1[name], a2[name])
    assert not np.array_equal(a1["dem"], a3["dem"], equal_nan=True)
    inv2 = gpd.read_file(again["landslides"])
    inv3 = gpd.read_file(other["landslides"])
    assert len(inv2) == len(area["inventory"])
    assert all(
        g1.equals_exact(g2, 0.0)
        for g1, g2 in zip(area["inventory"].geometry, inv2.geometry, strict=True)
    )
    assert not (len(inv3) == len(inv2) and inv3.geometry.iloc[0].equals(inv2.geometry.iloc[0]))


def test_inventory_schema_and_no_overlap(area: dict) -> None:
    inv = area["inventory"]
    assert {"id", "area_m2", "type", "activity", "velocity_mm_per_yr"} <= set(inv.columns)
    assert inv.crs.to_epsg() == 32647
    assert inv["id"].tolist() == list(range(1, len(inv) + 1))
    assert set(inv["type"]) == {"fresh", "old"}
    np.testing.assert_allclose(inv["area_m2"], inv.geometry.area, rtol=1e-9)
    assert inv.geometry.is_valid.all()
    v = inv["velocity_mm_per_yr"]
    dormant = inv["activity"] == "dormant"
    assert (v[dormant] == 0).all()
    assert v[~dormant].min() >= 1 and v.max() <= 300
    # The true bodies never overlap (the mapped, shifted outlines may touch: label noise).
    scene = generate_scene(SEED, SIZE, 12.5, RATIO, "EPSG:32647")
    geoms = [ls.polygon for ls in scene.slides]
    for i, g in enumerate(geoms):
        assert not any(g.intersects(h) for h in geoms[i + 1 :])


def test_landslide_ratio_and_not_in_water(area: dict) -> None:
    label, water = area["label"] > 0, area["water"]
    assert 0.05 < water.mean() < 0.6  # there is a reservoir
    assert not (label & water).any()
    ratio = label.sum() / (~water & ~label).sum()
    assert ratio == pytest.approx(RATIO, rel=0.10)


def test_area_distribution_is_heavy_tailed(area: dict) -> None:
    areas = area["inventory"]["area_m2"]
    assert areas.min() >= 10 * 12.5**2 * 0.95
    assert areas.max() / areas.median() > 2.5
    # The sampler itself: Malamud et al. (2004) tail ~ A^-(rho+1) = A^-2.4.
    rng = np.random.default_rng(0)
    sample = sample_areas_m2(rng, 20_000, 1_000.0, 1e6)
    assert sample.max() / np.median(sample) > 50
    edges = np.logspace(np.log10(5e3), np.log10(2e5), 8)
    hist, _ = np.histogram(sample, bins=edges)
    density = hist / np.diff(edges)
    centres = np.sqrt(edges[1:] * edges[:-1])
    slope = np.polyfit(np.log(centres), np.log(density), 1)[0]
    assert slope == pytest.approx(-2.4, abs=0.3)


def test_deformation_still_helps_on_moving_landslides(area: dict) -> None:
    # The rate is no label mask (tests/data/test_generator_confounders.py), but moving mapped
    # landslides still move more than the typical background pixel.
    rate = np.abs(area["arrays"]["deformation_rate"])
    inv = area["inventory"]
    moving = np.isin(area["label"], inv.loc[inv["activity"] != "dormant", "id"].to_numpy())
    off = np.nanmedian(rate[(area["label"] == 0) & ~area["water"]])
    assert np.nanmedian(rate[moving]) > 1.5 * off


def test_nan_holes(area: dict) -> None:
    rate = area["arrays"]["deformation_rate"]
    land = ~area["water"]
    assert np.isnan(rate[area["water"]]).all()
    nan_land = np.isnan(rate[land]).mean()
    assert 0.02 < nan_land < 0.2
    assert not (rate == 0).any()  # missing data are NaN, never 0


def test_fresh_landslides_visible_old_ones_hidden(area: dict) -> None:
    ndvi, ids = area["ndvi"], area["label"]
    inv = area["inventory"]
    fresh_ids = inv.loc[inv["type"] == "fresh", "id"].to_numpy()
    fresh = np.isin(ids, fresh_ids)
    old = (ids > 0) & ~fresh
    background = (ids == 0) & ~area["water"]
    bg = np.median(ndvi[background])
    contrast = bg - np.median(ndvi[fresh])
    assert contrast > 0.1  # bare soil: visible in the optical bands
    assert abs(np.median(ndvi[old]) - bg) < 0.5 * contrast  # revegetated: nearly hidden


def test_checksums_match_files(area: dict) -> None:
    path = area["paths"]["checksums"]
    entries = dict(line.split("  ")[::-1] for line in path.read_text().splitlines())
    assert set(entries) == FILES - {"checksums.sha256"}
    for name, digest in entries.items():
        assert hashlib.sha256((path.parent / name).read_bytes()).hexdigest() == digest


def test_no_overwrite_without_flag(tmp_path: Path) -> None:
    paths = generate_study_area(tmp_path, seed=1, size_px=64, landslide_ratio=RATIO)
    before = paths["checksums"].read_text()
    with pytest.raises(FileExistsError):
        generate_study_area(tmp_path, seed=2, size_px=64, landslide_ratio=RATIO)
    assert paths["checksums"].read_text() == before
    generate_study_area(tmp_path, seed=2, size_px=64, landslide_ratio=RATIO, overwrite=True)
    assert paths["checksums"].read_text() != before
    assert {p.name for p in tmp_path.iterdir()} == FILES  # no temporary files left


def test_cli(tmp_path: Path) -> None:
    main([str(tmp_path / "cli"), "--seed", "5", "--size", "64", "--ratio", "0.02"])
    assert {p.name for p in (tmp_path / "cli").iterdir()} == FILES


def test_los_unit_vector() -> None:
    # Ascending, right-looking: the satellite is up and to the west of the ground point.
    assert np.linalg.norm(LOS_UNIT_ENU) == pytest.approx(1.0)
    assert np.degrees(np.arccos(LOS_UNIT_ENU[2])) == pytest.approx(39.17)
    assert LOS_UNIT_ENU[0] < 0 and LOS_UNIT_ENU[1] < 0


def test_rejects_bad_parameters(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_study_area(tmp_path, size_px=16)
    with pytest.raises(ValueError):
        generate_study_area(tmp_path, landslide_ratio=0.5)
