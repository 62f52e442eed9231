"""The four-class review map of a prediction with uncertainty (notebook 07)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from fcad_lib.plots.style import book_style
from fcad_lib.predict.review import REVIEW_CLASSES, REVIEW_COLOURS, REVIEW_NODATA


@book_style
def plot_review_map(review: np.ndarray, title: str | None = None) -> Figure:
    """Review map (:func:`fcad_lib.predict.review.review_map`) in its class colours, with a legend.

    Parameters
    ----------
    review : numpy.ndarray
        ``uint8`` classes 0-3 (:data:`~fcad_lib.predict.review.REVIEW_CLASSES`), 255 = nodata
        (drawn white).
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; the legend gives each class's share of the valid pixels.
    """
    review = np.asarray(review)
    valid = review != REVIEW_NODATA
    n_valid = max(int(valid.sum()), 1)
    colours = [tuple(c / 255 for c in rgb) for rgb in REVIEW_COLOURS]
    fig, ax = plt.subplots(figsize=(8, 8 * review.shape[0] / max(review.shape[1], 1) + 0.8),
                           layout="constrained")
    ax.imshow(np.ma.masked_array(review, ~valid), cmap=ListedColormap(colours),
              norm=BoundaryNorm(np.arange(-0.5, len(colours)), len(colours)),
              interpolation="nearest")
    handles = [Patch(color=c, label=f"{name} ({(review == i).sum() / n_valid:.1%})")
               for i, (name, c) in enumerate(zip(REVIEW_CLASSES, colours, strict=True))]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=2,
              frameon=False)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig
