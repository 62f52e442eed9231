"""Procedurally generated default study area (a Baihetan-like reservoir valley).

The paper's data are private, so the default study area is generated: a deep, incised river valley
partly flooded by a reservoir, with an inventory of slow-moving landslides, written as the same
file types a real area uses (GeoTIFF factors + GeoPackage inventory + ``checksums.sha256``).
Everything is deterministic from ``seed`` (one :class:`numpy.random.SeedSequence`, one child
stream per component, so changing one component never reshuffles the others).
``book/generated_area.md`` explains the same choices in prose.

Modelling choices and their sources
-----------------------------------
Grid
    ``size_px`` x ``size_px`` cells of ``resolution_m`` (12.5 m, the ALOS PALSAR RTC DEM
    spacing used by the paper), north-up. The upper-left corner is 102.85 E, 27.25 N (the
    Baihetan reservoir on the Jinsha River) projected into ``crs`` and snapped to the pixel
    size; in EPSG:32647 this is easting ~880 km, i.e. just east of zone 47's nominal 96-102 E
    band, as in the paper's area.
Relief (``dem.tif``, m)
    * Main river flowing south -> north (the Jinsha between Wudongde and Baihetan flows north),
      meandering (sinusoid of 5-8 km wavelength + 1-D Brownian wander); bed at 600 m rising
      1 m/km upstream (Jinsha bed gradient ~1 per mille), before the regional gradient.
    * Valley flanks ``bed + H (1 - exp(-d / lambda))`` with H = 2300 m and an initial flank angle
      of ~38 deg (different on each bank: dip- vs anti-dip slopes), giving ridges of
      2500-3000 m at ~6 km from the river: the deeply incised Jinsha canyon.
    * A planar regional gradient of 2 % in a random direction.
    * Fractal relief by spectral synthesis: radially averaged 2-D power spectrum ~ k^-beta with
      beta = 3.2, i.e. a fractional Brownian surface with Hurst exponent H = 0.6 (1-D profile
      spectrum ~ k^-2.2; topographic profiles are close to Brownian, 1-D beta ~ 2: Turcotte
      1997, Fractals and Chaos in Geology and Geophysics, ch. 7). Its standard deviation is
      120 m for a 12.8 km square and scales as L^((beta-2)/2), as an fBm does; it is smoothed
      over one pixel (the 12.5 m DEM is resampled 30 m SRTM) and tapered to zero on the
      channels so valley floors stay smooth. It is added after the tributaries are carved.
    * Tributaries (one per ~2.5 km of river, at least 2), smooth random walks leaving the main
      river upstream-wards, with beds rising 6-12 % and V-shaped flanks of 30-36 deg, carved
      with ``min(z, bed + d tan(theta))``.
    * DEM error: 1 m of noise correlated over ~2 pixels (SRTM-derived DEM resampled to 12.5 m).
    * The DEM keeps the pre-impoundment valley floor: the ASF ALOS PALSAR RTC DEM is built
      from SRTM (2000), years before Baihetan's impoundment (2021).
    * Old (pre-2000) landslides carry a faint morphology in the DEM (head depression, toe
      bulge, amplitude 4 % of the semi-major axis); fresh ones postdate the DEM and do not.
Reservoir
    Water = the connected region below the normal pool level 825 m that contains the main
    river (Baihetan normal pool level 825 m). Water pixels get a water spectrum, NaN
    deformation (a water surface has no coherence) and no landslides.
Lithology (``lithology.tif``, int16 codes 1..6, nodata -1)
    Strike-parallel bands (random strike, widths 0.6-2.5 km, order as a repeated stratigraphic
    sequence) warped by a low-frequency noise field (folding), plus Quaternary deposits on the
    valley floors. Susceptibility weights follow the usual ranking of frequency-ratio studies
    (soft, fine-grained rocks and loose deposits weak; basalt and carbonates strong); they are
    a modelling choice, not a fit: see ``LITHOLOGY_UNITS``.
Susceptibility and inventory (``landslides.gpkg``)
    * Susceptibility = slope term ``exp(-((slope - 32) / 11)^2)`` (Horn slope; shallow and
      rock-fall-prone cliffs are less prone to sliding) x lithology weight x proximity to the
      reservoir shore / tributaries ``0.35 + 0.65 exp(-d / 700 m)`` (reservoir bank slopes and
      undercut gullies) x a log-normal correlated factor (unmodelled causes).
    * Areas from the three-parameter inverse-gamma fit of Malamud et al. (2004, Earth Surf.
      Process. Landforms 29:687): rho = 1.40, a = 1.28e-3 km^2, s = -1.32e-4 km^2, sampled as
      ``A = s + 1 / G``, ``G ~ Gamma(rho, scale = 1 / a)``, truncated (resampled) to
      [10 pixels, min(1 km^2, 30 % of the target landslide area)]: power-law tail A^-2.4.
    * Shapes: ellipses with length/width ratio log-normal around 2 (1.2-5), long axis along the
      local downslope aspect of a smoothed DEM, toe wider than head (tongue shape), and
      harmonic (k = 2..4) boundary irregularity; rescaled to the sampled area exactly.
    * Placement: centres sampled proportional to susceptibility; rejected when they touch water,
      leave the grid, have mean slope < 12 deg, or come within one pixel of another landslide
      (no overlaps). Placement stops when landslide pixels : other land pixels reaches
      ``landslide_ratio`` (the paper's 1 : 224 is landslide : non-landslide), within 3 %.
    * 35 % of the landslides are ``fresh`` (recent failures, bare soil), the rest ``old``
      (ancient, revegetated bodies reactivated by impoundment - the common case at Baihetan).
Deformation rate (``deformation_rate.tif``, LOS mm/yr, positive = towards the satellite)
    * Downslope velocity per landslide: log-normal, median 30 mm/yr, sigma 0.7, clipped to
      3-180 mm/yr (heavy tail; "slow-moving landslides", Cruden & Varnes 1996 very slow to
      slow classes). Fresh and old landslides use the same distribution: no evidence favours
      either, and it keeps the optical and deformation cues independent.
    * Inside a body the speed is ``v (0.3 + 0.7 (1 - r^2))`` with r the normalised elliptical
      radius (fastest in the middle, sheared at the flanks), moving along the long axis and
      dipping at the body's mean slope (translational motion parallel to the surface).
    * LOS projection: Sentinel-1 ascending, heading -12 deg (348 deg), right-looking,
      incidence 39.17 deg (the paper's value). Ground-to-satellite unit vector (east, north,
      up) = ``LOS_UNIT_ENU`` ~ (-0.618, -0.131, 0.775). East-facing landslides move away from
      the satellite (down to ~ -0.9 v) and west-facing ones slightly towards it, reproducing
      the asymmetric range of the paper (-136.5 .. +44.1 mm/yr). The signal is smoothed with
      a 0.8-pixel Gaussian (multilooking).
    * Background: turbulent atmospheric residual with a Kolmogorov-like spectrum k^-8/3
      (Hanssen 2001, Radar Interferometry), std 2.5 mm/yr for a 12.8 km square, scaled like
      the relief; stratified tropospheric residual +2 mm/yr per km of elevation above the
      mean; soil creep 1.5 mm/yr x sin(slope) downslope, projected to LOS; 1 mm/yr white noise.
    * NaN: all water; radar layover (slope facing the sensor steeper than the incidence) and
      shadow (slope facing away steeper than 90 - incidence); decorrelation holes where a
      correlated field + slope + vegetation exceeds its 95th percentile (5 % of land, more on
      steep and vegetated ground: C-band temporal decorrelation).
Optical (``B2/B3/B4/B8.tif``, surface reflectance 0..1)
    * Linear mixing of vegetation, soil and rock end-members (typical Sentinel-2 L2A values;
      vegetation 0.03/0.06/0.035/0.35, red soil 0.08/0.11/0.15/0.22).
    * Vegetation fraction: Jinsha "dry-hot valley" zonation - sparse below ~1200 m, forest
      above ~1600 m (sigmoid around 1400 m) - more on north-facing (moister) slopes and along
      tributaries, plus correlated land-cover patches; rock fraction rises above 48 deg slope,
      its colour set by lithology (dark basalt, bright limestone).
    * Water: 0.045/0.06/0.04/0.015 plus turbidity noise.
    * Fresh landslides: vegetation fraction 0.03-0.12 and bright debris soil (high B4, low B8,
      NDVI ~0.1-0.2): clearly visible. Old landslides: vegetation x 0.85-0.97 of the
      surroundings: nearly indistinguishable, visible mostly in the deformation rate. This is
      what the with/without-InSAR ablation measures.
    * Partial topographic illumination (sun zenith 35 deg, azimuth 150 deg, weight 0.35) and
      sensor noise (0.004-0.006 reflectance).
"""

from __future__ import annotations

import argparse
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from pyproj import Transformer
from rasterio.features import rasterize
from rasterio.transform import Affine
from scipy import ndimage

from fcad_lib.data.terrain import aspect_horn, slope_horn

__all__ = [
    "generate_study_area",
    "main",
    "LITHOLOGY_UNITS",
    "LOS_UNIT_ENU",
    "INCIDENCE_DEG",
    "HEADING_DEG",
    "WATER_LEVEL_M",
]

RASTER_FILES = ("deformation_rate", "B2", "B3", "B4", "B8", "dem", "lithology")
INVENTORY_FILE = "landslides.gpkg"
CHECKSUM_FILE = "checksums.sha256"

ORIGIN_LONLAT = (102.85, 27.25)  # Baihetan reservoir, Jinsha River
REFERENCE_EXTENT_M = 12_800.0  # amplitudes below are stated for a 12.8 km square
RIVER_BED_M = 600.0
RIVER_GRADIENT = 1e-3
VALLEY_RELIEF_M = 2300.0
WATER_LEVEL_M = 825.0
INCIDENCE_DEG = 39.17
HEADING_DEG = -12.0
FRESH_FRACTION = 0.35
FBM_BETA = 3.2
FBM_STD_M = 120.0

# code: (name, susceptibility weight, rock end-member B2, B3, B4, B8)
LITHOLOGY_UNITS: dict[int, tuple[str, float, tuple[float, float, float, float]]] = {
    1: ("Quaternary deposits", 1.00, (0.10, 0.12, 0.15, 0.20)),
    2: ("mudstone and siltstone", 0.90, (0.10, 0.12, 0.16, 0.21)),
    3: ("shale and slate", 0.75, (0.08, 0.09, 0.10, 0.14)),
    4: ("sandstone", 0.50, (0.12, 0.14, 0.17, 0.22)),
    5: ("Emeishan basalt", 0.35, (0.07, 0.08, 0.09, 0.12)),
    6: ("limestone and dolomite", 0.30, (0.18, 0.20, 0.22, 0.26)),
}

VEGETATION = np.array([0.03, 0.06, 0.035, 0.35])
SOIL = np.array([0.08, 0.11, 0.15, 0.22])
FRESH_DEBRIS = np.array([0.11, 0.14, 0.19, 0.23])
WATER = np.array([0.045, 0.06, 0.04, 0.015])
SENSOR_NOISE = np.array([0.004, 0.004, 0.004, 0.006])


def _los_unit_enu(incidence_deg: float, heading_deg: float) -> np.ndarray:
    """Ground-to-satellite unit vector (east, north, up) of a right-looking SAR."""
    inc = np.radians(incidence_deg)
    look_az = np.radians(heading_deg + 90.0)  # right-looking: look direction = heading + 90
    return np.array([-np.sin(inc) * np.sin(look_az), -np.sin(inc) * np.cos(look_az), np.cos(inc)])


LOS_UNIT_ENU = _los_unit_enu(INCIDENCE_DEG, HEADING_DEG)


@dataclass
class _Landslide:
    polygon: shapely.Polygon
    kind: str
    velocity: float  # downslope, mm/yr
    cx: float
    cy: float
    a: float  # semi-major axis, m
    b: float  # semi-minor axis, m
    azimuth: float  # downslope direction, rad clockwise from north


# ----------------------------------------------------------------------------- noise fields


def _power_law_field(rng: np.random.Generator, shape: tuple[int, int], beta: float) -> np.ndarray:
    """Zero-mean, unit-std random field with radially averaged power spectrum ~ k^-beta."""
    ny, nx = shape
    ky = np.fft.fftfreq(ny)[:, None]
    kx = np.fft.rfftfreq(nx)[None, :]
    k = np.hypot(kx, ky)
    k[0, 0] = np.inf  # no mean
    amp = k ** (-beta / 2.0)
    spec = rng.standard_normal(amp.shape) + 1j * rng.standard_normal(amp.shape)
    field = np.fft.irfft2(spec * amp, s=shape)
    return (field - field.mean()) / field.std()


def _power_law_series(rng: np.random.Generator, n: int, beta: float) -> np.ndarray:
    """1-D analogue of :func:`_power_law_field` (zero mean, unit std)."""
    k = np.fft.rfftfreq(n)
    k[0] = np.inf
    spec = (rng.standard_normal(k.shape) + 1j * rng.standard_normal(k.shape)) * k ** (-beta / 2)
    s = np.fft.irfft(spec, n=n)
    return (s - s.mean()) / s.std()


def _scaled_std(std_ref: float, extent_m: float, beta: float) -> float:
    """Std of a power-law field over ``extent_m`` given its std over the reference extent."""
    return std_ref * (extent_m / REFERENCE_EXTENT_M) ** ((beta - 2.0) / 2.0)


# ----------------------------------------------------------------------------- relief


def _burn_path(mask: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Set path pixels (fractional row/col samples) in ``mask``; return the kept sample index."""
    r = np.floor(rows).astype(int)
    c = np.floor(cols).astype(int)
    inside = (r >= 0) & (r < mask.shape[0]) & (c >= 0) & (c < mask.shape[1])
    mask[r[inside], c[inside]] = True
    return inside


def _relief(rng: np.random.Generator, n: int, res: float) -> dict[str, np.ndarray]:
    """DEM (pre-impoundment), river distances and water mask."""
    extent = n * res
    rr, cc = np.mgrid[0:n, 0:n].astype(np.float64)

    # Main river: south -> north, meandering around the centre column.
    t = np.linspace(0.0, 1.0, 4 * n)
    wavelength = rng.uniform(5_000.0, 8_000.0)
    amp_px = min(0.15 * extent, 1_500.0) / res
    wander = _power_law_series(rng, t.size, 2.0) * 0.03 * n
    river_cols = (
        0.5 * n + amp_px * np.sin(2 * np.pi * t * extent / wavelength + rng.uniform(0, 2 * np.pi))
    ) + wander
    river_rows = t * (n - 1) + 0.5
    river = np.zeros((n, n), dtype=bool)
    _burn_path(river, river_rows, river_cols)
    bed_main = np.where(river, RIVER_BED_M + RIVER_GRADIENT * rr * res, np.nan)
    d_main, (ir, ic) = ndimage.distance_transform_edt(~river, sampling=res, return_indices=True)
    bed = bed_main[ir, ic]
    # Different flank steepness on the two banks (dip vs anti-dip slopes).
    angle_w, angle_e = np.radians(rng.uniform(34.0, 42.0, size=2))
    east_bank = cc > ic
    lam = VALLEY_RELIEF_M / np.tan(np.where(east_bank, angle_e, angle_w))
    z = bed + VALLEY_RELIEF_M * (1.0 - np.exp(-d_main / lam))

    # Regional planar gradient.
    theta = rng.uniform(0, 2 * np.pi)
    z += 0.02 * res * ((cc - n / 2) * np.sin(theta) - (rr - n / 2) * np.cos(theta))

    # Tributaries: leave the river heading away from it and upstream (south).
    trib = np.zeros((n, n), dtype=bool)
    trib_bed = np.full((n, n), np.nan)
    n_trib = max(2, round(extent / 2_500.0))
    for i in range(n_trib):
        k = rng.integers(int(0.1 * t.size), int(0.9 * t.size))
        r0, c0 = river_rows[k], river_cols[k]
        side = 1.0 if i % 2 == 0 else -1.0
        heading = np.radians(90.0 * side + side * rng.uniform(10.0, 40.0))  # from north, cw
        length_px = rng.uniform(0.3, 0.6) * n
        steps = int(length_px / 0.5)
        az = heading + 0.35 * _power_law_series(rng, max(steps, 8), 2.0)[:steps]
        rows = r0 - np.cumsum(0.5 * np.cos(az))
        cols = c0 + np.cumsum(0.5 * np.sin(az))
        s_m = np.arange(1, steps + 1) * 0.5 * res
        gradient = rng.uniform(0.06, 0.12)
        z0 = RIVER_BED_M + RIVER_GRADIENT * r0 * res
        kept = _burn_path(trib, rows, cols)
        r_i = np.floor(rows[kept]).astype(int)
        c_i = np.floor(cols[kept]).astype(int)
        trib_bed[r_i, c_i] = np.fmin(trib_bed[r_i, c_i], z0 + gradient * s_m[kept])
    d_trib, (jr, jc) = ndimage.distance_transform_edt(~trib, sampling=res, return_indices=True)
    trib_angle = np.radians(rng.uniform(30.0, 36.0))
    z = np.minimum(z, trib_bed[jr, jc] + d_trib * np.tan(trib_angle))

    # Fractal relief on top of the carved valleys, tapered to zero on the channels. Smoothed over
    # ~1 pixel: the 12.5 m DEM is SRTM (30 m) resampled, not true 12.5 m detail.
    fbm = ndimage.gaussian_filter(_power_law_field(rng, (n, n), FBM_BETA), 1.0)
    taper = (1.0 - np.exp(-d_main / 600.0)) * (1.0 - np.exp(-d_trib / 150.0))
    z += fbm / fbm.std() * _scaled_std(FBM_STD_M, extent, FBM_BETA) * taper
    # Keep the main channel the lowest line (the fBm may not dam it).
    z = np.minimum(z, bed + d_main * np.tan(np.radians(45.0)))

    # Reservoir: the below-pool-level region connected to the main river.
    low, _ = ndimage.label(z < WATER_LEVEL_M)
    ids = np.unique(low[river & (low > 0)])
    water = np.isin(low, ids) & (low > 0)
    return {"z": z, "d_main": d_main, "d_trib": d_trib, "water": water}


def _lithology(
    rng: np.random.Generator, n: int, res: float, d_main: np.ndarray, d_trib: np.ndarray
) -> np.ndarray:
    """Lithology codes 1..6: warped strike-parallel bands plus valley-floor Quaternary."""
    rr, cc = np.mgrid[0:n, 0:n] * res
    strike = rng.uniform(0, np.pi)
    u = cc * np.cos(strike) + rr * np.sin(strike)
    u = u + _power_law_field(rng, (n, n), 4.0) * 0.08 * n * res
    u -= u.min()
    widths = rng.uniform(600.0, 2_500.0, size=64)
    edges = np.cumsum(widths) - rng.uniform(0, widths[0])
    sequence = np.array([2, 3, 4, 5, 6, 5, 4, 3])  # repeated stratigraphic sequence (folding)
    sequence = np.roll(sequence, rng.integers(len(sequence)))
    band = np.searchsorted(edges, u)
    lith = sequence[band % len(sequence)].astype(np.int16)
    lith[(d_main < 350.0) | (d_trib < 50.0)] = 1
    return lith


# ----------------------------------------------------------------------------- inventory


def _sample_areas_m2(rng: np.random.Generator, size: int, a_min: float, a_max: float) -> np.ndarray:
    """Inverse-gamma landslide areas (Malamud et al. 2004), truncated to [a_min, a_max] m^2."""
    rho, a_km2, s_km2 = 1.40, 1.28e-3, -1.32e-4
    out = np.empty(0)
    while out.size < size:
        g = rng.gamma(shape=rho, scale=1.0 / a_km2, size=4 * size + 64)
        area = (s_km2 + 1.0 / g) * 1e6
        out = np.concatenate([out, area[(area >= a_min) & (area <= a_max)]])
    return out[:size]


def _landslide_polygon(
    rng: np.random.Generator, cx: float, cy: float, area: float, azimuth: float
) -> tuple[shapely.Polygon, float, float]:
    """Tongue-shaped ellipse elongated along ``azimuth``; returns polygon, semi-axes a, b."""
    elong = float(np.clip(np.exp(rng.normal(np.log(2.0), 0.3)), 1.2, 5.0))
    ang = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    radius = np.ones_like(ang)
    for k in (2, 3, 4):
        radius += rng.uniform(0, 0.08) * np.cos(k * ang + rng.uniform(0, 2 * np.pi))
    u = elong * radius * np.cos(ang)  # along downslope, positive towards the toe
    v = radius * np.sin(ang) * (1.0 + 0.25 * np.cos(ang))  # toe wider than head
    unit_area = shapely.Polygon(np.c_[u, v]).area
    scale = np.sqrt(area / unit_area)
    u, v = u * scale, v * scale
    sa, ca = np.sin(azimuth), np.cos(azimuth)
    x = cx + u * sa + v * ca
    y = cy + u * ca - v * sa
    return shapely.Polygon(np.c_[x, y]), elong * scale, scale


def _to_xy(transform: Affine, col, row):
    """Map coordinates of fractional pixel positions (arrays allowed)."""
    return (
        transform.c + col * transform.a + row * transform.b,
        transform.f + col * transform.d + row * transform.e,
    )


def _to_colrow(transform: Affine, x: float, y: float) -> tuple[float, float]:
    """Fractional pixel position of a map coordinate (north-up transform)."""
    return (x - transform.c) / transform.a, (y - transform.f) / transform.e


def _place_landslides(
    rng: np.random.Generator,
    transform: Affine,
    n: int,
    res: float,
    susceptibility: np.ndarray,
    slope: np.ndarray,
    azimuth_deg: np.ndarray,
    water: np.ndarray,
    target_px: int,
) -> tuple[list[_Landslide], np.ndarray]:
    """Place non-overlapping landslides until ``target_px`` pixels are covered (+-3 %)."""
    px_area = res * res
    a_min = 10 * px_area
    a_max = max(min(1e6, 0.3 * target_px * px_area), 4 * a_min)
    cdf = np.cumsum(susceptibility.ravel())
    cdf /= cdf[-1]
    occupied = np.zeros((n, n), dtype=bool)
    placed: list[_Landslide] = []
    covered = 0
    margin = 2
    tries = 0
    max_tries = 200 * max(10, target_px // 10)
    while covered < 0.97 * target_px and tries < max_tries:
        tries += 1
        remaining = target_px - covered
        area = float(_sample_areas_m2(rng, 1, a_min, a_max)[0])
        if area / px_area > 1.03 * remaining:
            if remaining * px_area < a_min:
                area = remaining * px_area  # last, smallest landslide closes the gap
            else:
                continue
        idx = int(np.searchsorted(cdf, rng.random()))
        row, col = divmod(idx, n)
        cx, cy = _to_xy(transform, col + rng.uniform(), row + rng.uniform())
        az = np.radians(azimuth_deg[row, col])
        if not np.isfinite(az):
            continue
        poly, a, b = _landslide_polygon(rng, cx, cy, area, az)
        xmin, ymin, xmax, ymax = poly.bounds
        c0, r0 = _to_colrow(transform, xmin, ymax)
        c1, r1 = _to_colrow(transform, xmax, ymin)
        c0, r0 = int(np.floor(c0)), int(np.floor(r0))
        c1, r1 = int(np.ceil(c1)), int(np.ceil(r1))
        if c0 < margin or r0 < margin or c1 > n - margin or r1 > n - margin:
            continue
        cols, rows = np.meshgrid(np.arange(c0, c1), np.arange(r0, r1))
        xs, ys = _to_xy(transform, cols + 0.5, rows + 0.5)
        inside = shapely.contains_xy(poly, xs, ys)
        if inside.sum() < 3:
            continue
        fr, fc = rows[inside], cols[inside]
        # Footprint plus a one-pixel ring: keeps a gap to water and to other landslides.
        win = (slice(r0 - 1, r1 + 1), slice(c0 - 1, c1 + 1))
        ring = ndimage.binary_dilation(np.pad(inside, 1))
        if water[win][ring].any() or occupied[win][ring].any():
            continue
        if np.nanmean(slope[fr, fc]) < 12.0:
            continue
        if placed and shapely.intersects(poly.buffer(0.5 * res), [p.polygon for p in placed]).any():
            continue
        occupied[fr, fc] = True
        covered += int(inside.sum())
        kind = "fresh" if rng.random() < FRESH_FRACTION else "old"
        velocity = float(np.clip(np.exp(rng.normal(np.log(30.0), 0.7)), 3.0, 180.0))
        placed.append(_Landslide(poly, kind, velocity, cx, cy, a, b, az))
    return placed, occupied


def _body_coordinates(
    ls: _Landslide, transform: Affine, window: tuple[slice, slice]
) -> tuple[np.ndarray, np.ndarray]:
    """Normalised along (u/a) and across (v/b) coordinates of a window's pixel centres."""
    rows, cols = np.mgrid[window]
    xs, ys = _to_xy(transform, cols + 0.5, rows + 0.5)
    dx, dy = xs - ls.cx, ys - ls.cy
    sa, ca = np.sin(ls.azimuth), np.cos(ls.azimuth)
    u = dx * sa + dy * ca
    v = dx * ca - dy * sa
    return u / ls.a, v / ls.b


# ----------------------------------------------------------------------------- the area


def _grid_origin(crs: str, res: float) -> tuple[float, float]:
    """Upper-left corner: the Baihetan reservoir projected to ``crs``, snapped to ``res``."""
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(*ORIGIN_LONLAT)
    return float(np.floor(x / res) * res), float(np.ceil(y / res) * res)


def _generate_arrays(
    seed: int, size_px: int, resolution_m: float, landslide_ratio: float, crs: str
) -> tuple[dict[str, np.ndarray], gpd.GeoDataFrame, Affine]:
    """Build every layer in memory; see the module docstring for the model."""
    n, res = size_px, resolution_m
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    rng_relief, rng_lith, rng_susc, rng_inv, rng_atm, rng_opt, rng_noise, rng_dem = streams
    x0, y0 = _grid_origin(crs, res)
    transform = Affine(res, 0.0, x0, 0.0, -res, y0)
    extent = n * res

    relief = _relief(rng_relief, n, res)
    z, water = relief["z"], relief["water"]
    lith = _lithology(rng_lith, n, res, relief["d_main"], relief["d_trib"])
    slope = slope_horn(z, res, res)
    aspect = aspect_horn(z, res, res)
    smooth_aspect = aspect_horn(ndimage.gaussian_filter(z, 3.0), res, res)

    # Susceptibility.
    d_water = ndimage.distance_transform_edt(~water, sampling=res)
    d_near = np.minimum(d_water, relief["d_trib"])
    lith_w = np.zeros(7)
    for code, (_, weight, _) in LITHOLOGY_UNITS.items():
        lith_w[code] = weight
    susceptibility = (
        np.exp(-(((slope - 32.0) / 11.0) ** 2))
        * lith_w[lith]
        * (0.35 + 0.65 * np.exp(-d_near / 700.0))
        * np.exp(0.6 * _power_law_field(rng_susc, (n, n), 3.0))
    )
    susceptibility[water | (slope < 8.0)] = 0.0

    land_px = int((~water).sum())
    target_px = int(round(landslide_ratio * land_px / (1.0 + landslide_ratio)))
    slides, _ = _place_landslides(
        rng_inv, transform, n, res, susceptibility, slope, smooth_aspect, water, target_px
    )
    ids = rasterize(
        [(ls.polygon, i + 1) for i, ls in enumerate(slides)],
        out_shape=(n, n),
        transform=transform,
        fill=0,
        dtype="int32",
    )

    # Landslide motion (LOS) and old-landslide morphology, body by body.
    los_slides = np.zeros((n, n))
    dz_morph = np.zeros((n, n))
    for i, win in enumerate(ndimage.find_objects(ids)):
        if win is None:
            continue
        ls = slides[i]
        body = ids[win] == i + 1
        un, vn = _body_coordinates(ls, transform, win)
        r2 = np.clip(un**2 + vn**2, 0.0, 1.0)
        dip = np.radians(np.nanmean(slope[win][body]))
        direction = np.array(
            [np.sin(ls.azimuth) * np.cos(dip), np.cos(ls.azimuth) * np.cos(dip), -np.sin(dip)]
        )
        speed = ls.velocity * (0.3 + 0.7 * (1.0 - r2))
        los_slides[win] += np.where(body, speed * float(direction @ LOS_UNIT_ENU), 0.0)
        if ls.kind == "old":
            envelope = np.clip(1.0 - (un**2 + vn**2), 0.0, None)
            dz_morph[win] += 0.04 * ls.a * np.clip(un, -1, 1) * envelope
    dem = z + ndimage.gaussian_filter(dz_morph, 1.0)
    dem_error = ndimage.gaussian_filter(rng_dem.standard_normal((n, n)), 2.0)
    dem += dem_error / dem_error.std()  # 1 m std

    # Deformation rate: landslides + atmosphere + troposphere + creep + noise, then holes.
    sin_s, cos_s = np.sin(np.radians(slope)), np.cos(np.radians(slope))
    asp = np.radians(np.nan_to_num(aspect))
    creep_dir = np.stack([np.sin(asp) * cos_s, np.cos(asp) * cos_s, -sin_s], axis=-1)
    deformation = (
        ndimage.gaussian_filter(los_slides, 0.8)
        + _power_law_field(rng_atm, (n, n), 8.0 / 3.0) * _scaled_std(2.5, extent, 8.0 / 3.0)
        + 2.0e-3 * (z - z[~water].mean())
        + 1.5 * sin_s * (creep_dir @ LOS_UNIT_ENU)
        + rng_noise.standard_normal((n, n))
    )

    # Optical reflectance.
    # Layover / shadow from slopes at the scale of a multilooked pixel (smoothed DEM).
    look_az = np.radians(HEADING_DEG + 90.0 + 180.0)  # ground -> satellite, horizontal
    z_ml = ndimage.gaussian_filter(z, 2.0)
    slope_ml, aspect_ml = slope_horn(z_ml, res, res), aspect_horn(z_ml, res, res)
    tilt_towards = np.degrees(
        np.arctan(np.tan(np.radians(slope_ml)) * np.cos(np.radians(aspect_ml) - look_az))
    )
    layover = np.nan_to_num(tilt_towards) > INCIDENCE_DEG
    shadow = np.nan_to_num(-tilt_towards) > 90.0 - INCIDENCE_DEG

    veg_raw = (
        0.15
        + 0.7 / (1.0 + np.exp(-(z - 1400.0) / 250.0))
        + 0.12 * np.cos(np.radians(np.nan_to_num(aspect)))
        + 0.15 * np.exp(-relief["d_trib"] / 150.0)
        + 0.08 * _power_law_field(rng_opt, (n, n), 2.5)
    )
    veg_raw = np.clip(veg_raw, 0.02, 0.95)
    rock = 1.0 / (1.0 + np.exp(-(slope - 48.0) / 4.0))
    f_veg = (1.0 - rock) * veg_raw
    soil = np.broadcast_to(SOIL, (n, n, 4)).copy()
    is_fresh = np.array([False] + [ls.kind == "fresh" for ls in slides])
    fresh_px = is_fresh[ids]
    old_px = (ids > 0) & ~fresh_px
    per_slide_veg = np.r_[0.0, rng_opt.uniform(0.03, 0.12, len(slides))]
    per_slide_keep = np.r_[1.0, rng_opt.uniform(0.85, 0.97, len(slides))]
    f_veg = np.where(fresh_px, per_slide_veg[ids], f_veg * np.where(old_px, per_slide_keep[ids], 1))
    rock = np.where(fresh_px, 0.1 * (1.0 - f_veg), rock)
    soil[fresh_px] = FRESH_DEBRIS
    rock_colour = np.zeros((7, 4))
    for code, (_, _, colour) in LITHOLOGY_UNITS.items():
        rock_colour[code] = colour
    f_soil = np.clip(1.0 - f_veg - rock, 0.0, 1.0)
    refl = (
        f_veg[..., None] * VEGETATION
        + f_soil[..., None] * soil
        + rock[..., None] * rock_colour[lith]
    )
    sun_zen, sun_az = np.radians(35.0), np.radians(150.0)
    cos_i = np.cos(sun_zen) * cos_s + np.sin(sun_zen) * sin_s * np.cos(sun_az - asp)
    refl *= np.clip(0.65 + 0.35 * cos_i / np.cos(sun_zen), 0.3, 1.5)[..., None]
    refl[water] = WATER * (1.0 + 0.15 * _power_law_field(rng_opt, (n, n), 3.0)[water, None])
    refl += rng_noise.standard_normal((n, n, 4)) * SENSOR_NOISE
    refl = np.clip(refl, 0.0, 1.0)

    # Decorrelation holes: 5 % of land where correlated field + slope + vegetation is highest.
    decor = _power_law_field(rng_atm, (n, n), 3.0) + 1.2 * sin_s + 1.0 * f_veg
    holes = decor > np.quantile(decor[~water], 0.95)
    deformation[water | holes | layover | shadow] = np.nan

    layers = {
        "deformation_rate": deformation.astype(np.float32),
        "B2": refl[..., 0].astype(np.float32),
        "B3": refl[..., 1].astype(np.float32),
        "B4": refl[..., 2].astype(np.float32),
        "B8": refl[..., 3].astype(np.float32),
        "dem": dem.astype(np.float32),
        "lithology": lith.astype(np.int16),
    }
    inventory = gpd.GeoDataFrame(
        {
            "id": np.arange(1, len(slides) + 1, dtype=np.int32),
            "area_m2": [ls.polygon.area for ls in slides],
            "type": [ls.kind for ls in slides],
            "velocity_mm_per_yr": [ls.velocity for ls in slides],
        },
        geometry=[ls.polygon for ls in slides],
        crs=crs,
    )
    return layers, inventory, transform


# ----------------------------------------------------------------------------- writing


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


UNITS = {
    "deformation_rate": "mm/yr",
    "B2": "1",
    "B3": "1",
    "B4": "1",
    "B8": "1",
    "dem": "m",
    "lithology": "unit code",
}


def _write_geotiff(
    path: Path, array: np.ndarray, transform: Affine, crs: str, name: str, tags: dict
) -> None:
    is_int = np.issubdtype(array.dtype, np.integer)
    block = 256 if array.shape[0] >= 256 and array.shape[1] >= 256 else 128
    profile = {
        "driver": "GTiff",
        "width": array.shape[1],
        "height": array.shape[0],
        "count": 1,
        "dtype": array.dtype.name,
        "crs": crs,
        "transform": transform,
        "nodata": -1 if is_int else np.nan,
        "tiled": True,
        "blockxsize": block,
        "blockysize": block,
        "compress": "deflate",
        "predictor": 2 if is_int else 3,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
        dst.update_tags(**tags)
        dst.update_tags(1, units=UNITS[name])
        dst.set_band_description(1, name)


def generate_study_area(
    out_dir: str | os.PathLike,
    seed: int = 42,
    size_px: int = 1024,
    resolution_m: float = 12.5,
    landslide_ratio: float = 1 / 224,
    crs: str = "EPSG:32647",
    overwrite: bool = False,
) -> dict[str, Path]:
    """Generate the synthetic study area and write it to ``out_dir``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Directory to write into (created if missing).
    seed : int
        Seed of every random choice; the same seed gives identical arrays and polygons.
    size_px : int
        Width and height of the square grid in pixels (>= 64).
    resolution_m : float
        Pixel size in metres.
    landslide_ratio : float
        Landslide pixels : other land (non-water) pixels, as the paper's 1 : 224.
    crs : str
        Projected CRS (metres) of every output.
    overwrite : bool
        Replace existing files; otherwise an existing output raises ``FileExistsError``.

    Returns
    -------
    dict[str, Path]
        Paths keyed ``deformation_rate``, ``B2``, ``B3``, ``B4``, ``B8``, ``dem``,
        ``lithology``, ``landslides`` and ``checksums``.

    Raises
    ------
    FileExistsError
        If an output file exists and ``overwrite`` is False (nothing is written then).
    ValueError
        On an out-of-range parameter.
    """
    if size_px < 64:
        raise ValueError(f"size_px must be >= 64, got {size_px}")
    if not resolution_m > 0:
        raise ValueError(f"resolution_m must be positive, got {resolution_m}")
    if not 0 < landslide_ratio < 0.2:
        raise ValueError(f"landslide_ratio must be in (0, 0.2), got {landslide_ratio}")
    out = Path(out_dir)
    paths = {name: out / f"{name}.tif" for name in RASTER_FILES}
    paths["landslides"] = out / INVENTORY_FILE
    paths["checksums"] = out / CHECKSUM_FILE
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"generate_study_area: refusing to overwrite {', '.join(existing)} "
            "(pass overwrite=True)"
        )

    layers, inventory, transform = _generate_arrays(
        seed, size_px, resolution_m, landslide_ratio, crs
    )
    out.mkdir(parents=True, exist_ok=True)
    tags = {
        "generator": "fcad_lib.data.synthetic.generate_study_area",
        "seed": str(seed),
        "size_px": str(size_px),
        "resolution_m": str(resolution_m),
        "landslide_ratio": repr(landslide_ratio),
    }
    # Write everything to temporary names first, then move into place: a crash never leaves a
    # half-written file under a final name.
    tmp = {key: p.with_name(f".tmp-{os.getpid()}-{p.name}") for key, p in paths.items()}
    try:
        for name in RASTER_FILES:
            _write_geotiff(tmp[name], layers[name], transform, crs, name, tags)
        inventory.to_file(tmp["landslides"], driver="GPKG", layer="landslides", engine="pyogrio")
        lines = [f"{_sha256(tmp[k])}  {paths[k].name}\n" for k in (*RASTER_FILES, "landslides")]
        tmp["checksums"].write_text("".join(lines))
        for key in (*RASTER_FILES, "landslides", "checksums"):
            os.replace(tmp[key], paths[key])
    finally:
        for p in tmp.values():
            p.unlink(missing_ok=True)
    return paths


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m fcad_lib.data.synthetic OUT_DIR --seed 42 --size 1024``."""
    parser = argparse.ArgumentParser(description="Generate the synthetic default study area.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--size", type=int, default=1024, help="grid width/height in pixels")
    parser.add_argument("--resolution", type=float, default=12.5, help="pixel size in metres")
    parser.add_argument("--ratio", type=float, default=1 / 224, help="landslide : other land")
    parser.add_argument("--crs", default="EPSG:32647")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    paths = generate_study_area(
        args.out_dir,
        seed=args.seed,
        size_px=args.size,
        resolution_m=args.resolution,
        landslide_ratio=args.ratio,
        crs=args.crs,
        overwrite=args.overwrite,
    )
    for key, path in paths.items():
        print(f"{key}: {path}")


if __name__ == "__main__":
    main()
