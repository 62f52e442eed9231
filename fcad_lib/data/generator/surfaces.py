"""Optical confounders: bare ground that is not a landslide, shadows, clouds and haze.

Bare surfaces look like a fresh landslide in every band; shadows and clouds change every band
at once. Sources and choices: ``book/generated_area.md`` (section *Optical confounders*).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from fcad_lib.data.generator.fields import power_law_field
from fcad_lib.data.generator.params import GeneratorParams

# Surface reflectance B2, B3, B4, B8 of the bare classes (typical Sentinel-2 L2A values).
BARE_COLOURS: dict[str, tuple[float, float, float, float]] = {
    "quarry": (0.14, 0.17, 0.21, 0.26),  # fresh rock and crushed stone
    "construction": (0.12, 0.14, 0.17, 0.22),  # graded soil and concrete
    "road": (0.10, 0.12, 0.15, 0.19),  # gravel road and its cut slope
    "river_bar": (0.11, 0.13, 0.16, 0.20),  # sand and gravel
    "outcrop": (0.12, 0.13, 0.15, 0.19),  # weathered rock
}
CLOUD = np.array([0.42, 0.42, 0.43, 0.45])
HAZE = np.array([0.05, 0.04, 0.03, 0.012])  # path radiance, strongest in blue


def _blob(rng: np.random.Generator, radius_px: float) -> np.ndarray:
    """Irregular compact blob (bool) of about ``radius_px``, centred in its own window."""
    half = int(np.ceil(1.6 * radius_px)) + 1
    rr, cc = np.mgrid[-half : half + 1, -half : half + 1]
    noise = ndimage.gaussian_filter(rng.standard_normal(rr.shape), max(radius_px / 3, 0.7))
    noise /= noise.std() + 1e-12
    return np.hypot(rr, cc) / radius_px + 0.25 * noise < 1.0


def _stamp(mask: np.ndarray, blob: np.ndarray, r0: int, c0: int) -> None:
    """OR ``blob`` into ``mask`` centred on (r0, c0), clipped at the edges."""
    h = blob.shape[0] // 2
    n = mask.shape[0]
    r_lo, r_hi, c_lo, c_hi = max(r0 - h, 0), min(r0 + h + 1, n), max(c0 - h, 0), min(c0 + h + 1, n)
    mask[r_lo:r_hi, c_lo:c_hi] |= blob[r_lo - r0 + h : r_hi - r0 + h, c_lo - c0 + h : c_hi - c0 + h]


def _scatter(rng, allowed: np.ndarray, count: int, radius_px: tuple[float, float]) -> np.ndarray:
    """``count`` blobs of random radius centred on random ``allowed`` pixels."""
    mask = np.zeros(allowed.shape, dtype=bool)
    idx = np.flatnonzero(allowed.ravel())
    if idx.size == 0:
        return mask
    for i in rng.choice(idx, size=count):
        r0, c0 = divmod(int(i), allowed.shape[1])
        _stamp(mask, _blob(rng, rng.uniform(*radius_px)), r0, c0)
    return mask


def _contour_roads(rng, z: np.ndarray, land: np.ndarray, count: int, res: float) -> np.ndarray:
    """Roads cut along the contours (1 px wide) of a smoothed DEM, each 2-5 km long."""
    zs = ndimage.gaussian_filter(z, 3.0)
    n = z.shape[0]
    roads = np.zeros(z.shape, dtype=bool)
    levels = zs[land]
    if levels.size == 0:
        return roads
    for _ in range(count):
        level = rng.uniform(np.quantile(levels, 0.05), np.quantile(levels, 0.7))
        above = zs >= level
        edge = above & ~ndimage.binary_erosion(above)
        half = int(rng.uniform(1000.0, 2500.0) / res)
        r0, c0 = rng.integers(0, n, size=2)
        box = np.zeros_like(roads)
        box[max(r0 - half, 0) : r0 + half, max(c0 - half, 0) : c0 + half] = True
        roads |= edge & box
    return roads & land


def bare_surfaces(
    rng: np.random.Generator,
    z: np.ndarray,
    slope: np.ndarray,
    d_water_m: np.ndarray,
    d_trib_m: np.ndarray,
    water: np.ndarray,
    res: float,
    p: GeneratorParams,
) -> dict[str, np.ndarray]:
    """Masks of the bare non-landslide classes of :data:`BARE_COLOURS` (later ones win)."""
    land = ~water
    area_100km2 = (z.shape[0] * res / 1000.0) ** 2 / 100.0

    def count(density: float) -> int:
        return int(rng.poisson(density * area_100km2))

    px = 1.0 / res
    masks = {
        "quarry": _scatter(rng, land & (slope > 15) & (slope < 40),
                           count(p.density("quarries_per_100km2")), (60 * px, 180 * px)),
        "construction": _scatter(rng, land & (slope < 12) & (d_water_m < 1500),
                                 count(p.density("construction_per_100km2")), (50 * px, 150 * px)),
        "road": _contour_roads(rng, z, land, count(p.density("roads_per_100km2")), res),
        "river_bar": land & (d_trib_m < p.river_bar_width_m / 2) & (slope < 35)
        & (power_law_field(rng, z.shape, 3.0) > -0.3),
        "outcrop": _scatter(rng, land & (slope > 35), count(p.density("outcrops_per_100km2")),
                            (20 * px, 90 * px)),
    }
    return {k: v & land for k, v in masks.items()}


def illumination(
    z: np.ndarray, slope: np.ndarray, aspect: np.ndarray, res: float, p: GeneratorParams
) -> tuple[np.ndarray, np.ndarray]:
    """Relative illumination (diffuse + direct, self and cast shadows) and the shadow mask."""
    zen, az = np.radians(p.sun_zenith_deg), np.radians(p.sun_azimuth_deg)
    s, a = np.radians(slope), np.radians(np.nan_to_num(aspect))
    cos_i = np.cos(zen) * np.cos(s) + np.sin(zen) * np.sin(s) * np.cos(az - a)
    shadow = (cos_i <= 0.05) | cast_shadow(z, res, zen, az)
    direct = np.where(shadow, 0.0, np.clip(cos_i, 0.0, None) / np.cos(zen))
    light = p.diffuse_fraction + (1.0 - p.diffuse_fraction) * direct
    return light, shadow


def cast_shadow(z: np.ndarray, res: float, zen: float, az: float, max_m: float = 3000.0):
    """Pixels whose line of sight to the sun is blocked by the terrain (ray marching)."""
    n = z.shape[0]
    dr, dc = -np.cos(az), np.sin(az)  # towards the sun, rows grow southwards
    tan_elev = np.tan(np.pi / 2 - zen)
    shadow = np.zeros(z.shape, dtype=bool)
    for k in range(1, int(max_m / res) + 1):
        sr, sc = int(round(k * dr)), int(round(k * dc))
        if abs(sr) >= n or abs(sc) >= n:
            break
        shifted = np.full(z.shape, -np.inf)
        src = z[max(sr, 0) : n + min(sr, 0), max(sc, 0) : n + min(sc, 0)]
        shifted[max(-sr, 0) : n + min(-sr, 0), max(-sc, 0) : n + min(-sc, 0)] = src
        shadow |= shifted > z + k * res * tan_elev
    return shadow


def clouds_and_haze(
    rng: np.random.Generator, shape: tuple[int, int], res: float, p: GeneratorParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cloud opacity (0..1), haze strength (0..1) and cloud-shadow mask of the mosaic."""
    field = power_law_field(rng, shape, 3.6)
    cloud = np.zeros(shape)
    if p.cloud_fraction > 0:
        cut = np.quantile(field, 1.0 - p.cloud_fraction)
        cloud = np.clip((field - cut) / (0.3 * field.std()), 0.0, 1.0)
    haze_field = power_law_field(rng, shape, 3.6)
    haze = np.zeros(shape)
    if p.haze_fraction > 0:
        cut = np.quantile(haze_field, 1.0 - p.haze_fraction)
        haze = np.clip((haze_field - cut) / haze_field.std(), 0.0, 1.0)
    # Cloud shadow: the cloud moved away from the sun by (cloud height) x tan(zenith).
    shift = 1500.0 * np.tan(np.radians(p.sun_zenith_deg)) / res
    az = np.radians(p.sun_azimuth_deg)
    cloud_shadow = ndimage.shift(cloud, (shift * np.cos(az), -shift * np.sin(az)), order=0) > 0.5
    return cloud, haze, cloud_shadow & (cloud < 0.5)
