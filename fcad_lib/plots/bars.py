"""Bar charts of scores over seeds: error caps only where there is a spread to show."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from fcad_lib.plots.style import book_style


@book_style
def plot_score_bars(
    frame: pd.DataFrame,
    by: str,
    hue: str = "split",
    metric: str = "f1",
    seed_column: str = "seed",
    title: str | None = None,
) -> Figure:
    """Mean score per group as bars, with ± one standard deviation only when seeds vary.

    One seed has no spread: drawing a cap of zero (or NaN) would suggest a precision the run does
    not have, so a single seed gives plain bars and says so in the title.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per run (:func:`fcad_lib.training.experiments.results_frame`).
    by : str
        Column on the x axis (``model`` or ``group``).
    hue : str
        Column that splits the bars (``split``).
    metric : str
        Score column.
    seed_column : str
        Column naming the seed of each run.
    title : str, optional
        Figure title; a note on the seeds is appended.

    Returns
    -------
    matplotlib.figure.Figure
    """
    stats = frame.groupby([by, hue], sort=False)[metric].agg(["mean", "std", "count"])
    mean = stats["mean"].unstack(hue)
    seeds = sorted(int(s) for s in frame[seed_column].unique()) if seed_column in frame else []
    several = stats["count"].max() > 1
    fig, ax = plt.subplots(figsize=(10, 4.5), layout="constrained")
    if several:
        mean.plot.bar(yerr=stats["std"].unstack(hue).fillna(0), ax=ax, rot=0, capsize=4)
        note = f"mean ± std over seeds {list(seeds)}"
    else:
        mean.plot.bar(ax=ax, rot=0)
        note = f"one run per bar (seed {seeds[0] if seeds else '?'}): no spread to show"
    ax.set_ylabel(f"{metric.upper() if len(metric) <= 3 else metric} (test split)")
    ax.set_xlabel("")
    # long group names ("Threshold rule (RS-DR)") wrapped, so that neighbouring labels never touch
    width = max(6, int(70 / max(1, len(mean))))
    ax.set_xticks(range(len(mean)))
    ax.set_xticklabels([textwrap.fill(str(g), width, break_long_words=False) for g in mean.index])
    ax.set_ylim(0, 1)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(title=hue, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(f"{title}\n{note}" if title else note)
    return fig

