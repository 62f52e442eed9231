"""Learning curves: training loss and validation AP per evaluation, with the best one marked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.plots.style import book_style

__all__ = ["plot_curve_grid", "plot_learning_curves"]


def _selection(history: pd.DataFrame) -> tuple[str, bool]:
    """The column that chose the checkpoint and whether higher is better."""
    if "val_ap" in history and history["val_ap"].notna().any():
        return "val_ap", True
    return "val_loss", False


def _draw(history: pd.DataFrame, ax: Any, legend: bool) -> None:
    epoch = history["epoch"] + 1  # 1-based on the axis, as people count epochs
    for col, label, style in (("loss", "training loss", "-"),
                              ("val_loss", "validation loss", "--")):
        if col in history:
            ax.plot(epoch, history[col], style, marker="o", ms=2.5, color="C0", label=label)
    ax.set_xlabel("evaluation (epoch)")
    ax.set_ylabel("loss")
    col, higher = _selection(history)
    target = ax
    if col == "val_ap":
        target = ax.twinx()
        target.plot(epoch, history[col], marker="s", ms=2.5, color="C3", label="validation AP")
        target.set_ylabel("validation AP", color="C3")
        target.set_ylim(bottom=0)
    if col in history and history[col].notna().any():
        best = history[col].idxmax() if higher else history[col].idxmin()
        ax.axvline(epoch[best], color="0.6", ls=":", lw=1, label=f"best {epoch[best]}")
    if legend:
        handles = ax.get_legend_handles_labels()
        extra = target.get_legend_handles_labels() if target is not ax else ([], [])
        ax.legend(handles[0] + extra[0], handles[1] + extra[1], frameon=False, fontsize=8)


@book_style
def plot_learning_curves(history: pd.DataFrame, ax: Any = None, title: str | None = None) -> Any:
    """Training loss and the selection quantity (validation AP, or loss) per evaluation.

    Parameters
    ----------
    history
        :attr:`TrainResult.history`, ``pandas.read_csv("history.csv")`` or a result's
        ``curve``; ``epoch`` is 0-based.
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
    _draw(pd.DataFrame(history), ax, legend=True)
    if title:
        ax.set_title(title)
    return fig


@book_style
def plot_curve_grid(results: Sequence[ExperimentResult], ncols: int = 4) -> Any:
    """Small multiples: validation AP per evaluation of every run, one panel per method.

    Parameters
    ----------
    results
        Experiment results; those with a ``curve`` (column -> values, as
        :func:`fcad_lib.training.experiments.run_experiment` stores it) are drawn, in a panel per
        method (``label``, else the spec's model), one line per split and seed.
    ncols
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    panels: dict[str, list[ExperimentResult]] = {}
    for r in results:
        if r.curve:
            panels.setdefault(str(r.label or r.model), []).append(r)
    nrows = max(1, int(np.ceil(len(panels) / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 2.8 * nrows), squeeze=False,
                             layout="constrained", sharey=True)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (name, runs) in zip(axes.flat, panels.items(), strict=False):
        for r in runs:
            curve = pd.DataFrame(r.curve)
            col, _ = _selection(curve)
            ax.plot(curve["epoch"] + 1, curve[col], lw=1.2,
                    ls="-" if r.split == "random" else "--", label=f"{r.split} {r.seed}")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("evaluation")
    axes[0, 0].set_ylabel("validation AP")
    axes.flat[0].legend(frameon=False, fontsize=7, title="split, seed", title_fontsize=7)
    return fig
