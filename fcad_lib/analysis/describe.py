"""Plain-number summaries of an aligned study-area stack (what notebook 01 prints)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr


def class_ratio(ds: xr.Dataset) -> dict[str, float]:
    """Landslide and background pixel counts among valid pixels and their ratio.

    Parameters
    ----------
    ds
        Aligned stack with ``label`` and ``valid``.

    Returns
    -------
    dict
        ``landslide_px``, ``background_px``, ``background_per_landslide`` (the paper's 1:224
        is 224 here) and ``landslide_fraction``. Empty dict when the area has no inventory.
    """
    if "label" not in ds:
        return {}
    valid = ds["valid"].values.astype(bool)
    label = ds["label"].values.astype(bool)
    pos = int((label & valid).sum())
    neg = int((~label & valid).sum())
    return {
        "landslide_px": pos,
        "background_px": neg,
        # None, not inf, without landslide pixels: JSON has no Infinity
        "background_per_landslide": neg / pos if pos else None,
        "landslide_fraction": pos / (pos + neg) if pos + neg else 0.0,
    }


def factor_table(ds: xr.Dataset) -> pd.DataFrame:
    """One row per factor: units, valid fraction and the 1st / 50th / 99th percentiles."""
    rows = []
    for name in ds.attrs.get("factors", []):
        values = ds[name].values
        finite = np.isfinite(values)
        q = np.nanpercentile(values[finite], [1, 50, 99]) if finite.any() else [np.nan] * 3
        rows.append(
            {
                "factor": name,
                "units": ds[name].attrs.get("units", ""),
                "finite_fraction": float(finite.mean()),
                "p01": float(q[0]),
                "median": float(q[1]),
                "p99": float(q[2]),
            }
        )
    return pd.DataFrame(rows).set_index("factor")


def grid_summary(ds: xr.Dataset) -> dict[str, object]:
    """Grid facts of the stack: CRS, shape, pixel size, extent in km2 and valid fraction."""
    ny, nx = ds.sizes["y"], ds.sizes["x"]
    res = float(ds.attrs.get("resolution_m", abs(float(ds["x"][1] - ds["x"][0]))))
    return {
        "area": ds.attrs.get("area", ""),
        "crs": str(ds.attrs.get("crs", "")),
        "shape": (ny, nx),
        "resolution_m": res,
        "extent_km2": ny * nx * res * res / 1e6,
        "valid_fraction": float(ds["valid"].values.mean()) if "valid" in ds else float("nan"),
        "factors": list(ds.attrs.get("factors", [])),
        "missing_roles": list(ds.attrs.get("missing_roles", [])),
    }
