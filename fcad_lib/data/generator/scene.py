"""Assemble every layer of the generated area in memory: relief -> landslides -> sensors.

Each component draws from its own child of one :class:`numpy.random.SeedSequence`, so changing
one component never reshuffles the others. :class:`Scene` keeps, besides the layers, the truth
behind them (every deformation source, every confounder mask), for tests and figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
from rasterio.features import rasterize
from rasterio.transform import Affine
from scipy import ndimage

from fcad_lib.data.generator import activity, insar, landslides, optical, relief, sources, surfaces
from fcad_lib.data.generator.fields import power_law_field, scaled_std
from fcad_lib.data.generator.params import GeneratorParams
from fcad_lib.data.terrain import aspect_horn, slope_horn

STREAMS = ("relief", "lith", "susc", "inv", "atm", "opt", "noise", "dem",
           "activity", "labels", "sources", "bare", "clouds", "insar")


@dataclass
class Scene:
    """The generated layers, the inventory, the grid and the truth behind them."""

    layers: dict[str, np.ndarray]
    inventory: gpd.GeoDataFrame
    transform: Affine
    slides: list[landslides.Landslide]
    components: dict[str, np.ndarray] = field(default_factory=dict)


def _streams(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(s) for name, s in zip(STREAMS, children, strict=True)}


def _terrain(rng: dict[str, np.random.Generator], n: int, res: float) -> dict[str, np.ndarray]:
    terrain = relief.relief(rng["relief"], n, res)
    z = terrain["z"]
    terrain["lith"] = relief.lithology(rng["lith"], n, res, terrain["d_main"], terrain["d_trib"])
    terrain["slope"] = slope_horn(z, res, res)
    terrain["aspect"] = aspect_horn(z, res, res)
    terrain["smooth_aspect"] = aspect_horn(ndimage.gaussian_filter(z, 3.0), res, res)
    terrain["d_water"] = ndimage.distance_transform_edt(~terrain["water"], sampling=res)
    return terrain


def _rasterize(polygons: list, shape: tuple[int, int], transform: Affine) -> np.ndarray:
    if not polygons:
        return np.zeros(shape, dtype="int32")
    return rasterize([(g, i + 1) for i, g in enumerate(polygons)], out_shape=shape,
                     transform=transform, fill=0, dtype="int32")


def _landslides(rng, t, transform, res, ratio, p: GeneratorParams):
    """Real bodies (mapped or not), their id raster, the inventory polygons and label raster."""
    water, slope = t["water"], t["slope"]
    n = water.shape[0]
    susc = landslides.susceptibility(rng["susc"], slope, t["lith"],
                                     np.minimum(t["d_water"], t["d_trib"]), water)
    land_px = int((~water).sum())
    label_px = int(round(ratio * land_px / (1.0 + ratio)))
    # Place more than the inventory holds: the surplus is what the inventory misses.
    total_px = int(round(label_px * (1.0 + p.unmapped_active_fraction)
                         / (1.0 - 0.35 * p.unmapped_small_fraction)))
    hills = landslides.Hillslopes(transform, res, slope, t["smooth_aspect"], water)
    slides, _ = landslides.place_landslides(rng["inv"], hills, susc, total_px)
    activity.assign_activity(rng["activity"], slides, p)
    activity.select_unmapped(rng["activity"], slides, label_px, p)
    shifted = activity.shift_labels(rng["labels"], slides, res, p)
    mapped = [i for i, ls in enumerate(slides) if ls.mapped]
    ids_true = _rasterize([ls.polygon for ls in slides], (n, n), transform)
    label = _rasterize([shifted[i] for i in mapped], (n, n), transform)
    return slides, ids_true, label, [shifted[i] for i in mapped]


def _dem(rng, z, slides, ids, transform, p) -> tuple[np.ndarray, np.ndarray]:
    """Published DEM (relief + old-landslide morphology + error) and its 1 m-std error."""
    morphology = landslides.old_morphology(slides, ids, transform, p.morphology_amplitude)
    dem = z + ndimage.gaussian_filter(morphology, 1.0)
    error = ndimage.gaussian_filter(rng.standard_normal(z.shape), 2.0)
    error /= error.std()
    return dem + error, error


def _motion(rng, t, slides, ids_true, transform, dem_error, res, p) -> dict[str, np.ndarray]:
    """Every physical LOS rate (mm/yr) before multilooking, by source."""
    up = insar.LOS_UNIT_ENU[2]
    slope, aspect, land = t["slope"], t["aspect"], ~t["water"]
    bowls, _ = sources.subsidence_bowls(rng, slope, t["water"], res, p)
    creep = p.soil_creep_mm_per_yr * np.sin(np.radians(slope))
    creep = creep + sources.creep_zones(rng, slope, land, p)
    return {
        "landslides": insar.body_los_rate(slides, ids_true, transform, slope),
        "consolidation": up * sources.consolidation(rng, t["lith"], slope, t["d_water"],
                                                    t["water"], p),
        "bowls": up * bowls,
        "creep": insar.downslope_to_los(creep, slope, aspect),
        "seasonal": sources.seasonal_residual(rng, t["lith"], p),
        "dem_error": sources.dem_error_residual(dem_error, slope, insar.INCIDENCE_DEG, p),
    }


def _observed_rate(rng, t, motion, f_veg, res, p) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Multilook, decorrelate, add processing residuals and noise, mask; mm/yr LOS."""
    n, z, water = t["z"].shape[0], t["z"], t["water"]
    ml = insar.multilook(sum(motion.values()), res, p.range_looks, p.azimuth_looks)
    residuals = {
        "unwrapping": sources.unwrapping_errors(rng["sources"], ~water, res, p),
        "atmosphere": power_law_field(rng["atm"], (n, n), 8.0 / 3.0)
        * scaled_std(p.atmosphere_std_mm_per_yr, n * res, 8.0 / 3.0)
        + p.troposphere_mm_per_yr_per_km * 1e-3 * (z - z[~water].mean()),
        "orbital_ramp": sources.orbital_ramp(rng["sources"], n, res, p),
    }
    rate = insar.decorrelate(rng["insar"], ml, f_veg, p.alias_rate_mm_per_yr,
                             p.vegetation_noise_mm_per_yr)
    rate += sum(residuals.values())
    rate += p.white_noise_mm_per_yr * rng["noise"].standard_normal((n, n))
    holes = insar.decorrelation_holes(rng["atm"], t["slope"], f_veg, water, p.hole_fraction)
    residuals["nan"] = water | holes | insar.layover_shadow(z, res)
    rate[residuals["nan"]] = np.nan
    return rate, residuals


def _optical(rng, t, slides, ids_true, transform, res, p) -> tuple[np.ndarray, dict]:
    """Reflectance ``(n, n, 4)`` and the optical truth (bare masks, shadow, cloud, haze)."""
    base = optical.land_cover(rng["opt"], t["z"], t["slope"], t["aspect"], t["d_trib"])
    cover = optical.textured_landslide_cover(rng["opt"], slides, ids_true, transform, base,
                                             p.texture_strength, p.fresh_vegetation)
    bare = surfaces.bare_surfaces(rng["bare"], t["z"], t["slope"], t["d_water"], t["d_trib"],
                                  t["water"], res, p)
    bare = {k: m & (ids_true == 0) for k, m in bare.items()}
    cover = optical.apply_bare(cover, bare, surfaces.BARE_COLOURS, rng["bare"])
    light, shadow = surfaces.illumination(t["z"], t["slope"], t["aspect"], res, p)
    sky = surfaces.clouds_and_haze(rng["clouds"], t["z"].shape, res, p)
    refl = optical.observed_reflectance(rng["opt"], rng["noise"], cover, t["lith"], light,
                                        t["water"], sky)
    truth = {f"bare_{k}": m for k, m in bare.items()}
    truth.update(shadow=shadow & ~t["water"], cloud=sky[0], haze=sky[1], cloud_shadow=sky[2],
                 vegetation=cover[0])
    return refl, truth


def _inventory_frame(slides, polygons, crs: str) -> gpd.GeoDataFrame:
    mapped = [ls for ls in slides if ls.mapped]
    return gpd.GeoDataFrame(
        {
            "id": np.arange(1, len(mapped) + 1, dtype=np.int32),
            "area_m2": [g.area for g in polygons],
            "type": [ls.kind for ls in mapped],
            "activity": [ls.activity for ls in mapped],
            "velocity_mm_per_yr": [ls.velocity for ls in mapped],
        },
        geometry=polygons,
        crs=crs,
    )


def generate_scene(
    seed: int,
    size_px: int,
    resolution_m: float,
    landslide_ratio: float,
    crs: str,
    confounders: Mapping[str, Any] | GeneratorParams | None = None,
) -> Scene:
    """Every layer, the inventory and the truth behind them (``book/generated_area.md``)."""
    p = GeneratorParams.from_mapping(confounders)
    n, res = size_px, resolution_m
    rng = _streams(seed)
    x0, y0 = relief.grid_origin(crs, res)
    transform = Affine(res, 0.0, x0, 0.0, -res, y0)
    t = _terrain(rng, n, res)
    slides, ids_true, label, polygons = _landslides(rng, t, transform, res, landslide_ratio, p)
    dem, dem_error = _dem(rng["dem"], t["z"], slides, ids_true, transform, p)
    refl, optical_truth = _optical(rng, t, slides, ids_true, transform, res, p)
    motion = _motion(rng["sources"], t, slides, ids_true, transform, dem_error, res, p)
    rate, residuals = _observed_rate(rng, t, motion, optical_truth["vegetation"], res, p)
    layers = {
        "deformation_rate": rate.astype(np.float32),
        **{b: refl[..., i].astype(np.float32) for i, b in enumerate(("B2", "B3", "B4", "B8"))},
        "dem": dem.astype(np.float32),
        "lithology": t["lith"].astype(np.int16),
    }
    components = {"ids_true": ids_true, "label": label, "water": t["water"],
                  **{f"los_{k}": v for k, v in motion.items()},
                  **{f"los_{k}": v for k, v in residuals.items() if k != "nan"},
                  "rate_nan": residuals["nan"], **optical_truth}
    return Scene(layers, _inventory_frame(slides, polygons, crs), transform, slides, components)


def generate_arrays(
    seed: int,
    size_px: int,
    resolution_m: float,
    landslide_ratio: float,
    crs: str,
    confounders: Mapping[str, Any] | GeneratorParams | None = None,
) -> tuple[dict[str, np.ndarray], gpd.GeoDataFrame, Affine]:
    """The layers, the inventory and the grid transform of :func:`generate_scene`."""
    scene = generate_scene(seed, size_px, resolution_m, landslide_ratio, crs, confounders)
    return scene.layers, scene.inventory, scene.transform
