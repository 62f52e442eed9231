"""Random-forest importance ranking of the factors (the paper's Figure 9)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fcad_lib.plots.style import book_style

__all__ = ["plot_importance"]


@book_style
def plot_importance(imp: pd.DataFrame) -> Figure:
    """Ranked horizontal bars of Gini and permutation importance with error bars (Figure 9).

    Parameters
    ----------
    imp : pandas.DataFrame
        :func:`fcad_lib.analysis.factor_analysis.rf_importance`'s table (index: factors;
        columns ``gini``, ``gini_std``, ``permutation``, ``permutation_std``).

    Returns
    -------
    matplotlib.figure.Figure
        Two panels sharing the factor axis, the most important factor (by Gini) on top.
    """
    ranked = imp.sort_values("gini", ascending=True)  # barh draws bottom-up: largest on top
    fig, axes = plt.subplots(
        1, 2, figsize=(10.5, 0.42 * len(ranked) + 1.8), sharey=True, layout="constrained"
    )
    pos = np.arange(len(ranked))
    specs = [
        ("gini", "gini_std", "Gini importance\n(mean decrease in impurity)"),
        ("permutation", "permutation_std", "Permutation importance\n(drop in ROC AUC)"),
    ]
    for ax, (col, err, title) in zip(axes, specs, strict=True):
        ax.barh(pos, ranked[col], xerr=ranked[err], color="tab:blue", capsize=3)
        ax.set_title(title)
        ax.axvline(0, color="0.3", lw=0.8)
        ax.grid(axis="x", color="0.9")
        ax.set_axisbelow(True)
        ax.xaxis.set_major_locator(plt.MaxNLocator(5))
    axes[0].set_yticks(pos, ranked.index)
    axes[0].set_ylim(-0.6, len(ranked) - 0.4)
    return fig
