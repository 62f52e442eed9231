"""The Hong Kong samples and the gain from DV (:mod:`fcad_lib.analysis.hongkong`), drawn."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fcad_lib.analysis.hongkong import HELD_OUT_SUFFIX
from fcad_lib.plots.style import add_scale_bar, book_style

__all__ = ["LABEL_SET_NAMES", "plot_dv_gains", "plot_sample_map"]

#: Readable names of the label sets in the figures.
LABEL_SET_NAMES = {
    "independent": "independent labels",
    "insar_augmented": "InSAR-augmented labels",
    "insar_augmented" + HELD_OUT_SUFFIX: "InSAR-augmented labels,\nscored on independent rows",
}


@book_style
def plot_sample_map(df: pd.DataFrame) -> Figure:
    """Where the samples lie and whether their DV is measured, with a km scale bar.

    Parameters
    ----------
    df : pandas.DataFrame
        A table from :func:`fcad_lib.data.hongkong.read_hongkong_samples` (columns ``X``, ``Y``
        in metres and ``dv_measured``).

    Returns
    -------
    matplotlib.figure.Figure
        One map, equal aspect, no coordinate ticks (the scale bar gives the distances); the
        legend counts the samples of each kind.
    """
    fig, ax = plt.subplots(figsize=(9, 6.5), layout="constrained")
    kinds = ((True, "tab:blue", "DV measured"), (False, "tab:orange", "DV missing (0 or 10⁻⁶)"))
    # the larger group first, so that the smaller one stays visible on top
    kinds = sorted(kinds, key=lambda k: -int((df["dv_measured"] == k[0]).sum()))
    for measured, colour, label in kinds:
        pts = df[df["dv_measured"] == measured]
        ax.scatter(pts["X"], pts["Y"], s=4, c=colour, linewidths=0, alpha=0.8,
                   label=f"{label}: {len(pts):,}", rasterized=True)
    ax.set_aspect("equal")
    pad = 0.03 * max(np.ptp(df["X"]), np.ptp(df["Y"]))
    ax.set_xlim(df["X"].min() - pad, df["X"].max() + pad)
    ax.set_ylim(df["Y"].min() - pad, df["Y"].max() + pad)
    ax.set_xticks([])
    ax.set_yticks([])
    xlim = ax.get_xlim()
    add_scale_bar(ax, xlim[1] - xlim[0], units_per_km=1000.0, loc="lower right")
    ax.legend(loc="upper left", markerscale=3, framealpha=0.9)
    ax.set_title("Hong Kong samples by DV status")
    return fig


@book_style
def plot_dv_gains(gains: pd.DataFrame, metric: str = "F1", level: float = 0.95) -> Figure:
    """Gain from DV per label set and split, with its confidence interval, as horizontal bars.

    Parameters
    ----------
    gains : pandas.DataFrame
        :func:`fcad_lib.analysis.hongkong.paired_gains` (index ``label_set``, ``split``;
        columns ``gain``, ``lo``, ``hi``, ``excludes_zero``).
    metric : str
        Name of the score in the axis label.
    level : float
        Confidence level of the intervals, for the axis label.

    Returns
    -------
    matplotlib.figure.Figure
        One row per (label set, split), top to bottom in the table's order; a filled marker
        when the interval excludes zero, an open one when it does not.
    """
    n = len(gains)
    fig, ax = plt.subplots(figsize=(9, 0.9 * n + 1.6), layout="constrained")
    pos = np.arange(n)[::-1]  # first row on top
    splits = sorted(set(gains.index.get_level_values("split")))
    colours = dict(zip(splits, ("tab:blue", "tab:orange", "tab:green", "tab:red"), strict=False))
    for y, ((_, split), row) in zip(pos, gains.iterrows(), strict=True):
        colour = colours.get(split, "tab:grey")
        err = [[row["gain"] - row["lo"]], [row["hi"] - row["gain"]]]
        filled = bool(row.get("excludes_zero", False))
        ax.errorbar(row["gain"], y, xerr=err, fmt="o", ms=9, capsize=5, lw=1.8, color=colour,
                    mfc=colour if filled else "white", mew=1.8)
    labels = [f"{LABEL_SET_NAMES.get(ls, ls)}\n{sp} split" for ls, sp in gains.index]
    ax.set_yticks(pos, labels)
    ax.set_ylim(-0.6, n - 0.4)
    ax.axvline(0, color="0.3", lw=0.9)
    ax.grid(axis="x", color="0.9")
    ax.set_axisbelow(True)
    ax.set_xlabel(f"{metric} gain of DV (with DV - without), {100 * level:g} % interval")
    ax.set_title("Filled: the interval excludes zero", fontsize=plt.rcParams["font.size"] - 1,
                 loc="left")
    return fig
