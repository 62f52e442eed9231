"""Terrain factors from a DEM: slope, aspect (Horn 1981), curvature (Zevenbergen & Thorne 1987).

Conventions shared by every function here:

* ``dem`` is a 2-D array of elevations in metres on a north-up raster: row index increases
  southwards, column index increases eastwards.
* ``dx`` and ``dy`` are the (positive) pixel sizes in metres along columns and rows; they may
  differ (non-square pixels).
* The 3x3 neighbourhood of a cell is labelled as in both papers::

      z1 z2 z3        (north)
      z4 z5 z6
      z7 z8 z9        (south)

* Borders use edge padding (``np.pad(mode="edge")``) so the output has the input's shape; the
  border cells therefore see a one-sided (halved) difference.
* A NaN anywhere in a cell's 3x3 neighbourhood makes that cell's result NaN (no silent filling).

References
----------
Horn, B. K. P. (1981). Hill shading and the reflectance map. Proc. IEEE 69(1):14-47.
Zevenbergen, L. W. & Thorne, C. R. (1987). Quantitative analysis of land surface topography.
Earth Surface Processes and Landforms 12(1):47-56.
"""

from __future__ import annotations

import numpy as np

__all__ = ["slope_horn", "aspect_horn", "curvature_zevenbergen_thorne"]


def _neighbours(dem: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Return the nine shifted views z1..z9 of the edge-padded DEM and the NaN-in-window mask."""
    z = np.asarray(dem, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"dem must be 2-D, got shape {z.shape}")
    p = np.pad(z, 1, mode="edge")
    ny, nx = z.shape
    views = {}
    for k, (r, c) in enumerate([(r, c) for r in range(3) for c in range(3)], start=1):
        views[f"z{k}"] = p[r : r + ny, c : c + nx]
    # Horn's stencil skips z5 and ZT's skips the corners; NaN there must still propagate.
    nan_any = np.zeros(z.shape, dtype=bool)
    for v in views.values():
        nan_any |= np.isnan(v)
    return views, nan_any


def _check_spacing(dx: float, dy: float) -> None:
    if not (dx > 0 and dy > 0):
        raise ValueError(f"pixel sizes must be positive, got dx={dx}, dy={dy}")


def _horn_gradient(dem: np.ndarray, dx: float, dy: float) -> tuple[np.ndarray, np.ndarray]:
    """Horn (1981) weighted gradient: (dz/d_east, dz/d_north), dimensionless (m/m)."""
    _check_spacing(dx, dy)
    n, nan_any = _neighbours(dem)
    dz_east = ((n["z3"] + 2 * n["z6"] + n["z9"]) - (n["z1"] + 2 * n["z4"] + n["z7"])) / (8 * dx)
    # Row 0 of the window is north, so north-minus-south gives the northward derivative.
    dz_north = ((n["z1"] + 2 * n["z2"] + n["z3"]) - (n["z7"] + 2 * n["z8"] + n["z9"])) / (8 * dy)
    dz_east[nan_any] = np.nan
    dz_north[nan_any] = np.nan
    return dz_east, dz_north


def slope_horn(dem: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Slope angle in degrees from Horn's (1981) 3x3 weighted finite differences.

    Parameters
    ----------
    dem : np.ndarray
        2-D elevation in metres, north-up (rows north to south).
    dx, dy : float
        Pixel size in metres along columns (east) and rows (south); positive.

    Returns
    -------
    np.ndarray
        float64 slope in degrees, 0 (flat) .. 90, same shape as ``dem``; NaN where any cell of
        the 3x3 neighbourhood is NaN.
    """
    gx, gy = _horn_gradient(dem, dx, dy)
    return np.degrees(np.arctan(np.hypot(gx, gy)))


def aspect_horn(dem: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Aspect in degrees clockwise from north: the direction the slope faces (downslope).

    Uses the same Horn (1981) gradient as :func:`slope_horn`. A plane rising towards the east
    faces west, so its aspect is 270; a plane rising towards the north faces south (180).

    Parameters
    ----------
    dem : np.ndarray
        2-D elevation in metres, north-up (rows north to south).
    dx, dy : float
        Pixel size in metres along columns and rows; positive.

    Returns
    -------
    np.ndarray
        float64 aspect in [0, 360). Flat cells (zero gradient) have no direction and are NaN,
        as are cells whose neighbourhood contains NaN.
    """
    gx, gy = _horn_gradient(dem, dx, dy)
    # Downslope vector is minus the gradient; azimuth = atan2(east, north), clockwise from north.
    aspect = np.degrees(np.arctan2(-gx, -gy)) % 360.0
    aspect[(gx == 0) & (gy == 0)] = np.nan
    return aspect


def curvature_zevenbergen_thorne(dem: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Total curvature ``-2 (D + E)`` of Zevenbergen & Thorne (1987), in 1/m.

    ``D = ((z4 + z6) / 2 - z5) / dx**2`` and ``E = ((z2 + z8) / 2 - z5) / dy**2`` are the
    coefficients of the fitted quadratic surface (half the second derivatives along x and y).
    Sign convention as ArcGIS ``Curvature``: positive = upwardly convex (ridges, hill tops),
    negative = upwardly concave (valleys, hollows). ArcGIS multiplies by 100; we keep 1/m.

    Parameters
    ----------
    dem : np.ndarray
        2-D elevation in metres, north-up.
    dx, dy : float
        Pixel size in metres along columns and rows; positive.

    Returns
    -------
    np.ndarray
        float64 curvature in 1/m, same shape as ``dem``; NaN where the neighbourhood has NaN.
        For ``z = a (x**2 + y**2)`` the value is exactly ``-4 a`` away from the borders.
    """
    _check_spacing(dx, dy)
    n, nan_any = _neighbours(dem)
    d = ((n["z4"] + n["z6"]) / 2 - n["z5"]) / dx**2
    e = ((n["z2"] + n["z8"]) / 2 - n["z5"]) / dy**2
    curvature = -2.0 * (d + e)
    curvature[nan_any] = np.nan
    return curvature
