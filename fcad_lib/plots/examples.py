"""Local zooms on single landslides with each model's prediction (paper Figures 10-12)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from fcad_lib.bundle import load_bundle
from fcad_lib.evaluation.inference import predict_patches
from fcad_lib.plots.style import add_colorbar, add_scale_bar, book_style, robust_limits


def pick_examples(data: Any, split: str = "test", margin: int = 6) -> list[dict[str, Any]]:
    """Choose a medium and a small mapped landslide in one split's patches (Figures 10-11).

    Parameters
    ----------
    data : fcad_lib.training.experiments.PreparedData
        Patches and splits.
    split : str
        Which split's patches to search.
    margin : int
        Pixels of context around the landslide's bounding box.

    Returns
    -------
    list of dict
        ``{"name", "origin", "size_px", "bbox"}`` with ``bbox = (r0, r1, c0, c1)`` inside the
        patch; fewer than two entries when the split holds fewer landslides.
    """
    from scipy import ndimage

    patches = data.patches
    size_px = patches.X.shape[1]
    found, cut = [], []
    for i in data.splits[split]:
        lab = (patches.y[i, ..., 0] > 0) & patches.valid[i, ..., 0]
        comp, _ = ndimage.label(lab)
        for j, sl in enumerate(ndimage.find_objects(comp), start=1):
            size = int((comp[sl] == j).sum())
            # landslides cut by the patch edge show only part of themselves: used last
            edge = sl[0].start == 0 or sl[1].start == 0 or sl[0].stop == size_px \
                or sl[1].stop == size_px
            (cut if edge else found).append((size, int(i), sl))
    found = found or cut
    if not found:
        return []
    found.sort(key=lambda t: t[0])
    sizes = np.array([f[0] for f in found])
    picks = {"medium": int(np.argmin(np.abs(sizes - np.percentile(sizes, 75)))),
             "small": int(np.argmin(np.abs(sizes - max(4, np.percentile(sizes, 10)))))}
    out = []
    for name, idx in picks.items():
        size, i, sl = found[idx]
        r0, r1 = max(0, sl[0].start - margin), min(size_px, sl[0].stop + margin)
        c0, c1 = max(0, sl[1].start - margin), min(size_px, sl[1].stop + margin)
        out.append({"name": name, "origin": tuple(int(v) for v in patches.origins[i]),
                    "size_px": size, "bbox": (r0, r1, c0, c1)})
    if len(found) == 1:
        out = out[:1]
    return out


def _patch_at(patches: Any, origin: tuple[int, int]) -> int:
    hit = np.flatnonzero((patches.origins == np.asarray(origin)).all(axis=1))
    if hit.size == 0:
        raise KeyError(f"no patch with origin {origin}")
    return int(hit[0])


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
    data: Any,
    examples: Sequence[dict[str, Any]],
    results: dict[str, dict[str, Any]],
    prepared_by_name: dict[str, Any] | None = None,
    pixel_m: float | None = None,
) -> Figure:
    """Local zooms: composite, deformation rate, mapped landslide and each model's prediction.

    Each example takes two rows: the inputs and the mapped landslide above, one panel per model
    below, so that a row holds at most four panels at the page's width.

    Parameters
    ----------
    data : fcad_lib.training.experiments.PreparedData
        Patches that give the images.
    examples : sequence of dict
        From :func:`pick_examples`.
    results : dict
        Column title -> experiment result (``bundle_dir`` and ``threshold`` are used).
    prepared_by_name : dict, optional
        Column title -> PreparedData with that model's channels (ablations); default ``data``.
    pixel_m : float, optional
        Pixel size in metres, for the scale bars; without it the bars count pixels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    prepared_by_name = prepared_by_name or {}
    models = {name: load_bundle(r["bundle_dir"]) for name, r in results.items()}
    ch = list(data.patches.channels)
    has_dr = "deformation_rate" in ch
    ncols = max(3 if has_dr else 2, len(models), 1)
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
        i = _patch_at(data.patches, ex["origin"])
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
        for k, (name, (model, prep)) in enumerate(models.items()):
            own = prepared_by_name.get(name, data).patches
            prob = predict_patches(model, prep.normalizer, own, [_patch_at(own, ex["origin"])],
                                   batch_size=1)[0]
            pred = prob >= results[name]["threshold"]
            ax = bottom[k]
            im = ax.imshow(prob[r0:r1, c0:c1], cmap="magma", vmin=0, vmax=1)
            ax.contour(truth, levels=[0.5], colors="c", linewidths=1.6)
            ax.contour(pred[r0:r1, c0:c1].astype(float), levels=[0.5], colors="w",
                       linewidths=1.6, linestyles="--")
            ax.set_title(name)
            panels.append(ax)
        if im is not None:
            add_colorbar(fig, im, bottom[len(models) - 1], "probability")
        width_px = c1 - c0
        for ax in panels:
            ax.set_visible(True)
            if pixel_m:
                add_scale_bar(ax, width_px, units_per_km=1000.0 / pixel_m)
    fig.suptitle("probability (colour), mapped outline (cyan), predicted outline (white dashed)"
                 + ("" if pixel_m else "; pixel size not given"))
    return fig
