"""Local zooms on single landslides with each model's prediction (paper Figures 10-12).

The figure draws patches and probabilities it is given: the examples and the models'
predictions come from :mod:`fcad_lib.analysis.zooms`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from fcad_lib.analysis.zooms import ZoomPrediction, patch_at
from fcad_lib.plots.style import add_colorbar, add_scale_bar, book_style, robust_limits
from fcad_lib.samples.prepared import PreparedData


def _composite(patches: Any, i: int) -> tuple[np.ndarray, str]:
    ch = list(patches.channels)
    if all(b in ch for b in ("B4", "B3", "B2")):
        rgb = np.stack([patches.X[i, ..., ch.index(b)] for b in ("B4", "B3", "B2")], axis=-1)
        lo, hi = np.nanpercentile(rgb, [2, 98])
        return np.clip((rgb - lo) / (hi - lo + 1e-9), 0, 1), "true colour (B4-B3-B2)"
    name = next((c for c in ("elevation", "slope") if c in ch), ch[0])
    return patches.X[i, ..., ch.index(name)], name


@book_style
def plot_prediction_zooms(
    data: PreparedData,
    examples: Sequence[dict[str, Any]],
    predictions: Mapping[str, ZoomPrediction],
    pixel_m: float | None = None,
) -> Figure:
    """Local zooms: composite, deformation rate, mapped landslide and each model's prediction.

    Each example takes two rows: the inputs and the mapped landslide above, one panel per model
    below, so that a row holds at most four panels at the page's width.

    Parameters
    ----------
    data : fcad_lib.samples.prepared.PreparedData
        Patches that give the images.
    examples : sequence of dict
        From :func:`fcad_lib.analysis.zooms.pick_examples`.
    predictions : mapping
        Column title -> :class:`~fcad_lib.analysis.zooms.ZoomPrediction`
        (:func:`fcad_lib.analysis.zooms.predict_zooms`), one panel each.
    pixel_m : float, optional
        Pixel size in metres, for the scale bars; without it the bars count pixels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    ch = list(data.patches.channels)
    has_dr = "deformation_rate" in ch
    ncols = max(3 if has_dr else 2, len(predictions), 1)
    nrows = 2 * max(1, len(examples))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.8 * ncols + 1.5, 2.8 * nrows),
                             squeeze=False, layout="constrained")
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_visible(False)
    for n, ex in enumerate(examples):
        top, bottom = axes[2 * n], axes[2 * n + 1]
        r0, r1, c0, c1 = ex["bbox"]
        i = patch_at(data.patches, ex["origin"])
        truth = data.patches.y[i, r0:r1, c0:c1, 0]
        img, label = _composite(data.patches, i)
        panels = [top[0]]
        top[0].imshow(img[r0:r1, c0:c1], cmap="gray")
        top[0].set_title(label)
        col = 1
        if has_dr:
            d = data.patches.X[i, r0:r1, c0:c1, ch.index("deformation_rate")]
            vmin, vmax, extend = robust_limits("deformation_rate", d, percentile=100)
            im = top[col].imshow(d, cmap="RdBu", vmin=vmin, vmax=vmax)
            add_colorbar(fig, im, top[col], "mm/yr", extend=extend)
            top[col].set_title("deformation rate")
            panels.append(top[col])
            col += 1
        top[col].imshow(truth, cmap="Greys", vmin=0, vmax=1)
        top[col].set_title(f"mapped: {ex['name']}, {ex['size_px']} px")
        panels.append(top[col])
        im = None
        for k, (name, zoom) in enumerate(predictions.items()):
            prob = zoom.probability[n]
            pred = prob >= zoom.threshold
            ax = bottom[k]
            im = ax.imshow(prob[r0:r1, c0:c1], cmap="magma", vmin=0, vmax=1)
            ax.contour(truth, levels=[0.5], colors="c", linewidths=1.6)
            ax.contour(pred[r0:r1, c0:c1].astype(float), levels=[0.5], colors="w",
                       linewidths=1.6, linestyles="--")
            ax.set_title(name)
            panels.append(ax)
        if im is not None:
            add_colorbar(fig, im, bottom[len(predictions) - 1], "probability")
        width_px = c1 - c0
        for ax in panels:
            ax.set_visible(True)
            if pixel_m:
                add_scale_bar(ax, width_px, units_per_km=1000.0 / pixel_m)
    fig.suptitle("probability (colour), mapped outline (cyan), predicted outline (white dashed)"
                 + ("" if pixel_m else "; pixel size not given"))
    return fig
