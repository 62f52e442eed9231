"""Deformation that is not a landslide: what else moves, or seems to move, in an InSAR rate map.

Vertical rates are projected onto the line of sight with ``los_up`` (the up component of the
ground-to-satellite unit vector). Sources and choices: ``book/generated_area.md``
(section *Deformation that is not a landslide*).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from fcad_lib.data.generator.fields import power_law_field
from fcad_lib.data.generator.params import (
    SENTINEL1_WAVELENGTH_MM,
    GeneratorParams,
    seasonal_leak_rate_mm_per_yr,
    step_rate_mm_per_yr,
)

SLANT_RANGE_M = 880_000.0  # Sentinel-1 IW mid-swath slant range


def _n_events(rng: np.random.Generator, per_100km2: float, area_km2: float) -> int:
    return int(rng.poisson(per_100km2 * area_km2 / 100.0))


def consolidation(
    rng: np.random.Generator,
    lith: np.ndarray,
    slope: np.ndarray,
    d_water_m: np.ndarray,
    water: np.ndarray,
    p: GeneratorParams,
) -> np.ndarray:
    """Vertical subsidence (mm/yr, negative) of valley fill and saturated reservoir banks.

    Deposits settle in proportion to their thickness, which grows away from the fill's edge;
    a correlated log-normal factor makes the rate patchy.
    """
    gentle = slope < p.consolidation_max_slope_deg
    fill = (lith == 1) & gentle & ~water
    bank = (d_water_m < p.bank_width_m) & gentle & ~water
    host = fill | bank
    res_px = ndimage.distance_transform_edt(host)
    thickness = 1.0 - np.exp(-res_px / 4.0)  # thin at the edge, full a few pixels in
    patchy = np.exp(0.7 * power_law_field(rng, lith.shape, 3.0) - 0.25)
    return -p.consolidation_rate_mm_per_yr * np.where(host, thickness * patchy, 0.0)


def subsidence_bowls(
    rng: np.random.Generator, slope: np.ndarray, water: np.ndarray, res: float,
    p: GeneratorParams,
) -> tuple[np.ndarray, list[tuple[int, int, float]]]:
    """Vertical rate of mining / urban subsidence bowls on gentle land, and their centres.

    Each bowl is Gaussian in plan (the classic subsidence trough), peak rate and radius drawn
    from the parameter ranges. Returns the rate and ``(row, col, radius_px)`` per bowl.
    """
    n = slope.shape[0]
    rate = np.zeros(slope.shape)
    candidates = np.flatnonzero((slope.ravel() < 20.0) & ~water.ravel())
    count = _n_events(rng, p.density("bowls_per_100km2"), (n * res / 1000.0) ** 2)
    if candidates.size == 0:
        return rate, []
    rows, cols = np.ogrid[0:n, 0:n]
    centres = []
    for idx in rng.choice(candidates, size=count):
        r0, c0 = divmod(int(idx), n)
        radius = rng.uniform(*p.bowl_radius_m) / res
        peak = rng.uniform(*p.bowl_rate_mm_per_yr)
        rate -= peak * np.exp(-((rows - r0) ** 2 + (cols - c0) ** 2) / (2 * (radius / 2) ** 2))
        centres.append((r0, c0, radius))
    return rate, centres


def seasonal_residual(
    rng: np.random.Generator, lith: np.ndarray, p: GeneratorParams
) -> np.ndarray:
    """LOS-free residual rate of seasonal/thermal motion that a linear fit does not remove.

    The amplitude is largest on valley-fill deposits (groundwater, swelling soils); the phase
    varies smoothly in space. The leak is :func:`seasonal_leak_rate_mm_per_yr` for ``span_yr``.
    """
    amp = p.seasonal_amplitude_mm * np.where(lith == 1, 1.0, 0.35) * np.exp(
        0.5 * power_law_field(rng, lith.shape, 3.0))
    phase = np.pi * (1.0 + power_law_field(rng, lith.shape, 4.0))
    # The leak is linear in the amplitude: evaluate it per unit amplitude on a phase table.
    table_phase = np.linspace(-2 * np.pi, 4 * np.pi, 721)
    table = [seasonal_leak_rate_mm_per_yr(1.0, ph, p.span_yr) for ph in table_phase]
    return amp * np.interp(phase, table_phase, table)


def dem_error_residual(
    dem_error_m: np.ndarray, slope: np.ndarray, incidence_deg: float, p: GeneratorParams
) -> np.ndarray:
    """Rate bias (mm/yr LOS) of an uncorrected DEM error under a perpendicular-baseline trend.

    ``v = dB_perp/dt * dz / (R sin(theta))``; the DEM error grows with ``tan(slope)``
    (SRTM-derived DEMs err most on steep slopes).
    """
    dz = dem_error_m * (1.0 + p.dem_error_m_per_tan_slope * np.tan(np.radians(slope)))
    return 1000.0 * p.baseline_trend_m_per_yr * dz / (
        SLANT_RANGE_M * np.sin(np.radians(incidence_deg)))


def orbital_ramp(rng: np.random.Generator, n: int, res: float, p: GeneratorParams) -> np.ndarray:
    """Planar residual of orbit errors, gradient ``orbital_ramp_mm_per_yr_per_km``."""
    theta = rng.uniform(0, 2 * np.pi)
    rows, cols = np.mgrid[0:n, 0:n] * (res / 1000.0)
    g = p.orbital_ramp_mm_per_yr_per_km
    return g * (np.cos(theta) * (cols - cols.mean()) + np.sin(theta) * (rows - rows.mean()))


def unwrapping_errors(
    rng: np.random.Generator, land: np.ndarray, res: float, p: GeneratorParams
) -> np.ndarray:
    """Patches offset by one +-lambda/2 jump at a random date, as a rate (mm/yr LOS).

    Patches are the blobs of a smooth random field above the quantile that leaves
    ``unwrap_fraction`` of the land; each blob gets its own sign and jump date.
    """
    out = np.zeros(land.shape)
    fraction = p.density("unwrap_fraction")
    if fraction <= 0:
        return out
    sigma = p.unwrap_patch_m / res / 4.0
    field = ndimage.gaussian_filter(rng.standard_normal(land.shape), sigma)
    blobs, count = ndimage.label(field > np.quantile(field[land], 1.0 - fraction))
    jump = SENTINEL1_WAVELENGTH_MM / 2.0
    t0 = rng.uniform(0.15, 0.85, count + 1) * p.span_yr
    sign = rng.choice([-1.0, 1.0], size=count + 1)
    offset = np.array(
        [s * step_rate_mm_per_yr(jump, t, p.span_yr) for s, t in zip(sign, t0, strict=True)]
    )
    offset[0] = 0.0
    return np.where(land, offset[blobs], 0.0)


def creep_zones(
    rng: np.random.Generator, slope: np.ndarray, land: np.ndarray, p: GeneratorParams
) -> np.ndarray:
    """Downslope speed (mm/yr) of broad creeping slopes that no inventory maps as landslides.

    Deep-seated gravitational slope deformation and soil creep: slow, smooth and wide.
    """
    steep = land & (slope > 20.0)
    field = ndimage.gaussian_filter(power_law_field(rng, slope.shape, 3.5), 2.0)
    if not steep.any() or p.creep_zone_fraction <= 0:
        return np.zeros(slope.shape)
    cut = np.quantile(field[steep], 1.0 - p.creep_zone_fraction)
    weight = np.clip((field - cut) / (field[steep].std() + 1e-12), 0.0, 1.0)
    return p.creep_zone_rate_mm_per_yr * np.where(steep, weight, 0.0)
