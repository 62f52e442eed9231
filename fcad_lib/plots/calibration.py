"""Reliability diagrams: mean predicted probability against the observed landslide frequency."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from fcad_lib.evaluation.calibration import TileCalibration, reliability_table
from fcad_lib.plots.style import book_style

__all__ = ["plot_reliability"]


@book_style
def plot_reliability(curves: dict[str, Sequence[TileCalibration]],
                     title: str | None = None) -> Any:
    """One reliability curve per method (equal-mass bins, the points of every seed pooled).

    Parameters
    ----------
    curves
        ``{method label: [TileCalibration of each seed]}``.
    title
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
    for ax, scale in zip(axes, ("linear", "log"), strict=True):
        ax.plot([1e-4, 1], [1e-4, 1], color="0.5", lw=1, ls=":", label="perfectly calibrated")
        for name, calibs in curves.items():
            tables = [reliability_table(c) for c in calibs]
            p = np.concatenate([t["mean_prob"] for t in tables])
            f = np.concatenate([t["frequency"] for t in tables])
            order = np.argsort(p)
            ax.plot(p[order], f[order], marker="o", ms=3, lw=1.2, label=name)
        ax.set_xscale(scale)
        ax.set_yscale(scale)
        if scale == "linear":
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
        else:
            ax.set_xlim(1e-4, 1)
            ax.set_ylim(1e-4, 1)
        ax.set_xlabel("mean predicted probability (bin)")
        ax.set_ylabel("observed landslide frequency")
        ax.set_title(f"{scale} axes" if title is None else f"{title}, {scale} axes", fontsize=10)
    axes[1].legend(frameon=False, fontsize=8, loc="upper left")
    return fig
