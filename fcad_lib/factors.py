"""The factor vocabulary: manifest roles, factor names, units, long names and factor groups.

The paper (Li et al. 2024, Section 2.2, Table 1) fuses ten factors: the InSAR deformation rate,
four Sentinel-2 bands and five terrain factors (elevation, slope, aspect, curvature, lithology).
This module is the one place that names them; the loader, the stack writer, the samples, the
experiments, the predictor and the benchmarks import them from here. It has no heavy imports.
"""

from __future__ import annotations

#: Manifest roles: what a file of a study area provides (``data_manifest.yml``).
ROLES: tuple[str, ...] = (
    "deformation_rate",
    "optical_B2",
    "optical_B3",
    "optical_B4",
    "optical_B8",
    "dem",
    "lithology",
    "landcover",
    "inventory",
)
#: Roles whose values are classes: resampled with nearest neighbour, never interpolated.
CATEGORICAL_ROLES: tuple[str, ...] = ("lithology", "landcover", "inventory")
#: Land cover is not one of the paper's factors: no stack channel of its own, it is read and
#: one-hot encoded on request (:mod:`fcad_lib.data.landcover`), one ``landcover_<code>`` each.
LANDCOVER = "landcover"

#: Factor names in the canonical channel order of every aligned stack.
FACTOR_ORDER: tuple[str, ...] = (
    "deformation_rate",
    "B2",
    "B3",
    "B4",
    "B8",
    "elevation",
    "slope",
    "aspect",
    "curvature",
    "lithology",
)
#: The categorical factor: integer unit codes stored as float, one-hot encoded for the network.
LITHOLOGY = "lithology"

#: Manifest role -> factor(s) it yields (the DEM yields four terrain factors).
ROLE_FACTORS: dict[str, tuple[str, ...]] = {
    "deformation_rate": ("deformation_rate",),
    "optical_B2": ("B2",),
    "optical_B3": ("B3",),
    "optical_B4": ("B4",),
    "optical_B8": ("B8",),
    "dem": ("elevation", "slope", "aspect", "curvature"),
    "lithology": ("lithology",),
}

#: Units of each factor in the aligned stack (``attrs["units"]``).
FACTOR_UNITS: dict[str, str] = {
    "deformation_rate": "mm/yr",
    "B2": "1",
    "B3": "1",
    "B4": "1",
    "B8": "1",
    "elevation": "m",
    "slope": "degree",
    "aspect": "degree",
    "curvature": "1/m",
    "lithology": "class code",
}

#: Units of the file behind each raster role (the DEM's is its elevation's).
ROLE_UNITS: dict[str, str] = {
    role: FACTOR_UNITS[factors[0]] for role, factors in ROLE_FACTORS.items()
} | {LANDCOVER: "class code"}

FACTOR_LONG_NAMES: dict[str, str] = {
    "deformation_rate": "LOS deformation rate (negative = away from the satellite)",
    "B2": "Sentinel-2 B2 (blue) reflectance",
    "B3": "Sentinel-2 B3 (green) reflectance",
    "B4": "Sentinel-2 B4 (red) reflectance",
    "B8": "Sentinel-2 B8 (near infrared) reflectance",
    "elevation": "elevation",
    "slope": "slope (Horn 1981)",
    "aspect": "aspect, clockwise from north (Horn 1981)",
    "curvature": "curvature (Zevenbergen & Thorne 1987)",
    "lithology": "lithology unit code",
}

#: Factor groups of the ablations. "RS" is the paper's name for the stack without the
#: deformation rate (optical + terrain), "RS-DR" the full stack.
OPTICAL: tuple[str, ...] = ("B2", "B3", "B4", "B8")
TERRAIN: tuple[str, ...] = ("elevation", "slope", "aspect", "curvature", "lithology")
DEFORMATION: tuple[str, ...] = ("deformation_rate",)
FACTOR_GROUPS: dict[str, tuple[str, ...]] = {
    "RS-DR": (*DEFORMATION, *OPTICAL, *TERRAIN),
    "RS": (*OPTICAL, *TERRAIN),
    "optical": OPTICAL,
    "terrain": TERRAIN,
    "deformation": DEFORMATION,
}
