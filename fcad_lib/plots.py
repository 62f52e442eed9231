"""Figures shared by the notebooks: factor maps (the paper's Figure 2) and map helpers."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

# Colour maps chosen per factor so that a reader recognises the quantity at a glance:
# diverging for the signed LOS rate, terrain for elevation, cyclic for aspect.
_CMAPS = {
    "deformation_rate": "RdBu",
    "B2": "Blues_r",
    "B3": "Greens_r",
    "B4": "Reds_r",
    "B8": "Greys_r",
    "elevation": "terrain",
    "slope": "magma",
    "aspect": "twilight",
    "curvature": "PuOr",
    "lithology": "tab10",
}


def _extent_km(ds: xr.Dataset) -> tuple[float, float, float, float]:
    x, y = ds["x"].values, ds["y"].values
    dx = abs(float(x[1] - x[0])) if x.size > 1 else 1.0
    dy = abs(float(y[1] - y[0])) if y.size > 1 else 1.0
    return (
        (x.min() - dx / 2) / 1e3,
        (x.max() + dx / 2) / 1e3,
        (y.min() - dy / 2) / 1e3,
        (y.max() + dy / 2) / 1e3,
    )


def _limits(name: str, values: np.ndarray) -> tuple[float | None, float | None]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, None
    if name == "deformation_rate":
        # Symmetric around zero so that motion toward / away from the satellite reads equally.
        m = float(np.nanpercentile(np.abs(finite), 99))
        return -m, m
    if name == "aspect":
        return 0.0, 360.0
    lo, hi = np.nanpercentile(finite, [1, 99])
    return float(lo), float(hi)


def plot_factor_maps(
    ds: xr.Dataset,
    factors: Sequence[str] | None = None,
    outline: bool = True,
    ncols: int = 4,
    panel_size: float = 3.4,
) -> Figure:
    """Plot every factor of an aligned stack with a colour bar and units (paper Figure 2).

    Parameters
    ----------
    ds
        Aligned stack from :func:`fcad_lib.study_area.load_study_area`.
    factors
        Factors to draw; default ``ds.attrs["factors"]``.
    outline
        Draw the landslide inventory (``label``) as black outlines on every panel.
    ncols
        Panels per row.
    panel_size
        Size of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    factors = list(factors or ds.attrs.get("factors", []))
    panels = factors + (["label"] if "label" in ds else [])
    nrows = max(1, math.ceil(len(panels) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(panel_size * ncols, panel_size * nrows), squeeze=False
    )
    extent = _extent_km(ds)
    label = ds["label"].values if "label" in ds else None
    for ax, name in zip(axes.flat, panels, strict=False):
        da = ds[name]
        values = da.values.astype("float32")
        if name == "label":
            values = np.where(ds["valid"].values if "valid" in ds else True, values, np.nan)
            im = ax.imshow(values, extent=extent, cmap="Greys", vmin=0, vmax=1,
                           interpolation="nearest")
            ax.set_title("landslide inventory")
            fig.colorbar(im, ax=ax, shrink=0.8, ticks=[0, 1], label="1 = landslide")
        else:
            vmin, vmax = _limits(name, values)
            cmap = plt.get_cmap(_CMAPS.get(name, "viridis")).copy()
            cmap.set_bad("0.85")  # masked (NaN) pixels in light grey, never as a value
            im = ax.imshow(values, extent=extent, cmap=cmap, vmin=vmin, vmax=vmax,
                           interpolation="nearest")
            units = da.attrs.get("units", "")
            ax.set_title(da.attrs.get("long_name", name))
            fig.colorbar(im, ax=ax, shrink=0.8, label=units)
            if outline and label is not None and label.any():
                ax.contour(label, levels=[0.5], colors="k", linewidths=0.4, extent=extent,
                           origin="upper")
        ax.set_xlabel("easting (km)")
        ax.set_ylabel("northing (km)")
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(f"{ds.attrs.get('area', '')}: factors on the {ds.attrs.get('resolution_m', '?')}"
                 f" m grid ({ds.attrs.get('crs', '')})")
    fig.tight_layout()
    return fig
