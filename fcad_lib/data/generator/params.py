"""Parameters of the generated area's confounders, each with a documented default.

Set them from the manifest's ``generator: params: confounders: {name: value}`` block, or pass
``confounders=GeneratorParams(...)`` to :func:`~fcad_lib.data.generator.generate_study_area`.
Defaults and their sources: ``book/generated_area.md``. Rates are mm/yr; angles degrees;
lengths metres; "per 100 km^2" densities are expected counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["GeneratorParams", "SENTINEL1_WAVELENGTH_MM", "step_rate_mm_per_yr"]

#: Sentinel-1 C-band radar wavelength (5.405 GHz), mm.
SENTINEL1_WAVELENGTH_MM = 55.46


@dataclass(frozen=True)
class GeneratorParams:
    """Confounders and sensor settings of the generated area (all defaults documented).

    Landslide activity and inventory
        ``velocity_median_mm_per_yr``, ``velocity_sigma``: log-normal downslope speed of an
        active body, clipped to ``velocity_range_mm_per_yr``. ``dormant_fraction``: mapped
        landslides that do not move. ``partial_fraction``: active ones of which only a part
        (``partial_extent`` of the long axis) moves. ``direction_spread_deg``: std of the motion
        azimuth around the long axis. ``unmapped_active_fraction``: extra active bodies, as a
        fraction of the mapped landslide pixels, left out of the inventory.
        ``unmapped_small_fraction`` of the landslides under ``small_area_px`` pixels are
        unmapped. ``label_shift_px``: mapped polygons are shifted by up to this many pixels.
        ``morphology_amplitude``: head depression / toe bulge of old bodies in the DEM, as a
        fraction of the semi-major axis.
    Non-landslide deformation
        Consolidation of Quaternary valley fill and of reservoir-bank deposits within
        ``bank_width_m`` of the shore on slopes under ``consolidation_max_slope_deg``, up to
        ``consolidation_rate_mm_per_yr`` (vertical). Subsidence bowls (mining / urban),
        ``bowls_per_100km2``, peak vertical rate ``bowl_rate_mm_per_yr`` and radius
        ``bowl_radius_m``. Seasonal/thermal motion of amplitude ``seasonal_amplitude_mm`` that
        leaks into the rate over ``span_yr``. DEM-error residual from a perpendicular-baseline
        trend ``baseline_trend_m_per_yr`` and DEM error ``dem_error_m_per_tan_slope``.
        Orbital ramp ``orbital_ramp_mm_per_yr_per_km``. Unwrapping errors: patches covering
        ``unwrap_fraction`` of the land, of size ``unwrap_patch_m``, offset by one jump of
        +-lambda/2 at a random date (:func:`step_rate_mm_per_yr`). Creeping slopes (not
        landslides): ``creep_zone_fraction`` of the steep land at ``creep_zone_rate_mm_per_yr``,
        plus soil creep ``soil_creep_mm_per_yr`` x sin(slope) everywhere. Turbulent atmosphere
        of std ``atmosphere_std_mm_per_yr`` over 12.8 km, stratified troposphere
        ``troposphere_mm_per_yr_per_km`` of elevation, white noise ``white_noise_mm_per_yr``.
    InSAR processing
        ``range_looks`` x ``azimuth_looks`` of the Sentinel-1 IW pixel (2.33 m slant range,
        13.9 m azimuth). ``max_temporal_baseline_days`` sets the aliasing speed lambda/4 per
        pair. ``vegetation_noise_mm_per_yr``: noise std over full vegetation cover.
        ``hole_fraction``: land masked as decorrelated (NaN).
    Optical
        Bare surfaces: ``quarries_per_100km2``, ``construction_per_100km2``,
        ``roads_per_100km2`` (contour-parallel cuts), ``river_bar_width_m`` along
        tributaries, ``outcrops_per_100km2``. Sun ``sun_zenith_deg`` / ``sun_azimuth_deg``
        (self and cast shadows, ``diffuse_fraction`` of skylight). ``cloud_fraction`` and
        ``haze_fraction`` of the scene. ``fresh_vegetation`` (range of the vegetation fraction
        of a fresh landslide) and ``texture_strength`` inside landslides.
    Scale
        ``density_scale`` multiplies every area density (bowls, unwrapping patches, bare
        surfaces): an area whose landslide ratio is inflated k times (``generated_quick``) sets
        it to k, so that confounders and landslides keep their proportion.
    """

    # Landslide activity and inventory.
    velocity_median_mm_per_yr: float = 30.0
    velocity_sigma: float = 1.0
    velocity_range_mm_per_yr: tuple[float, float] = (1.0, 300.0)
    dormant_fraction: float = 0.3
    partial_fraction: float = 0.4
    partial_extent: tuple[float, float] = (0.3, 0.7)
    direction_spread_deg: float = 20.0
    unmapped_active_fraction: float = 0.25
    unmapped_small_fraction: float = 0.3
    small_area_px: int = 40
    label_shift_px: float = 2.0
    morphology_amplitude: float = 0.08
    # Non-landslide deformation.
    consolidation_rate_mm_per_yr: float = 20.0
    bank_width_m: float = 400.0
    consolidation_max_slope_deg: float = 30.0
    bowls_per_100km2: float = 1.0
    bowl_rate_mm_per_yr: tuple[float, float] = (20.0, 80.0)
    bowl_radius_m: tuple[float, float] = (150.0, 400.0)
    seasonal_amplitude_mm: float = 8.0
    span_yr: float = 2.38
    baseline_trend_m_per_yr: float = 20.0
    dem_error_m_per_tan_slope: float = 15.0
    orbital_ramp_mm_per_yr_per_km: float = 0.1
    unwrap_fraction: float = 0.005
    unwrap_patch_m: float = 600.0
    creep_zone_fraction: float = 0.08
    creep_zone_rate_mm_per_yr: float = 6.0
    soil_creep_mm_per_yr: float = 1.5
    atmosphere_std_mm_per_yr: float = 2.0
    troposphere_mm_per_yr_per_km: float = 2.0
    white_noise_mm_per_yr: float = 1.0
    # InSAR processing.
    range_looks: int = 10
    azimuth_looks: int = 2
    max_temporal_baseline_days: float = 60.0
    vegetation_noise_mm_per_yr: float = 3.0
    hole_fraction: float = 0.05
    # Optical.
    quarries_per_100km2: float = 8.0
    construction_per_100km2: float = 8.0
    roads_per_100km2: float = 6.0
    river_bar_width_m: float = 40.0
    outcrops_per_100km2: float = 20.0
    sun_zenith_deg: float = 50.0
    sun_azimuth_deg: float = 155.0
    diffuse_fraction: float = 0.2
    cloud_fraction: float = 0.03
    haze_fraction: float = 0.25
    fresh_vegetation: tuple[float, float] = (0.03, 0.35)
    texture_strength: float = 0.5
    # Scale of every area density above (bowls, unwrapping patches, bare surfaces).
    density_scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("dormant_fraction", "partial_fraction", "unmapped_small_fraction",
                     "unwrap_fraction", "creep_zone_fraction", "hole_fraction",
                     "cloud_fraction", "haze_fraction", "diffuse_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"GeneratorParams.{name} must be in [0, 1], got "
                                 f"{getattr(self, name)}")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):  # from YAML: keep the dataclass hashable and frozen
                object.__setattr__(self, f.name, tuple(value))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | GeneratorParams | None) -> GeneratorParams:
        """Defaults overridden by ``values`` (a manifest block); unknown names raise."""
        if isinstance(values, GeneratorParams):
            return values
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown generator confounder parameter(s) {unknown}")
        return cls(**values)

    @classmethod
    def from_manifest(cls, params: Mapping[str, Any] | GeneratorParams) -> GeneratorParams:
        """From an area's ``generator.params`` block of the manifest.

        The block also holds the grid (seed, size, CRS), which is ignored here, and may nest
        the confounders under ``confounders`` or list them beside the grid.
        """
        if isinstance(params, GeneratorParams):
            return params
        merged = {**params, **dict(params.get("confounders") or {})}
        known = {f.name for f in fields(cls)}
        return cls.from_mapping({k: v for k, v in merged.items() if k in known})

    def density(self, name: str) -> float:
        """Area density ``name`` times ``density_scale`` (fractions capped at 1)."""
        value = getattr(self, name) * self.density_scale
        return min(value, 1.0) if name.endswith("_fraction") else value

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (tuples as lists), e.g. for a GeoTIFF tag or a record."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @property
    def alias_rate_mm_per_yr(self) -> float:
        """Speed whose displacement over the longest pair is lambda/4 (phase aliasing)."""
        return SENTINEL1_WAVELENGTH_MM / 4.0 / (self.max_temporal_baseline_days / 365.25)


def step_rate_mm_per_yr(step_mm: float, t0_yr: float, span_yr: float) -> float:
    """Least-squares rate of a displacement step ``step_mm`` at ``t0_yr`` in ``[0, span_yr]``.

    For evenly spaced epochs, ``cov(t, H(t - t0)) / var(t) = 6 h t0 (T - t0) / T^3``: an
    unwrapping jump of lambda/2 = 27.7 mm in mid-span biases the rate by 1.5 h / T.
    """
    if not 0.0 <= t0_yr <= span_yr or span_yr <= 0:
        raise ValueError(f"need 0 <= t0_yr <= span_yr, got {t0_yr}, {span_yr}")
    return 6.0 * step_mm * t0_yr * (span_yr - t0_yr) / span_yr**3


def seasonal_leak_rate_mm_per_yr(amplitude_mm: float, phase_rad: float, span_yr: float) -> float:
    """Least-squares rate of ``A sin(2 pi t + phase)`` over ``[0, span_yr]`` (continuous time).

    ``12 / T^3 * integral_0^T (t - T/2) A sin(2 pi t + phase) dt``, closed form.
    """
    w, T = 2.0 * math.pi, span_yr
    # integral of (t - T/2) sin(w t + p) dt from 0 to T, by parts.
    def f(t: float) -> float:
        return -(t - T / 2) * math.cos(w * t + phase_rad) / w + math.sin(w * t + phase_rad) / w**2
    return 12.0 / T**3 * amplitude_mm * (f(T) - f(0.0))
