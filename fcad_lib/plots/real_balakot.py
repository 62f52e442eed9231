"""A valley of the Balakot run: test-tile probability over relief, mapped landslides outlined."""

from __future__ import annotations

import textwrap
from typing import Any

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from fcad_lib.plots.style import add_colorbar, add_scale_bar, book_style

__all__ = ["plot_valley"]


@book_style
def plot_valley(prob: np.ndarray, elevation: np.ndarray, transform: Any,
                inventory: gpd.GeoDataFrame, window: Window, title: str = "") -> Figure:
    """Probability over an elevation backdrop in one window, mapped landslides outlined.

    Parameters
    ----------
    prob : numpy.ndarray
        Probability on the stack grid, NaN outside the scored (test) tiles
        (:func:`fcad_lib.analysis.real_balakot.probability_mosaic`).
    elevation : numpy.ndarray
        Elevation on the same grid, drawn in grey under the probability.
    transform : affine.Affine
        The grid's transform, in a projected CRS in metres (Balakot: EPSG:32643).
    inventory : geopandas.GeoDataFrame
        Mapped landslides in the grid's CRS.
    window : rasterio.windows.Window
        Part of the grid to draw (:func:`fcad_lib.analysis.real_balakot.valley_window`).
    title : str
        Figure title; default says what the colours are.

    Returns
    -------
    matplotlib.figure.Figure
        One map with a scale bar in km (no coordinate ticks), the probability colour bar and a
        legend for the outlines and the unscored pixels.
    """
    rows, cols = window.toslices()
    win_t = window_transform(window, transform)
    h, w = prob[rows, cols].shape
    extent = (win_t.c, win_t.c + w * win_t.a, win_t.f + h * win_t.e, win_t.f)
    fig, ax = plt.subplots(figsize=(8.5, 7.2), layout="constrained")
    ax.imshow(elevation[rows, cols], cmap="Greys_r", extent=extent)
    cmap = plt.get_cmap("magma")
    im = ax.imshow(prob[rows, cols], cmap=cmap, vmin=0, vmax=1, alpha=0.75, extent=extent)
    clip = shapely.box(extent[0], extent[2], extent[1], extent[3])
    inv = inventory[inventory.intersects(clip)]
    if len(inv):
        inv.boundary.plot(ax=ax, color="cyan", lw=1.2)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    add_colorbar(fig, im, ax, "landslide probability (0-1)")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")  # geopandas labels the axes with the CRS units; the scale bar says it
    ax.set_ylabel("")
    add_scale_bar(ax, abs(extent[1] - extent[0]), units_per_km=1000.0)
    handles = [Line2D([], [], color="cyan", lw=2, label="mapped landslide"),
               Patch(facecolor="0.55", edgecolor="0.3",
                     label="not scored (elevation only)")]
    ax.legend(handles=handles, loc="upper right", framealpha=0.85)
    ax.set_title(textwrap.fill(title or "test-tile probability, mapped landslides in cyan", 60))
    return fig
