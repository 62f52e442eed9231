"""Whole-area prediction benchmark figure (notebook 08, the scaling page)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
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
    for ax, col, label in ((axes[0], "km2_per_min", "km² per minute"),
                           (axes[1], "peak_rss_mb", "peak RSS (MB)")):
        ax.plot(rows["km2"], rows[col], "o-")
        ax.set_ylabel(label)
        # from zero (flat memory should look flat, not zoomed-in noise), with headroom above the
        # highest point so that no marker sits on the frame
        top = float(np.nanmax(np.asarray(rows[col], dtype=float))) if len(rows) else np.nan
        ax.set_ylim(0, top * 1.15 if np.isfinite(top) and top > 0 else None)
    for ax in axes:
        ax.set_xlabel("area (km²)")
        ax.grid(alpha=0.3)
    return fig
