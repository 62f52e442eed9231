"""Learning curves: training and validation loss per epoch, with the best epoch marked."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from fcad_lib.plots.style import book_style

__all__ = ["plot_learning_curves"]


@book_style
def plot_learning_curves(history: pd.DataFrame, ax: Any = None, title: str | None = None) -> Any:
    """Training and validation loss per epoch, with the best epoch marked.

    Parameters
    ----------
    history
        :attr:`TrainResult.history` or ``pandas.read_csv("history.csv")``.
    ax
        Axes to draw into; a new figure otherwise.
    title
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.2), layout="constrained")
    else:
        fig = ax.figure
    epoch = history["epoch"] + 1  # 1-based on the axis, as people count epochs
    for col, label in (("loss", "training"), ("val_loss", "validation")):
        if col in history:
            ax.plot(epoch, history[col], marker="o", ms=3, label=label)
    if "val_loss" in history and history["val_loss"].notna().any():
        best = history["val_loss"].idxmin()
        ax.axvline(epoch[best], color="0.6", ls="--", lw=1, label=f"best epoch {epoch[best]}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if title:
        ax.set_title(title)
    ax.legend(frameon=False)
    return fig
