"""Terrain factors against analytic surfaces.

Tolerances: Horn's stencil and the Zevenbergen-Thorne second differences are exact for planes
and quadratics, so interior cells must match to 1e-9 (floating-point round-off only).
"""

from __future__ import annotations

import numpy as np
import pytest

from fcad_lib.data.terrain import aspect_horn, curvature_zevenbergen_thorne, slope_horn

TOL = 1e-9


def _grid(ny: int, nx: int, dx: float, dy: float) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre easting and northing in metres of a north-up raster (row 0 = north)."""
    x = (np.arange(nx) + 0.5) * dx
    y = -(np.arange(ny) + 0.5) * dy  # northing decreases down the rows
    return np.meshgrid(x, y)


def _plane(gx: float, gy: float, dx: float = 10.0, dy: float = 10.0, n: int = 9) -> np.ndarray:
    """z = gx * easting + gy * northing (gradients in m/m)."""
    xx, yy = _grid(n, n + 2, dx, dy)
    return 100.0 + gx * xx + gy * yy


@pytest.mark.parametrize(
    ("gx", "gy", "aspect_deg"),
    [
        (0.5, 0.0, 270.0),  # rising to the east faces west
        (-0.5, 0.0, 90.0),  # rising to the west faces east
        (0.0, 0.5, 180.0),  # rising to the north faces south
        (0.0, -0.5, 0.0),  # rising to the south faces north
        (0.3, 0.3, 225.0),  # rising to the north-east faces south-west
    ],
)
def test_plane_slope_and_aspect(gx: float, gy: float, aspect_deg: float) -> None:
    dem = _plane(gx, gy)
    slope = slope_horn(dem, 10.0, 10.0)
    aspect = aspect_horn(dem, 10.0, 10.0)
    expected_slope = np.degrees(np.arctan(np.hypot(gx, gy)))
    inner = (slice(1, -1), slice(1, -1))
    np.testing.assert_allclose(slope[inner], expected_slope, atol=TOL)
    # Compare angles on the circle so 0 and 360 are the same direction.
    diff = (aspect[inner] - aspect_deg + 180.0) % 360.0 - 180.0
    np.testing.assert_allclose(diff, 0.0, atol=1e-7)
    assert slope.shape == dem.shape and aspect.shape == dem.shape
    assert np.all((aspect >= 0) & (aspect < 360))


def test_plane_45_degrees() -> None:
    dem = _plane(1.0, 0.0)
    assert slope_horn(dem, 10.0, 10.0)[4, 4] == pytest.approx(45.0, abs=TOL)


def test_non_square_pixels() -> None:
    # Same physical plane sampled with dx != dy must give the same slope and aspect.
    gx, gy = 0.2, -0.4
    dem = _plane(gx, gy, dx=12.5, dy=30.0)
    slope = slope_horn(dem, 12.5, 30.0)[1:-1, 1:-1]
    aspect = aspect_horn(dem, 12.5, 30.0)[1:-1, 1:-1]
    np.testing.assert_allclose(slope, np.degrees(np.arctan(np.hypot(gx, gy))), atol=TOL)
    np.testing.assert_allclose(aspect, np.degrees(np.arctan2(-gx, -gy)) % 360, atol=1e-7)
    # Swapping the spacing arguments is wrong and must show.
    wrong = slope_horn(dem, 30.0, 12.5)[1:-1, 1:-1]
    assert np.abs(wrong - slope).max() > 1.0


def test_flat_aspect_is_nan_and_slope_zero() -> None:
    dem = np.full((5, 5), 800.0)
    assert np.all(slope_horn(dem, 12.5, 12.5) == 0.0)
    assert np.all(np.isnan(aspect_horn(dem, 12.5, 12.5)))


@pytest.mark.parametrize("a", [1e-3, -2e-3])
@pytest.mark.parametrize(("dx", "dy"), [(12.5, 12.5), (10.0, 25.0)])
def test_paraboloid_curvature(a: float, dx: float, dy: float) -> None:
    xx, yy = _grid(21, 17, dx, dy)
    xx -= xx.mean()
    yy -= yy.mean()
    dem = 1000.0 + a * (xx**2 + yy**2)
    curv = curvature_zevenbergen_thorne(dem, dx, dy)
    inner = curv[1:-1, 1:-1]
    # Analytic -2(D+E) with D = E = a: a bowl (a > 0) is concave, so negative.
    np.testing.assert_allclose(inner, -4.0 * a, rtol=1e-9, atol=TOL)
    assert np.sign(inner).max() == np.sign(inner).min() == -np.sign(a)


def test_nan_propagates_to_neighbours_only() -> None:
    dem = _plane(0.3, 0.1, n=9)
    dem[4, 5] = np.nan
    for func in (slope_horn, aspect_horn, curvature_zevenbergen_thorne):
        out = func(dem, 10.0, 10.0)
        nan = np.isnan(out)
        # The 3x3 block around the NaN cell, and nothing else (curvature of a plane is 0).
        assert nan[3:6, 4:7].all(), func.__name__
        assert nan.sum() == 9, func.__name__


def test_edge_padding_keeps_shape_and_is_finite() -> None:
    dem = _plane(0.5, 0.0, n=4)
    out = slope_horn(dem, 10.0, 10.0)
    assert out.shape == dem.shape
    assert np.isfinite(out).all()


def test_rejects_bad_spacing() -> None:
    with pytest.raises(ValueError):
        slope_horn(np.zeros((3, 3)), 0.0, 10.0)
