"""Correlation heatmap (the paper's Figure 8), one matrix per figure so its numbers stay legible."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fcad_lib.plots.style import book_style

__all__ = ["draw_correlation_triangle", "plot_correlation_heatmap", "plot_correlation_heatmaps"]


def draw_correlation_triangle(ax: Any, mat: pd.DataFrame, annot_size: float = 12,
                              cbar: bool = True, decimals: int = 2, square: bool = True) -> Any:
    """Draw the annotated lower triangle of a correlation matrix on ``ax``.

    The upper triangle repeats the lower one and the diagonal is 1 by definition, so both are
    left blank; the first row and the last column, empty once they are, are cropped.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axis to draw on.
    mat : pandas.DataFrame
        Square correlation matrix with factor names as index and columns.
    annot_size : float
        Font size of the numbers in the cells, in points.
    cbar : bool
        Draw a colour bar beside ``ax`` (set False to share one colour bar between panels).
    decimals : int
        Decimals of the numbers in the cells.
    square : bool
        Square cells; False lets them stretch to the axis (wider than tall fills a wide page).

    Returns
    -------
    matplotlib.collections.QuadMesh
        The cells, for a shared colour bar (``fig.colorbar(mesh, ax=axes)``).
    """
    import seaborn as sns

    n = len(mat)
    mask = np.triu(np.ones((n, n), dtype=bool))  # diagonal and above
    text = np.vectorize(lambda v: f"{v:.{decimals}f}")(mat.to_numpy(dtype=float))
    text[text == f"-{0:.{decimals}f}"] = f"{0:.{decimals}f}"  # no "-0.00"
    sns.heatmap(mat, mask=mask, ax=ax, annot=text, fmt="", cmap="RdBu_r", vmin=-1,
                vmax=1, square=square, linewidths=0.5, annot_kws={"size": annot_size}, cbar=cbar,
                cbar_kws={"shrink": 0.75, "label": "correlation coefficient"})
    # the first row and last column of the lower triangle are empty: drop their labels
    ax.set_yticks(np.arange(1, n) + 0.5, list(mat.index)[1:], rotation=0)
    ax.set_xticks(np.arange(n - 1) + 0.5, list(mat.columns)[:-1], rotation=45, ha="right",
                  rotation_mode="anchor")
    ax.set_xlim(0, n - 1)
    ax.set_ylim(n, 1)
    return ax.collections[0]


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
    n = len(mat)
    size = max(6.0, 0.75 * n + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1.5, size), layout="constrained")
    draw_correlation_triangle(ax, mat, annot_size=12)
    ax.set_title(title)
    return fig


@book_style
def plot_correlation_heatmaps(mats: Mapping[str, pd.DataFrame], ncols: int | None = None,
                              decimals: int = 2) -> Figure:
    """Annotated correlation heatmaps (Figure 8), diverging colours fixed to [-1, 1].

    Each panel shows the lower triangle only (the upper one repeats it, the diagonal is 1), with
    numbers of about 12 pt, so that they stay legible when the figure is shrunk to the book's
    column. The panels share one colour bar.

    Parameters
    ----------
    mats : mapping of str to pandas.DataFrame
        Square correlation matrices by name
        (:func:`fcad_lib.analysis.factor_analysis.correlation_matrices`); the name, capitalised,
        is the panel title.
    ncols : int, optional
        Panels per row. Default: side by side up to 7 factors, else one panel per row (a
        14-factor triangle needs the page's full width for its numbers).
    decimals : int
        Decimals of the numbers in the cells.

    Returns
    -------
    matplotlib.figure.Figure
    """
    n = max(len(m) for m in mats.values())
    if ncols is None:
        ncols = len(mats) if n <= 7 else 1
    ncols = max(1, min(ncols, len(mats)))
    nrows = -(-len(mats) // ncols)
    if ncols == 1:  # cells wider than tall: the triangle fills the page's width
        width, height = 11.0, 0.45 * (n - 1) + 2.4
    else:
        side = max(4.0, 0.7 * (n - 1) + 2.2)  # the triangle plus its tick labels
        width, height = min(11.0, ncols * side + 1.4), side
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, nrows * height), squeeze=False,
                             layout="constrained")
    mesh = None
    for ax, (name, mat) in zip(axes.flat, mats.items(), strict=False):
        mesh = draw_correlation_triangle(ax, mat, annot_size=12 if n <= 10 else 11, cbar=False,
                                         decimals=decimals, square=ncols > 1)
        ax.set_title(name.capitalize())
    for ax in list(axes.flat)[len(mats):]:
        ax.set_axis_off()
    fig.colorbar(mesh, ax=axes, shrink=0.6 if nrows > 1 else 0.8,
                 label="correlation coefficient")
    return fig
