"""A small generated area where only a recipe for rare foreground learns in a few steps.

Landslides are 3 x 3 px squares, about 0.4 % of the pixels. The deformation rate shows each of
them only as a shift buried in pixel noise, so a pixel alone says little and a network
must pool a neighbourhood; slope is noise.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from fcad_lib.factors import FACTOR_ORDER

SIZE = 256


def rare_landslide_stack(seed: int = 0, n_slides: int = 25, shift: float = 2.0) -> xr.Dataset:
    """A ``load_study_area``-shaped stack of ``SIZE`` x ``SIZE`` px with rare small landslides."""
    rng = np.random.default_rng(seed)
    label = np.zeros((SIZE, SIZE), dtype=np.uint8)
    for r, c in rng.integers(2, SIZE - 5, size=(n_slides, 2)):
        label[r:r + 3, c:c + 3] = 1
    rate = rng.normal(0.0, 1.0, label.shape) - shift * label
    data = {"deformation_rate": rate.astype(np.float32),
            "slope": rng.uniform(0.0, 40.0, label.shape).astype(np.float32)}
    variables = {k: (("y", "x"), v) for k, v in data.items()}
    variables["label"] = (("y", "x"), label)
    variables["valid"] = (("y", "x"), np.ones(label.shape, dtype=bool))
    coords = {"y": 1000.0 - 12.5 * np.arange(SIZE), "x": 500.0 + 12.5 * np.arange(SIZE)}
    return xr.Dataset(variables, coords=coords, attrs={
        "factors": [f for f in FACTOR_ORDER if f in data], "area": "rare",
        "resolution_m": 12.5})
