"""The generated area is a fair test: what moves is not only landslides, what is bare is not
only landslides, the inventory is imperfect, and no single factor finds the landslides."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.features import rasterize
from scipy import ndimage

from fcad_lib.data.generator import (
    GeneratorParams,
    generate_scene,
    generate_study_area,
    generated_area,
    step_rate_mm_per_yr,
    threshold_rule_difficulty,
)
from fcad_lib.data.generator.difficulty import best_threshold
from fcad_lib.data.study_area import load_study_area

SIZE, RATIO, SEED = 384, 0.02, 3
QUICK = {"density_scale": 4.48}  # generated_quick's confounders (data_manifest.yml)
#: Bound of the single-factor threshold rule on the small area below. Issue 8's target for the
#: manifest's areas is 0.30; a 384 px area has few landslides per half, so its F1 is noisier.
DIFFICULTY_BOUND = 0.30


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The written files (public output), with the label rasterised from the inventory."""
    paths = generate_study_area(tmp_path_factory.mktemp("fair"), seed=SEED, size_px=SIZE,
                                landslide_ratio=RATIO, confounders=QUICK)
    arrays = {}
    for name in ("deformation_rate", "B2", "B3", "B4", "B8"):
        with rasterio.open(paths[name]) as src:
            arrays[name] = src.read(1).astype(np.float64)
            transform = src.transform
    inv = gpd.read_file(paths["landslides"])
    arrays["label"] = rasterize([(g, i) for g, i in zip(inv.geometry, inv["id"], strict=True)],
                                out_shape=(SIZE, SIZE), transform=transform, fill=0)
    b4, b8 = arrays["B4"], arrays["B8"]
    arrays["ndvi"] = (b8 - b4) / (b8 + b4)
    arrays["water"] = (arrays["ndvi"] < -0.2) & np.isnan(arrays["deformation_rate"])
    return {"arrays": arrays, "inventory": inv}


@pytest.fixture(scope="module")
def scene():
    return generate_scene(SEED, SIZE, 12.5, RATIO, "EPSG:32647", QUICK)


def test_deformation_outside_landslides_exists(files: dict) -> None:
    a = files["arrays"]
    rate = np.abs(a["deformation_rate"])
    near = ndimage.binary_dilation(a["label"] > 0, iterations=4)  # polygons, shift and blur
    fast_on = np.sum(rate[a["label"] > 0] >= 10.0)
    fast_off = np.sum(rate[~near & ~a["water"]] >= 10.0)
    # More fast-moving ground away from any mapped landslide than on the landslides.
    assert fast_off > fast_on > 0


def test_non_landslide_sources_present(scene) -> None:
    c = scene.components
    land = ~c["water"]
    for source in ("los_consolidation", "los_bowls", "los_unwrapping", "los_creep"):
        assert np.abs(c[source][land]).max() > 3.0, source
    # Unwrapping patches: one lambda/2 jump at a date within the span, never more.
    offsets = np.unique(np.round(np.abs(c["los_unwrapping"][c["los_unwrapping"] != 0]), 6))
    lam_half = 55.46 / 2
    assert offsets.size >= 1
    assert offsets.max() <= 1.5 * lam_half / 2.38 + 1e-6  # 6 h t0 (T - t0) / T^3 at t0 = T / 2


def test_footprint_differs_from_polygon(scene, files: dict) -> None:
    c, inv = scene.components, files["inventory"]
    mapped_true = np.isin(c["ids_true"], [i + 1 for i, s in enumerate(scene.slides) if s.mapped])
    label = c["label"] > 0
    overlap = 2 * np.sum(mapped_true & label) / (mapped_true.sum() + label.sum())
    assert 0.5 < overlap < 0.95  # the polygons are a few pixels off, not elsewhere
    # Dormant mapped landslides show no more than the background in the deformation rate.
    assert {"active", "partial", "dormant"} <= set(inv["activity"])
    rate, ids = np.abs(files["arrays"]["deformation_rate"]), files["arrays"]["label"]
    med = {i: np.nanmedian(rate[ids == i]) for i in inv["id"] if np.isfinite(rate[ids == i]).any()}
    dormant = [med[i] for i in inv.loc[inv["activity"] == "dormant", "id"] if i in med]
    assert np.median(dormant) < np.nanmedian(rate[(ids == 0) & ~files["arrays"]["water"]]) + 2
    # Partially moving bodies: part of the body is still.
    for i, s in enumerate(scene.slides):
        los = np.abs(c["los_landslides"][c["ids_true"] == i + 1])
        if s.activity == "partial" and los.size >= 10 and los.max() > 1.0:
            still = los < 0.05 * los.max()
            assert 0.05 < still.mean() < 0.95


def test_inventory_misses_active_and_small_landslides(scene) -> None:
    unmapped = [s for s in scene.slides if not s.mapped]
    assert any(s.activity != "dormant" for s in unmapped)
    assert any(s.n_px < GeneratorParams().small_area_px for s in unmapped)
    ids = scene.components["ids_true"]
    for s in unmapped:
        assert not (scene.components["label"][ids == scene.slides.index(s) + 1] > 0).all()


def test_optical_confounders_present(scene, files: dict) -> None:
    a, c = files["arrays"], scene.components
    land = ~a["water"]
    bare = (a["ndvi"] < 0.3) & land
    near = ndimage.binary_dilation(c["ids_true"] > 0, iterations=3)
    assert np.sum(bare & ~near) > 2 * np.sum(bare & (c["ids_true"] > 0))
    assert sum(c[f"bare_{k}"].sum() for k in ("quarry", "road", "construction", "outcrop")) > 0
    assert (a["B2"] > 0.3).mean() > 0.002  # clouds: bright in every band
    assert c["shadow"].mean() > 0.01
    # Shadowed land is darker in the near infrared than lit land of the same cover.
    lit = land & ~c["shadow"] & (c["cloud"] == 0)
    assert np.median(a["B8"][c["shadow"] & (c["cloud"] == 0)]) < 0.7 * np.median(a["B8"][lit])


def test_texture_inside_fresh_landslides(scene, files: dict) -> None:
    ndvi, ids = files["arrays"]["ndvi"], scene.components["ids_true"]
    spreads = [np.std(ndvi[ids == i + 1]) for i, s in enumerate(scene.slides)
               if s.kind == "fresh" and s.n_px >= 12]
    assert np.median(spreads) > 0.03  # sensor noise alone gives about 0.01


def test_threshold_rule_difficulty_on_small_area(tmp_path: Path) -> None:
    area = generated_area(tmp_path / "small", size_px=SIZE, seed=SEED, landslide_ratio=RATIO,
                          confounders=QUICK)
    table = threshold_rule_difficulty(load_study_area(area))
    assert {"deformation_rate", "B4", "slope", "lithology"} <= set(table["factor"])
    assert "abs(deformation_rate) >= t" in set(table["rule"])
    assert table["test_f1"].max() <= DIFFICULTY_BOUND, table.head(3).to_string()


def test_best_threshold_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=400), 1)  # ties on purpose
    y = rng.random(400) < 1 / (1 + np.exp(-2 * x))
    t, f1 = best_threshold(x, y)
    brute = max((2 * np.sum((x >= c) & y) / (np.sum(x >= c) + y.sum()), c) for c in np.unique(x))
    assert f1 == pytest.approx(brute[0]) and t == pytest.approx(brute[1])


def test_step_rate_matches_least_squares() -> None:
    t = np.linspace(0.0, 2.38, 2001)
    step = np.where(t >= 0.8, 27.73, 0.0)
    assert step_rate_mm_per_yr(27.73, 0.8, 2.38) == pytest.approx(np.polyfit(t, step, 1)[0],
                                                                  rel=2e-3)


def test_params_from_manifest_block() -> None:
    p = GeneratorParams.from_mapping({"bowl_radius_m": [100, 200], "density_scale": 2})
    assert p.bowl_radius_m == (100, 200) and p.density("bowls_per_100km2") == 2.0
    with pytest.raises(ValueError, match="unknown"):
        GeneratorParams.from_mapping({"no_such_knob": 1})
    with pytest.raises(ValueError):
        GeneratorParams(dormant_fraction=1.5)
