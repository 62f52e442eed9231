"""A small aligned stack (the contract of ``load_study_area``) shared by the samples tests."""

from __future__ import annotations

import numpy as np
import xarray as xr

from fcad_lib.factors import FACTOR_ORDER

FACTORS = ["deformation_rate", "elevation", "slope", "lithology"]
LITH_CODES = [1, 3, 7]


def make_stack(height: int = 40, width: int = 48, seed: int = 0) -> xr.Dataset:
    """A small aligned stack following the contract of ``load_study_area``."""
    rng = np.random.default_rng(seed)
    shape = (height, width)
    data = {
        "deformation_rate": rng.normal(-5.0, 10.0, shape),
        "elevation": rng.normal(1500.0, 300.0, shape),
        "slope": rng.uniform(0.0, 60.0, shape),
        "lithology": rng.choice(LITH_CODES, shape).astype(float),
    }
    data = {k: v.astype(np.float32) for k, v in data.items()}
    data["deformation_rate"][0:3, 0:5] = np.nan  # a hole of missing InSAR coherence
    data["lithology"][10, 10] = np.nan
    label = np.zeros(shape, dtype=np.uint8)
    label[4:7, 4:7] = 1
    label[25:28, 33:37] = 1
    valid = np.ones(shape, dtype=bool)
    for v in data.values():
        valid &= np.isfinite(v)
    variables = {k: (("y", "x"), v) for k, v in data.items()}
    variables["label"] = (("y", "x"), label)
    variables["valid"] = (("y", "x"), valid)
    coords = {"y": 1000.0 - 12.5 * np.arange(height), "x": 500.0 + 12.5 * np.arange(width)}
    return xr.Dataset(
        variables,
        coords=coords,
        attrs={"factors": [f for f in FACTOR_ORDER if f in data], "area": "test",
               "resolution_m": 12.5},
    )  # fmt: skip
