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
                     calibrated_suffix: str = " (calibrated)") -> Any:
    """Reliability curves on log axes: as predicted (left) and after calibration (right).

    Landslide probabilities crowd near 0, so both axes are logarithmic. A method whose label
    ends with ``calibrated_suffix`` goes to the right panel, keeping its colour from the left.

    Parameters
    ----------
    curves
        ``{method label: [TileCalibration of each seed]}`` (equal-mass bins; the points of
        every seed are pooled).
    calibrated_suffix
        Label suffix of the temperature-scaled networks.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained", sharey=True)
    base = [n for n in curves if not n.endswith(calibrated_suffix)]
    colours = {n: f"C{i % 10}" for i, n in enumerate(base)}
    panels = (("as predicted", base),
              ("after temperature scaling (validation)",
               [n for n in curves if n.endswith(calibrated_suffix)]))
    for ax, (title, names) in zip(axes, panels, strict=True):
        ax.plot([1e-4, 1], [1e-4, 1], color="0.5", lw=1, ls=":", label="perfectly calibrated")
        for name in names:
            tables = [reliability_table(c) for c in curves[name]]
            p = np.concatenate([t["mean_prob"] for t in tables])
            f = np.concatenate([t["frequency"] for t in tables])
            order = np.argsort(p)
            label = name.removesuffix(calibrated_suffix)
            ax.plot(p[order], f[order], marker="o", ms=3, lw=1.2, label=label,
                    color=colours.get(label))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(1e-4, 1)
        ax.set_ylim(1e-4, 1)
        ax.set_xlabel("mean predicted probability (bin)")
        ax.set_title(title, fontsize=10)
        ax.legend(frameon=False, fontsize=8, loc="upper left")
    axes[0].set_ylabel("observed landslide frequency")
    return fig
