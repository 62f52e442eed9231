"""Sentinel-2-like surface reflectance of the generated area (``B2/B3/B4/B8.tif``, 0..1).

Linear mixing of vegetation, soil and rock end-members (typical Sentinel-2 L2A values), with the
Jinsha "dry-hot valley" vegetation zonation. Choices and sources: ``book/generated_area.md``.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from fcad_lib.data.generator.fields import power_law_field
from fcad_lib.data.generator.landslides import Landslide, body_coordinates
from fcad_lib.data.generator.relief import lithology_table
from fcad_lib.data.generator.surfaces import CLOUD, HAZE

VEGETATION = np.array([0.03, 0.06, 0.035, 0.35])
SOIL = np.array([0.08, 0.11, 0.15, 0.22])
FRESH_DEBRIS = np.array([0.11, 0.14, 0.19, 0.23])
WATER = np.array([0.045, 0.06, 0.04, 0.015])
SENSOR_NOISE = np.array([0.004, 0.004, 0.004, 0.006])
SUN_ZENITH_DEG, SUN_AZIMUTH_DEG = 35.0, 150.0


def land_cover(
    rng: np.random.Generator,
    z: np.ndarray,
    slope: np.ndarray,
    aspect: np.ndarray,
    d_trib: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Vegetation and rock fractions before landslides (dry-hot valley zonation)."""
    veg_raw = (
        0.15
        + 0.7 / (1.0 + np.exp(-(z - 1400.0) / 250.0))
        + 0.12 * np.cos(np.radians(np.nan_to_num(aspect)))
        + 0.15 * np.exp(-d_trib / 150.0)
        + 0.08 * power_law_field(rng, z.shape, 2.5)
    )
    veg_raw = np.clip(veg_raw, 0.02, 0.95)
    rock = 1.0 / (1.0 + np.exp(-(slope - 48.0) / 4.0))
    return (1.0 - rock) * veg_raw, rock


def textured_landslide_cover(
    rng: np.random.Generator,
    slides: list[Landslide],
    ids: np.ndarray,
    transform,
    cover: tuple[np.ndarray, np.ndarray],
    texture_strength: float,
    fresh_vegetation: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vegetation, rock and soil colour after the landslides, with texture inside the bodies.

    Fresh bodies: a vegetation fraction drawn from ``fresh_vegetation``, patchy (remnant trees,
    debris lobes), rock exposed in the head scarp. Old bodies: 85-97 % of the surrounding cover,
    with patchy shrubs and clearings. ``texture_strength`` scales a 1-2 pixel correlated field.
    """
    f_veg, rock = cover[0].copy(), cover[1].copy()
    soil = np.broadcast_to(SOIL, (*ids.shape, 4)).copy()
    texture = ndimage.gaussian_filter(rng.standard_normal(ids.shape), 1.0)
    texture *= texture_strength / (texture.std() + 1e-12)
    for i, win in enumerate(ndimage.find_objects(ids)):
        if win is None:
            continue
        ls, body = slides[i], ids[win] == i + 1
        tex = texture[win]
        if ls.kind == "fresh":
            base = rng.uniform(*fresh_vegetation)
            un, _ = body_coordinates(ls, transform, win)
            scarp = np.clip((-un - 0.55) / 0.3, 0.0, 1.0)  # head scarp: bare rock
            veg = np.clip(base * (1.0 + 1.5 * tex), 0.0, 0.9) * (1.0 - scarp)
            f_veg[win] = np.where(body, veg, f_veg[win])
            rock[win] = np.where(body, np.clip(0.1 + 0.6 * scarp, 0, 1) * (1 - veg), rock[win])
            soil[win] = np.where(body[..., None], FRESH_DEBRIS, soil[win])
        else:
            keep = rng.uniform(0.85, 0.97) * (1.0 + 0.5 * tex)
            f_veg[win] = np.where(body, np.clip(f_veg[win] * keep, 0.0, 0.95), f_veg[win])
    return f_veg, rock, soil


def apply_bare(
    cover: tuple[np.ndarray, np.ndarray, np.ndarray], masks: dict[str, np.ndarray],
    colours: dict[str, tuple[float, float, float, float]], rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bare non-landslide surfaces: little vegetation, no rock term, their own colour."""
    f_veg, rock, soil = (c.copy() for c in cover)
    for name, mask in masks.items():
        f_veg[mask] = rng.uniform(0.0, 0.12, int(mask.sum()))
        rock[mask] = 0.0
        soil[mask] = colours[name]
    return f_veg, rock, soil


def observed_reflectance(
    rng_opt: np.random.Generator,
    rng_noise: np.random.Generator,
    cover: tuple[np.ndarray, np.ndarray, np.ndarray],
    lith: np.ndarray,
    light: np.ndarray,
    water: np.ndarray,
    atmosphere: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """``(n, n, 4)`` B2, B3, B4, B8: mixing x illumination, water, haze, clouds, noise."""
    f_veg, rock, soil = cover
    cloud, haze, cloud_shadow = atmosphere
    f_soil = np.clip(1.0 - f_veg - rock, 0.0, 1.0)
    refl = (
        f_veg[..., None] * VEGETATION
        + f_soil[..., None] * soil
        + rock[..., None] * lithology_table(2)[lith]
    )
    refl *= (light * np.where(cloud_shadow, 0.45, 1.0))[..., None]
    refl[water] = WATER * (1.0 + 0.15 * power_law_field(rng_opt, lith.shape, 3.0)[water, None])
    refl += haze[..., None] * HAZE
    refl = refl * (1.0 - cloud[..., None]) + cloud[..., None] * CLOUD
    refl += rng_noise.standard_normal((*lith.shape, 4)) * SENSOR_NOISE
    return np.clip(refl, 0.0, 1.0)
