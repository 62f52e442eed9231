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

from fcad_lib.plots.style import add_colorbar, add_scale_bar, book_style, fading_cmap, hillshade

__all__ = ["plot_valley"]


@book_style
def plot_valley(prob: np.ndarray, elevation: np.ndarray, transform: Any,
                inventory: gpd.GeoDataFrame, window: Window, title: str = "") -> Figure:
    """Probability over a shaded relief in one window, mapped landslides outlined.

    The probability fades out towards 0 (:func:`fcad_lib.plots.style.fading_cmap`), so that the
    relief shows wherever the network sees little; pixels outside the scored tiles are veiled
    in white.

    Parameters
    ----------
    prob : numpy.ndarray
        Probability on the stack grid, NaN outside the scored (test) tiles
        (:func:`fcad_lib.analysis.real_balakot.probability_mosaic`).
    elevation : numpy.ndarray
        Elevation on the same grid, drawn as a grey shaded relief under the probability.
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
    # about the text column's width (780 px at 100 dpi): the book's 12-14 pt fonts stay >= 11 pt
    fig, ax = plt.subplots(figsize=(7.8, 6.8), layout="constrained")
    relief = hillshade(elevation[rows, cols], pixel_m=abs(win_t.a))
    # the darkest shade stays mid-grey, so that the overlay's colours read on every slope
    ax.imshow(relief, cmap="gray", vmin=-0.6, vmax=1.0, extent=extent)
    unscored = np.zeros((h, w, 4))
    unscored[~np.isfinite(prob[rows, cols])] = (1.0, 1.0, 1.0, 0.6)
    ax.imshow(unscored, extent=extent)
    im = ax.imshow(prob[rows, cols], cmap=fading_cmap(), vmin=0, vmax=1, extent=extent)
    clip = shapely.box(extent[0], extent[2], extent[1], extent[3])
    inv = inventory[inventory.intersects(clip)]
    if len(inv):
        inv.boundary.plot(ax=ax, color="blue", lw=1.2)  # cyan vanishes on a light relief
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    add_colorbar(fig, im, ax, "landslide probability (0-1)")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")  # geopandas labels the axes with the CRS units; the scale bar says it
    ax.set_ylabel("")
    add_scale_bar(ax, abs(extent[1] - extent[0]), units_per_km=1000.0)
    handles = [Line2D([], [], color="blue", lw=2, label="mapped landslide"),
               Patch(facecolor="0.9", edgecolor="0.3", label="not scored (relief veiled)")]
    ax.legend(handles=handles, loc="upper right", framealpha=0.85)
    ax.set_title(textwrap.fill(title or "test-tile probability, mapped landslides in blue", 60))
    return fig
