"""Whole-area landslide probability map with mapped and predicted outlines (notebook 07)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from fcad_lib.plots.style import add_colorbar, add_scale_bar, book_style

#: Outline colours that stay visible on the ``magma`` probability colours.
MAPPED_COLOUR = "deepskyblue"
PREDICTED_COLOUR = "lime"


def _read_panels(probability_path: str | Path, predicted: Any, inventory: Any,
                 max_pixels: int) -> tuple[list[tuple[np.ndarray, tuple, str]], Any]:
    import rasterio
    from rasterio.windows import Window, from_bounds

    with rasterio.open(probability_path) as src:
        scale = max(1.0, np.sqrt(src.width * src.height / max_pixels))
        shape = (max(1, int(src.height / scale)), max(1, int(src.width / scale)))
        prob = src.read(1, out_shape=shape, masked=True).filled(np.nan)
        b = src.bounds
        panels = [(prob, (b.left, b.right, b.bottom, b.top), "whole area")]
        if inventory is not None:
            inventory = inventory.to_crs(src.crs)
        # zooms: around the largest mapped landslide and the largest predicted one
        targets = []
        for gdf, what in ((inventory, "largest mapped"), (predicted, "largest predicted")):
            if gdf is not None and len(gdf):
                geom = gdf.geometry.iloc[int(np.argmax(gdf.geometry.area.values))]
                targets.append((geom.buffer(max(150.0, np.sqrt(geom.area))).bounds, what))
        for t, what in targets[:2]:
            win = from_bounds(*t, transform=src.transform).round_offsets().round_lengths()
            win = win.intersection(Window(0, 0, src.width, src.height))
            zb = rasterio.windows.bounds(win, src.transform)
            panels.append((src.read(1, window=win, masked=True).filled(np.nan),
                           (zb[0], zb[2], zb[1], zb[3]), f"zoom: {what} landslide"))
    return panels, inventory


@book_style
def plot_area_map(
    probability_path: str | Path,
    predicted: Any,
    inventory: Any | None = None,
    max_pixels: int = 1_500_000,
) -> Figure:
    """Whole-area probability map with predicted and mapped outlines, plus two zooms.

    The whole area takes two thirds of the figure's width; the zooms (around the largest mapped
    and the largest predicted landslide) are stacked on its right, under one colour bar. The
    raster is read decimated (``out_shape``), so the figure costs the same memory for any area
    size.

    Parameters
    ----------
    probability_path : str or Path
        Probability GeoTIFF written by :func:`fcad_lib.predict.predict_raster`.
    predicted : geopandas.GeoDataFrame
        Predicted landslide polygons.
    inventory : geopandas.GeoDataFrame, optional
        Mapped landslide polygons.
    max_pixels : int
        Largest number of pixels read for the overview panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    panels, inventory = _read_panels(probability_path, predicted, inventory, max_pixels)
    n_zooms = len(panels) - 1
    # the whole area on the left over two rows, the zooms stacked on its right
    fig = plt.figure(figsize=(10.5, 7.2), layout="constrained")
    grid = fig.add_gridspec(max(1, n_zooms), 2 if n_zooms else 1,
                            width_ratios=[2.1, 1] if n_zooms else [1])
    axes = [fig.add_subplot(grid[:, 0])] + [fig.add_subplot(grid[k, 1]) for k in range(n_zooms)]
    cmap = plt.get_cmap("magma").with_extremes(bad="0.85")
    im = None
    for n, (ax, (img, ext, title)) in enumerate(zip(axes, panels, strict=True)):
        im = ax.imshow(img, extent=ext, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        width = 0.9 if n == 0 else 2.0
        if inventory is not None and len(inventory):
            inventory.boundary.plot(ax=ax, color=MAPPED_COLOUR, linewidth=width)
        if len(predicted):
            predicted.boundary.plot(ax=ax, color=PREDICTED_COLOUR, linewidth=width,
                                    linestyle="--" if n else "-")
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
        ax.set_title(title if n == 0 else textwrap.fill(title, 20))  # a zoom is narrow
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")  # geopandas labels the axes with the CRS units; the scale bar says it
        ax.set_ylabel("")
        add_scale_bar(ax, ext[1] - ext[0], units_per_km=1000.0)
    # one scale for every panel: the same colours mean the same probability everywhere
    add_colorbar(fig, im, axes, "landslide probability")
    handles = [Line2D([], [], color=MAPPED_COLOUR, lw=2, label="mapped landslide"),
               Line2D([], [], color=PREDICTED_COLOUR, lw=2, label="predicted polygon")]
    axes[0].legend(handles=handles, loc="upper right", framealpha=0.85)
    return fig
