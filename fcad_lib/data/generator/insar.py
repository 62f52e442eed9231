"""Sentinel-1 InSAR deformation rate of the generated area (``deformation_rate.tif``).

LOS mm/yr, positive = towards the satellite. Geometry: Sentinel-1 ascending, heading -12 deg,
right-looking, incidence 39.17 deg (the paper's value). Atmosphere: Kolmogorov-like k^-8/3
spectrum (Hanssen 2001, *Radar Interferometry*). Choices: ``book/generated_area.md``.
"""

from __future__ import annotations

import numpy as np
from rasterio.transform import Affine
from scipy import ndimage

from fcad_lib.data.generator.fields import power_law_field
from fcad_lib.data.generator.landslides import Landslide, body_coordinates
from fcad_lib.data.terrain import aspect_horn, slope_horn

INCIDENCE_DEG = 39.17
HEADING_DEG = -12.0


def los_unit_enu(incidence_deg: float, heading_deg: float) -> np.ndarray:
    """Ground-to-satellite unit vector (east, north, up) of a right-looking SAR."""
    inc = np.radians(incidence_deg)
    look_az = np.radians(heading_deg + 90.0)  # right-looking: look direction = heading + 90
    return np.array([-np.sin(inc) * np.sin(look_az), -np.sin(inc) * np.cos(look_az), np.cos(inc)])


LOS_UNIT_ENU = los_unit_enu(INCIDENCE_DEG, HEADING_DEG)


def layover_shadow(z: np.ndarray, res: float) -> np.ndarray:
    """Radar layover and shadow at the scale of a multilooked pixel (smoothed DEM)."""
    look_az = np.radians(HEADING_DEG + 90.0 + 180.0)  # ground -> satellite, horizontal
    z_ml = ndimage.gaussian_filter(z, 2.0)
    slope_ml, aspect_ml = slope_horn(z_ml, res, res), aspect_horn(z_ml, res, res)
    tilt_towards = np.degrees(
        np.arctan(np.tan(np.radians(slope_ml)) * np.cos(np.radians(aspect_ml) - look_az))
    )
    layover = np.nan_to_num(tilt_towards) > INCIDENCE_DEG
    shadow = np.nan_to_num(-tilt_towards) > 90.0 - INCIDENCE_DEG
    return layover | shadow


def decorrelation_holes(
    rng_atm: np.random.Generator,
    slope: np.ndarray,
    f_veg: np.ndarray,
    water: np.ndarray,
    fraction: float = 0.05,
) -> np.ndarray:
    """The ``fraction`` of land where a correlated field + slope + vegetation is highest.

    C-band coherence is lost first on steep, vegetated ground.
    """
    sin_s = np.sin(np.radians(slope))
    decor = power_law_field(rng_atm, slope.shape, 3.0) + 1.2 * sin_s + 1.0 * f_veg
    return decor > np.quantile(decor[~water], 1.0 - fraction)


def body_los_rate(
    slides: list[Landslide], ids: np.ndarray, transform: Affine, slope: np.ndarray
) -> np.ndarray:
    """LOS rate (mm/yr) of every real body, mapped or not, from its activity and 3-D motion.

    Speed ``v (0.3 + 0.7 (1 - r^2))`` (``r``: normalised elliptical radius), only on the moving
    part of the long axis (soft 10 % edges), along ``motion_azimuth`` and dipping at the body's
    mean slope: translational motion parallel to the surface, projected on ``LOS_UNIT_ENU``.
    """
    los = np.zeros(ids.shape)
    for i, win in enumerate(ndimage.find_objects(ids)):
        ls = slides[i]
        if win is None or ls.velocity <= 0:
            continue
        body = ids[win] == i + 1
        un, vn = body_coordinates(ls, transform, win)
        r2 = np.clip(un**2 + vn**2, 0.0, 1.0)
        lo, hi = ls.moving
        part = np.clip(np.minimum(un - lo, hi - un) / 0.1 + 0.5, 0.0, 1.0)
        dip = np.radians(np.nanmean(slope[win][body]))
        az = ls.motion_azimuth if np.isfinite(ls.motion_azimuth) else ls.azimuth
        direction = np.array([np.sin(az) * np.cos(dip), np.cos(az) * np.cos(dip), -np.sin(dip)])
        speed = ls.velocity * (0.3 + 0.7 * (1.0 - r2)) * part
        los[win] += np.where(body, speed * float(direction @ LOS_UNIT_ENU), 0.0)
    return los


def downslope_to_los(speed: np.ndarray, slope: np.ndarray, aspect: np.ndarray) -> np.ndarray:
    """LOS rate of a surface-parallel downslope ``speed`` (mm/yr) on a slope / aspect grid."""
    s = np.radians(slope)
    a = np.radians(np.nan_to_num(aspect))
    direction = np.stack([np.sin(a) * np.cos(s), np.cos(a) * np.cos(s), -np.sin(s)], axis=-1)
    return speed * (direction @ LOS_UNIT_ENU)


def multilook(rate: np.ndarray, res: float, range_looks: int, azimuth_looks: int) -> np.ndarray:
    """Average over one multilook cell of Sentinel-1 IW, resampled to ``res``.

    The IW SLC pixel is 2.33 m in slant range and 13.9 m in azimuth; a ground cell of
    ``range_looks`` x ``azimuth_looks`` pixels is ``2.33 L_r / sin(theta)`` by ``13.9 L_a`` m.
    Range is close to east-west (heading -12 deg), azimuth close to north-south. The box of
    width ``w`` pixels is approximated by a Gaussian of equal variance, ``sigma = w / sqrt(12)``.
    """
    w_range = 2.33 * range_looks / np.sin(np.radians(INCIDENCE_DEG)) / res
    w_az = 13.9 * azimuth_looks / res
    return ndimage.gaussian_filter(rate, (w_az / np.sqrt(12.0), w_range / np.sqrt(12.0)))


def decorrelate(
    rng: np.random.Generator,
    rate: np.ndarray,
    f_veg: np.ndarray,
    alias_mm_per_yr: float,
    veg_noise_mm_per_yr: float,
) -> np.ndarray:
    """Noise over vegetation and aliasing on fast bodies, as SBAS on C-band would give.

    A rate faster than ``alias_mm_per_yr`` moves more than lambda/4 within the longest pair and
    wraps: the estimate falls back into ``[-alias, alias]``, with extra noise from the loss of
    coherence. Vegetation adds noise of std ``veg_noise_mm_per_yr * f_veg^2``.
    """
    period = 2.0 * alias_mm_per_yr
    wrapped = rate - period * np.round(rate / period)
    fast = np.abs(rate) > alias_mm_per_yr
    std = veg_noise_mm_per_yr * f_veg**2 + np.where(fast, 0.3 * alias_mm_per_yr, 0.0)
    noise = ndimage.gaussian_filter(rng.standard_normal(rate.shape), 0.7)
    return wrapped + std * noise / noise.std()
