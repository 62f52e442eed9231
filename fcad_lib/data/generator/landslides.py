"""Landslide inventory of the generated area: susceptibility, sizes, shapes, placement, motion.

Sources and choices: ``book/generated_area.md`` (section *Landslide inventory*). Areas follow the
three-parameter inverse-gamma distribution of Malamud et al. (2004, Earth Surf. Process.
Landforms 29:687); velocities the "very slow" to "slow" classes of Cruden & Varnes (1996).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from rasterio.transform import Affine
from scipy import ndimage

from fcad_lib.data.generator.fields import power_law_field, to_colrow, to_xy
from fcad_lib.data.generator.relief import lithology_table

FRESH_FRACTION = 0.35
MORPHOLOGY_AMPLITUDE = 0.04  # of the semi-major axis: a few metres


@dataclass
class Landslide:
    """One generated landslide (map units: metres)."""

    polygon: shapely.Polygon
    kind: str
    velocity: float  # downslope, mm/yr
    cx: float
    cy: float
    a: float  # semi-major axis, m
    b: float  # semi-minor axis, m
    azimuth: float  # downslope direction, rad clockwise from north
    n_px: int = 0  # pixel centres inside the polygon
    activity: str = "active"  # "active", "partial" or "dormant"
    mapped: bool = True  # in the inventory (False: a real landslide the inventory misses)
    moving: tuple[float, float] = (-1.0, 1.0)  # moving part: range of u / a (head -1, toe +1)
    motion_azimuth: float = float("nan")  # rad clockwise from north; NaN = along the long axis
    shift_m: tuple[float, float] = field(default=(0.0, 0.0))  # inventory offset (east, north)


def susceptibility(
    rng: np.random.Generator,
    slope: np.ndarray,
    lith: np.ndarray,
    d_near_m: np.ndarray,
    water: np.ndarray,
) -> np.ndarray:
    """Slope term x lithology weight x proximity to shore/tributary x correlated log-normal."""
    s = (
        np.exp(-(((slope - 32.0) / 11.0) ** 2))
        * lithology_table(1)[lith]
        * (0.35 + 0.65 * np.exp(-d_near_m / 700.0))
        * np.exp(0.6 * power_law_field(rng, slope.shape, 3.0))
    )
    s[water | (slope < 8.0)] = 0.0
    return s


def sample_areas_m2(rng: np.random.Generator, size: int, a_min: float, a_max: float) -> np.ndarray:
    """Inverse-gamma landslide areas (Malamud et al. 2004), truncated to [a_min, a_max] m^2."""
    rho, a_km2, s_km2 = 1.40, 1.28e-3, -1.32e-4
    out = np.empty(0)
    while out.size < size:
        g = rng.gamma(shape=rho, scale=1.0 / a_km2, size=4 * size + 64)
        area = (s_km2 + 1.0 / g) * 1e6
        out = np.concatenate([out, area[(area >= a_min) & (area <= a_max)]])
    return out[:size]


def landslide_polygon(
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


@dataclass
class _Placement:
    """State of the placement loop: the grid and what is already occupied."""

    transform: Affine
    n: int
    res: float
    cdf: np.ndarray
    slope: np.ndarray
    azimuth_deg: np.ndarray
    water: np.ndarray
    occupied: np.ndarray
    placed: list[Landslide]


def _footprint(poly: shapely.Polygon, st: _Placement, margin: int = 2):
    """Window bounds and pixel-centre mask of ``poly``, or None when it leaves the grid."""
    xmin, ymin, xmax, ymax = poly.bounds
    c0, r0 = to_colrow(st.transform, xmin, ymax)
    c1, r1 = to_colrow(st.transform, xmax, ymin)
    c0, r0 = int(np.floor(c0)), int(np.floor(r0))
    c1, r1 = int(np.ceil(c1)), int(np.ceil(r1))
    if c0 < margin or r0 < margin or c1 > st.n - margin or r1 > st.n - margin:
        return None
    cols, rows = np.meshgrid(np.arange(c0, c1), np.arange(r0, r1))
    xs, ys = to_xy(st.transform, cols + 0.5, rows + 0.5)
    return (r0, r1, c0, c1), rows, cols, shapely.contains_xy(poly, xs, ys)


def _try_place(
    rng: np.random.Generator, st: _Placement, area: float
) -> tuple[Landslide, int] | None:
    """Draw one candidate of ``area`` m^2; return it and its pixel count when accepted."""
    idx = int(np.searchsorted(st.cdf, rng.random()))
    row, col = divmod(idx, st.n)
    cx, cy = to_xy(st.transform, col + rng.uniform(), row + rng.uniform())
    az = np.radians(st.azimuth_deg[row, col])
    if not np.isfinite(az):
        return None
    poly, a, b = landslide_polygon(rng, cx, cy, area, az)
    found = _footprint(poly, st)
    if found is None:
        return None
    (r0, r1, c0, c1), rows, cols, inside = found
    if inside.sum() < 3:
        return None
    fr, fc = rows[inside], cols[inside]
    # Footprint plus a one-pixel ring: keeps a gap to water and to other landslides.
    win = (slice(r0 - 1, r1 + 1), slice(c0 - 1, c1 + 1))
    ring = ndimage.binary_dilation(np.pad(inside, 1))
    if st.water[win][ring].any() or st.occupied[win][ring].any():
        return None
    if np.nanmean(st.slope[fr, fc]) < 12.0:
        return None
    others = [p.polygon for p in st.placed]
    if others and shapely.intersects(poly.buffer(0.5 * st.res), others).any():
        return None
    st.occupied[fr, fc] = True
    kind = "fresh" if rng.random() < FRESH_FRACTION else "old"
    n_px = int(inside.sum())
    # Speed and activity are drawn later, from their own stream (activity.assign_activity).
    return Landslide(poly, kind, 0.0, cx, cy, a, b, az, n_px=n_px), n_px


@dataclass(frozen=True)
class Hillslopes:
    """The grid and terrain landslides are placed on (:func:`place_landslides`).

    Parameters
    ----------
    transform : Affine
        Pixel-to-map transform of the square grid.
    res : float
        Pixel size in metres.
    slope : numpy.ndarray
        Slope in degrees, ``(n, n)``.
    azimuth_deg : numpy.ndarray
        Downslope direction in degrees clockwise from north (the smoothed aspect).
    water : numpy.ndarray
        Bool, ``True`` on water (no landslide there).
    """

    transform: Affine
    res: float
    slope: np.ndarray
    azimuth_deg: np.ndarray
    water: np.ndarray


def place_landslides(
    rng: np.random.Generator,
    hills: Hillslopes,
    susceptibility: np.ndarray,
    target_px: int,
) -> tuple[list[Landslide], np.ndarray]:
    """Place non-overlapping landslides until ``target_px`` pixels are covered (+-3 %).

    Parameters
    ----------
    rng : numpy.random.Generator
        The placement's random stream.
    hills : Hillslopes
        Grid and terrain.
    susceptibility : numpy.ndarray
        Relative chance of a landslide centre in each pixel (:func:`susceptibility`).
    target_px : int
        Pixels to cover.

    Returns
    -------
    tuple
        The landslides and the bool raster of the pixels they occupy.
    """
    n, res = hills.water.shape[0], hills.res
    px_area = res * res
    a_min = 10 * px_area
    a_max = max(min(1e6, 0.3 * target_px * px_area), 4 * a_min)
    cdf = np.cumsum(susceptibility.ravel())
    cdf /= cdf[-1]
    st = _Placement(hills.transform, n, res, cdf, hills.slope, hills.azimuth_deg, hills.water,
                    np.zeros((n, n), dtype=bool), [])
    covered = 0
    tries = 0
    max_tries = 200 * max(10, target_px // 10)
    while covered < 0.97 * target_px and tries < max_tries:
        tries += 1
        remaining = target_px - covered
        area = float(sample_areas_m2(rng, 1, a_min, a_max)[0])
        if area / px_area > 1.03 * remaining:
            if remaining * px_area < a_min:
                area = remaining * px_area  # last, smallest landslide closes the gap
            else:
                continue
        found = _try_place(rng, st, area)
        if found is not None:
            st.placed.append(found[0])
            covered += found[1]
    return st.placed, st.occupied


def body_coordinates(
    ls: Landslide, transform: Affine, window: tuple[slice, slice]
) -> tuple[np.ndarray, np.ndarray]:
    """Normalised along (u/a) and across (v/b) coordinates of a window's pixel centres."""
    rows, cols = np.mgrid[window]
    xs, ys = to_xy(transform, cols + 0.5, rows + 0.5)
    dx, dy = xs - ls.cx, ys - ls.cy
    sa, ca = np.sin(ls.azimuth), np.cos(ls.azimuth)
    u = dx * sa + dy * ca
    v = dx * ca - dy * sa
    return u / ls.a, v / ls.b


def old_morphology(
    slides: list[Landslide], ids: np.ndarray, transform: Affine,
    amplitude: float = MORPHOLOGY_AMPLITUDE,
) -> np.ndarray:
    """Head depression and toe bulge of old (pre-DEM) bodies: ``amplitude`` x semi-major axis."""
    dz = np.zeros(ids.shape)
    for i, win in enumerate(ndimage.find_objects(ids)):
        if win is None or slides[i].kind != "old":
            continue
        un, vn = body_coordinates(slides[i], transform, win)
        envelope = np.clip(1.0 - (un**2 + vn**2), 0.0, None)
        dz[win] += amplitude * slides[i].a * np.clip(un, -1, 1) * envelope
    return dz
