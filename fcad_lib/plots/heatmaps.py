"""Correlation heatmap (the paper's Figure 8), one matrix per figure so its numbers stay legible."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fcad_lib.plots.style import book_style


@book_style
def plot_correlation_heatmap(mat: pd.DataFrame, title: str = "") -> Figure:
    """Annotated lower triangle of a correlation matrix, diverging colours fixed to [-1, 1].

    The upper triangle repeats the lower one and the diagonal is 1 by definition, so both are
    left blank: half the numbers, each large enough to read at the page's width.

    Parameters
    ----------
    mat : pandas.DataFrame
        Square correlation matrix with factor names as index and columns.
    title : str
        Figure title (e.g. ``"Pearson"``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import seaborn as sns

    n = len(mat)
    mask = np.triu(np.ones((n, n), dtype=bool))  # diagonal and above
    size = max(6.0, 0.75 * n + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1.5, size), layout="constrained")
    sns.heatmap(mat, mask=mask, ax=ax, annot=True, fmt=".2f", cmap="RdBu_r", vmin=-1, vmax=1,
                square=True, linewidths=0.5, annot_kws={"size": 12},
                cbar_kws={"shrink": 0.75, "label": "correlation coefficient"})
    # the first row and last column of the lower triangle are empty: drop their labels
    ax.set_yticks(ax.get_yticks()[1:], list(mat.index)[1:], rotation=0)
    ax.set_xticks(ax.get_xticks()[:-1], list(mat.columns)[:-1], rotation=45, ha="right")
    ax.set_xlim(0, n - 1)
    ax.set_ylim(n, 1)
    ax.set_title(title)
    return fig
