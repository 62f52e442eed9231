"""Relief, reservoir and lithology of the generated valley (``dem.tif``, ``lithology.tif``).

Sources and choices: ``book/generated_area.md`` (section *Relief*, *Reservoir*, *Lithology*).
The Jinsha between Wudongde and Baihetan flows north with a ~1 per mille bed gradient; Baihetan's
normal pool level is 825 m; fractal relief follows Turcotte (1997, ch. 7).
"""

from __future__ import annotations

import numpy as np
from pyproj import Transformer
from scipy import ndimage

from fcad_lib.data.generator.fields import power_law_field, power_law_series, scaled_std

ORIGIN_LONLAT = (102.85, 27.25)  # Baihetan reservoir, Jinsha River
RIVER_BED_M = 600.0
RIVER_GRADIENT = 1e-3
VALLEY_RELIEF_M = 2300.0
WATER_LEVEL_M = 825.0
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


def grid_origin(crs: str, res: float) -> tuple[float, float]:
    """Upper-left corner: the Baihetan reservoir projected to ``crs``, snapped to ``res``."""
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(*ORIGIN_LONLAT)
    return float(np.floor(x / res) * res), float(np.ceil(y / res) * res)


def _burn_path(mask: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Set path pixels (fractional row/col samples) in ``mask``; return the kept sample index."""
    r = np.floor(rows).astype(int)
    c = np.floor(cols).astype(int)
    inside = (r >= 0) & (r < mask.shape[0]) & (c >= 0) & (c < mask.shape[1])
    mask[r[inside], c[inside]] = True
    return inside


def _main_river(rng: np.random.Generator, n: int, res: float) -> dict[str, np.ndarray]:
    """Meandering south -> north river and the canyon flanks around it."""
    extent = n * res
    rr, cc = np.mgrid[0:n, 0:n].astype(np.float64)
    t = np.linspace(0.0, 1.0, 4 * n)
    wavelength = rng.uniform(5_000.0, 8_000.0)
    amp_px = min(0.15 * extent, 1_500.0) / res
    wander = power_law_series(rng, t.size, 2.0) * 0.03 * n
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
    lam = VALLEY_RELIEF_M / np.tan(np.where(cc > ic, angle_e, angle_w))
    z = bed + VALLEY_RELIEF_M * (1.0 - np.exp(-d_main / lam))
    # Regional planar gradient.
    theta = rng.uniform(0, 2 * np.pi)
    z += 0.02 * res * ((cc - n / 2) * np.sin(theta) - (rr - n / 2) * np.cos(theta))
    return {
        "z": z, "bed": bed, "d_main": d_main, "river": river,
        "river_rows": river_rows, "river_cols": river_cols,
    }


def _tributaries(
    rng: np.random.Generator, n: int, res: float, river_rows: np.ndarray, river_cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Tributary channel mask and bed elevation: they leave the river away from it, upstream."""
    trib = np.zeros((n, n), dtype=bool)
    trib_bed = np.full((n, n), np.nan)
    n_trib = max(2, round(n * res / 2_500.0))
    for i in range(n_trib):
        k = rng.integers(int(0.1 * river_rows.size), int(0.9 * river_rows.size))
        r0, c0 = river_rows[k], river_cols[k]
        side = 1.0 if i % 2 == 0 else -1.0
        heading = np.radians(90.0 * side + side * rng.uniform(10.0, 40.0))  # from north, cw
        steps = int(rng.uniform(0.3, 0.6) * n / 0.5)
        az = heading + 0.35 * power_law_series(rng, max(steps, 8), 2.0)[:steps]
        rows = r0 - np.cumsum(0.5 * np.cos(az))
        cols = c0 + np.cumsum(0.5 * np.sin(az))
        s_m = np.arange(1, steps + 1) * 0.5 * res
        gradient = rng.uniform(0.06, 0.12)
        z0 = RIVER_BED_M + RIVER_GRADIENT * r0 * res
        kept = _burn_path(trib, rows, cols)
        r_i = np.floor(rows[kept]).astype(int)
        c_i = np.floor(cols[kept]).astype(int)
        trib_bed[r_i, c_i] = np.fmin(trib_bed[r_i, c_i], z0 + gradient * s_m[kept])
    return trib, trib_bed


def relief(rng: np.random.Generator, n: int, res: float) -> dict[str, np.ndarray]:
    """DEM (pre-impoundment) ``z``, distances to the river and tributaries, and water mask."""
    extent = n * res
    main = _main_river(rng, n, res)
    z, d_main = main["z"], main["d_main"]
    trib, trib_bed = _tributaries(rng, n, res, main["river_rows"], main["river_cols"])
    d_trib, (jr, jc) = ndimage.distance_transform_edt(~trib, sampling=res, return_indices=True)
    trib_angle = np.radians(rng.uniform(30.0, 36.0))
    z = np.minimum(z, trib_bed[jr, jc] + d_trib * np.tan(trib_angle))

    # Fractal relief on top of the carved valleys, tapered to zero on the channels. Smoothed over
    # ~1 pixel: the 12.5 m DEM is SRTM (30 m) resampled, not true 12.5 m detail.
    fbm = ndimage.gaussian_filter(power_law_field(rng, (n, n), FBM_BETA), 1.0)
    taper = (1.0 - np.exp(-d_main / 600.0)) * (1.0 - np.exp(-d_trib / 150.0))
    z += fbm / fbm.std() * scaled_std(FBM_STD_M, extent, FBM_BETA) * taper
    # Keep the main channel the lowest line (the fBm may not dam it).
    z = np.minimum(z, main["bed"] + d_main * np.tan(np.radians(45.0)))

    # Reservoir: the below-pool-level region connected to the main river.
    low, _ = ndimage.label(z < WATER_LEVEL_M)
    ids = np.unique(low[main["river"] & (low > 0)])
    water = np.isin(low, ids) & (low > 0)
    return {"z": z, "d_main": d_main, "d_trib": d_trib, "water": water}


def lithology(
    rng: np.random.Generator, n: int, res: float, d_main: np.ndarray, d_trib: np.ndarray
) -> np.ndarray:
    """Lithology codes 1..6: warped strike-parallel bands plus valley-floor Quaternary."""
    rr, cc = np.mgrid[0:n, 0:n] * res
    strike = rng.uniform(0, np.pi)
    u = cc * np.cos(strike) + rr * np.sin(strike)
    u = u + power_law_field(rng, (n, n), 4.0) * 0.08 * n * res
    u -= u.min()
    widths = rng.uniform(600.0, 2_500.0, size=64)
    edges = np.cumsum(widths) - rng.uniform(0, widths[0])
    sequence = np.array([2, 3, 4, 5, 6, 5, 4, 3])  # repeated stratigraphic sequence (folding)
    sequence = np.roll(sequence, rng.integers(len(sequence)))
    band = np.searchsorted(edges, u)
    lith = sequence[band % len(sequence)].astype(np.int16)
    lith[(d_main < 350.0) | (d_trib < 50.0)] = 1
    return lith


def lithology_table(column: int) -> np.ndarray:
    """``LITHOLOGY_UNITS`` column (1 = weight, 2 = rock colour) indexed by unit code 0..6."""
    first = LITHOLOGY_UNITS[1][column]
    table = np.zeros((7, *np.shape(first)))
    for code, unit in LITHOLOGY_UNITS.items():
        table[code] = unit[column]
    return table
