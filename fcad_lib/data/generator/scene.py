"""Assemble every layer of the generated area in memory (relief -> inventory -> sensors).

Each component draws from its own child of one :class:`numpy.random.SeedSequence`, so changing
one component never reshuffles the others.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from rasterio.features import rasterize
from rasterio.transform import Affine
from scipy import ndimage

from fcad_lib.data.generator import insar, landslides, optical, relief
from fcad_lib.data.terrain import aspect_horn, slope_horn

STREAMS = ("relief", "lith", "susc", "inv", "atm", "opt", "noise", "dem")


def _streams(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(s) for name, s in zip(STREAMS, children, strict=True)}


def _inventory(
    rng: dict[str, np.random.Generator],
    terrain: dict[str, np.ndarray],
    transform: Affine,
    res: float,
    landslide_ratio: float,
) -> tuple[list[landslides.Landslide], np.ndarray]:
    """Place the landslides by susceptibility; return them and their id raster (0 = none)."""
    water, slope = terrain["water"], terrain["slope"]
    n = water.shape[0]
    d_water = ndimage.distance_transform_edt(~water, sampling=res)
    d_near = np.minimum(d_water, terrain["d_trib"])
    susc = landslides.susceptibility(rng["susc"], slope, terrain["lith"], d_near, water)
    land_px = int((~water).sum())
    target_px = int(round(landslide_ratio * land_px / (1.0 + landslide_ratio)))
    slides, _ = landslides.place_landslides(
        rng["inv"], transform, n, res, susc, slope, terrain["smooth_aspect"], water, target_px
    )
    ids = rasterize(
        [(ls.polygon, i + 1) for i, ls in enumerate(slides)],
        out_shape=(n, n),
        transform=transform,
        fill=0,
        dtype="int32",
    )
    return slides, ids


def _dem(
    rng: np.random.Generator,
    z: np.ndarray,
    slides: list[landslides.Landslide],
    ids: np.ndarray,
    transform: Affine,
) -> np.ndarray:
    """Published DEM: pre-impoundment relief + old-landslide morphology + 1 m of DEM error."""
    dem = z + ndimage.gaussian_filter(landslides.old_morphology(slides, ids, transform), 1.0)
    dem_error = ndimage.gaussian_filter(rng.standard_normal(z.shape), 2.0)
    return dem + dem_error / dem_error.std()  # 1 m std


def _terrain(rng: dict[str, np.random.Generator], n: int, res: float) -> dict[str, np.ndarray]:
    terrain = relief.relief(rng["relief"], n, res)
    z = terrain["z"]
    terrain["lith"] = relief.lithology(rng["lith"], n, res, terrain["d_main"], terrain["d_trib"])
    terrain["slope"] = slope_horn(z, res, res)
    terrain["aspect"] = aspect_horn(z, res, res)
    terrain["smooth_aspect"] = aspect_horn(ndimage.gaussian_filter(z, 3.0), res, res)
    return terrain


def _inventory_frame(slides: list[landslides.Landslide], crs: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": np.arange(1, len(slides) + 1, dtype=np.int32),
            "area_m2": [ls.polygon.area for ls in slides],
            "type": [ls.kind for ls in slides],
            "velocity_mm_per_yr": [ls.velocity for ls in slides],
        },
        geometry=[ls.polygon for ls in slides],
        crs=crs,
    )


def generate_arrays(
    seed: int, size_px: int, resolution_m: float, landslide_ratio: float, crs: str
) -> tuple[dict[str, np.ndarray], gpd.GeoDataFrame, Affine]:
    """Every layer in memory, the inventory and the grid transform."""
    n, res = size_px, resolution_m
    rng = _streams(seed)
    x0, y0 = relief.grid_origin(crs, res)
    transform = Affine(res, 0.0, x0, 0.0, -res, y0)
    t = _terrain(rng, n, res)
    slides, ids = _inventory(rng, t, transform, res, landslide_ratio)
    los_slides = insar.landslide_los_rate(slides, ids, transform, t["slope"])
    dem = _dem(rng["dem"], t["z"], slides, ids, transform)
    deformation = insar.deformation_rate(
        rng["atm"], rng["noise"], los_slides, t["z"], t["water"], t["slope"], t["aspect"], res
    )
    unusable = insar.layover_shadow(t["z"], res)
    f_veg, rock = optical.land_cover(rng["opt"], t["z"], t["slope"], t["aspect"], t["d_trib"])
    cover = optical.landslide_cover(rng["opt"], slides, ids, f_veg, rock)
    refl = optical.reflectance(
        rng["opt"], rng["noise"], cover, t["lith"], t["slope"], t["aspect"], t["water"]
    )
    holes = insar.decorrelation_holes(rng["atm"], t["slope"], cover[0], t["water"])
    deformation[t["water"] | holes | unusable] = np.nan
    layers = {
        "deformation_rate": deformation.astype(np.float32),
        "B2": refl[..., 0].astype(np.float32),
        "B3": refl[..., 1].astype(np.float32),
        "B4": refl[..., 2].astype(np.float32),
        "B8": refl[..., 3].astype(np.float32),
        "dem": dem.astype(np.float32),
        "lithology": t["lith"].astype(np.int16),
    }
    return layers, _inventory_frame(slides, crs), transform
