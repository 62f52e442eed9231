"""Whole-area prediction benchmark figure (notebook 08, the scaling page)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from fcad_lib.plots.style import book_style


@book_style
def plot_scaling(rows: Any) -> Figure:
    """Whole-area prediction benchmark: km² per minute and peak memory against area size.

    Parameters
    ----------
    rows : pandas.DataFrame
        ``predict_area`` lines of ``benchmarks/predict_area.py`` (columns ``km2``,
        ``km2_per_min`` and ``peak_rss_mb``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    axes[0].plot(rows["km2"], rows["km2_per_min"], "o-")
    axes[0].set_ylabel("km² per minute")
    axes[0].set_ylim(bottom=0)
    axes[1].plot(rows["km2"], rows["peak_rss_mb"], "o-")
    axes[1].set_ylabel("peak RSS (MB)")
    axes[1].set_ylim(bottom=0)  # flat memory should look flat, not zoomed-in noise
    for ax in axes:
        ax.set_xlabel("area (km²)")
        ax.grid(alpha=0.3)
    return fig
