"""Deformation-rate units: what a file states, conversion to mm/yr, and a magnitude check.

A rate in m/yr read as mm/yr is 1000 times too small and still looks like a plausible raster, so
every rate must come with a stated unit (MintPy's ``UNIT`` attribute, a GeoTIFF's band unit or
``UNITS`` tag, or the manifest's ``units``), and the converted values are checked for a
magnitude that only the wrong unit would give.
"""

from __future__ import annotations

import os

import numpy as np

from fcad_lib.errors import FcadDataError

#: Factor applied to rates to express them in the stack's mm/yr.
RATE_TO_MM_PER_YR = {
    "mm/yr": 1.0, "mm/year": 1.0, "mm/a": 1.0, "mm yr-1": 1.0, "mm/y": 1.0,
    "cm/yr": 10.0, "cm/year": 10.0, "cm/a": 10.0, "cm yr-1": 10.0, "cm/y": 10.0,
    "m/yr": 1000.0, "m/year": 1000.0, "m/a": 1000.0, "m yr-1": 1000.0, "m/y": 1000.0,
}
#: Below this 99th percentile of |rate| (mm/yr) the values are too small for a rate, e.g. m/yr
#: declared as mm/yr: InSAR noise alone is about 1 mm/yr.
MIN_P99_MM_PER_YR = 0.5
#: Above this 99th percentile of |rate| (mm/yr, i.e. 10 m/yr) the values are too large, e.g.
#: mm/yr declared as m/yr: InSAR phase cannot follow such motion.
MAX_P99_MM_PER_YR = 10_000.0
#: One spelling per unit, for messages.
_CANONICAL_UNITS = {"mm/yr": 1.0, "cm/yr": 10.0, "m/yr": 1000.0}
#: Tag names (any case) under which a GeoTIFF may state its unit.
UNIT_TAGS = ("units", "unit", "unittype")


def rate_factor(units: str | None, path: str | os.PathLike[str] | None = None) -> float:
    """Factor from ``units`` to mm/yr; ``FcadDataError`` naming the file for an unknown unit."""
    key = str(units or "").strip().lower()
    if key not in RATE_TO_MM_PER_YR:
        raise FcadDataError(
            path, f"deformation rate unit {units!r} is not known; use one of mm/yr, cm/yr, m/yr"
        )
    return RATE_TO_MM_PER_YR[key]


def same_rate_unit(a: str | None, b: str | None) -> bool:
    """Whether two known rate units are the same (``m/year`` == ``m/yr``)."""
    fa = RATE_TO_MM_PER_YR.get(str(a or "").strip().lower())
    fb = RATE_TO_MM_PER_YR.get(str(b or "").strip().lower())
    return fa is not None and fa == fb


def stated_units(tags: dict[str, str], band_unit: str | None = None) -> str | None:
    """The unit a raster states: GDAL's band unit, else a ``units``/``unit`` tag (any case).

    Parameters
    ----------
    tags : dict
        Band tags merged over dataset tags (``{**src.tags(), **src.tags(band)}``).
    band_unit : str, optional
        ``src.units[band - 1]`` (GDAL's band unit type).
    """
    if band_unit:
        return str(band_unit).strip()
    for key, value in tags.items():
        if key.strip().lower() in UNIT_TAGS and str(value).strip():
            return str(value).strip()
    return None


def check_rate_magnitude(
    values_mm_per_yr: np.ndarray, path: str | os.PathLike[str] | None, layer: str, units: str
) -> float:
    """Refuse rates whose size only a wrong unit explains; return the p99 of ``|rate|``.

    Raises
    ------
    FcadDataError
        p99 of ``|rate|`` below :data:`MIN_P99_MM_PER_YR` or above :data:`MAX_P99_MM_PER_YR`,
        naming the layer, the value as read in the declared unit, and the units the values
        would fit (or that none does).
    """
    finite = np.abs(np.asarray(values_mm_per_yr, dtype="float64"))
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return float("nan")  # an empty layer is the valid-fraction check's to report
    p99 = float(np.percentile(finite, 99))
    if MIN_P99_MM_PER_YR <= p99 <= MAX_P99_MM_PER_YR:
        return p99
    factor = RATE_TO_MM_PER_YR.get(str(units).strip().lower(), 1.0)
    raw = p99 / factor  # the value as it is in the file
    read = f"{raw:.3g} {units}" + ("" if factor == 1.0 else f" = {p99:.3g} mm/yr")
    bound = (f"below the {MIN_P99_MM_PER_YR:g} mm/yr of InSAR noise" if p99 < MIN_P99_MM_PER_YR
             else f"above the {MAX_P99_MM_PER_YR:g} mm/yr InSAR can follow")
    fits = [u for u, f in _CANONICAL_UNITS.items()
            if MIN_P99_MM_PER_YR <= raw * f <= MAX_P99_MM_PER_YR]
    advice = (f"read as {' or '.join(fits)} they would be plausible: check the declared unit"
              if fits else "no rate unit (mm/yr, cm/yr, m/yr) fits them: check its values "
              "and its nodata value")
    raise FcadDataError(path, f"layer {layer!r}: 99th percentile of |deformation rate| is "
                        f"{read}, {bound}; {advice}")
