"""Random fields and pixel geometry shared by the generator's components.

Power-law (fractal) fields by spectral synthesis: a radially averaged power spectrum
``P(k) ~ k^-beta`` (Turcotte 1997, *Fractals and Chaos in Geology and Geophysics*, ch. 7).
"""

from __future__ import annotations

import numpy as np
from rasterio.transform import Affine

REFERENCE_EXTENT_M = 12_800.0  # amplitudes are stated for a 12.8 km square


def power_law_field(rng: np.random.Generator, shape: tuple[int, int], beta: float) -> np.ndarray:
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


def power_law_series(rng: np.random.Generator, n: int, beta: float) -> np.ndarray:
    """1-D analogue of :func:`power_law_field` (zero mean, unit std)."""
    k = np.fft.rfftfreq(n)
    k[0] = np.inf
    spec = (rng.standard_normal(k.shape) + 1j * rng.standard_normal(k.shape)) * k ** (-beta / 2)
    s = np.fft.irfft(spec, n=n)
    return (s - s.mean()) / s.std()


def scaled_std(std_ref: float, extent_m: float, beta: float) -> float:
    """Std of a power-law field over ``extent_m`` given its std over the reference extent."""
    return std_ref * (extent_m / REFERENCE_EXTENT_M) ** ((beta - 2.0) / 2.0)


def to_xy(transform: Affine, col, row):
    """Map coordinates of fractional pixel positions (arrays allowed)."""
    return (
        transform.c + col * transform.a + row * transform.b,
        transform.f + col * transform.d + row * transform.e,
    )


def to_colrow(transform: Affine, x: float, y: float) -> tuple[float, float]:
    """Fractional pixel position of a map coordinate (north-up transform)."""
    return (x - transform.c) / transform.a, (y - transform.f) / transform.e
