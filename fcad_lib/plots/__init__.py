"""Figures shared by the notebooks: factor maps (the paper's Figure 2) and map helpers."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

# Colour maps chosen per factor so that a reader recognises the quantity at a glance:
# diverging for the signed LOS rate, terrain for elevation, cyclic for aspect.
_CMAPS = {
    "deformation_rate": "RdBu",
    "B2": "Blues_r",
    "B3": "Greens_r",
    "B4": "Reds_r",
    "B8": "Greys_r",
    "elevation": "terrain",
    "slope": "magma",
    "aspect": "twilight",
    "curvature": "PuOr",
    "lithology": "tab10",
}


def _extent_km(ds: xr.Dataset) -> tuple[float, float, float, float]:
    x, y = ds["x"].values, ds["y"].values
    dx = abs(float(x[1] - x[0])) if x.size > 1 else 1.0
    dy = abs(float(y[1] - y[0])) if y.size > 1 else 1.0
    return (
        (x.min() - dx / 2) / 1e3,
        (x.max() + dx / 2) / 1e3,
        (y.min() - dy / 2) / 1e3,
        (y.max() + dy / 2) / 1e3,
    )


def _limits(name: str, values: np.ndarray) -> tuple[float | None, float | None]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, None
    if name == "deformation_rate":
        # Symmetric around zero so that motion toward / away from the satellite reads equally.
        m = float(np.nanpercentile(np.abs(finite), 99))
        return -m, m
    if name == "aspect":
        return 0.0, 360.0
    lo, hi = np.nanpercentile(finite, [1, 99])
    return float(lo), float(hi)


def plot_factor_maps(
    ds: xr.Dataset,
    factors: Sequence[str] | None = None,
    outline: bool = True,
    ncols: int = 4,
    panel_size: float = 3.4,
) -> Figure:
    """Plot every factor of an aligned stack with a colour bar and units (paper Figure 2).

    Parameters
    ----------
    ds
        Aligned stack from :func:`fcad_lib.data.study_area.load_study_area`.
    factors
        Factors to draw; default ``ds.attrs["factors"]``.
    outline
        Draw the landslide inventory (``label``) as black outlines on every panel.
    ncols
        Panels per row.
    panel_size
        Size of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    factors = list(factors or ds.attrs.get("factors", []))
    panels = factors + (["label"] if "label" in ds else [])
    nrows = max(1, math.ceil(len(panels) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(panel_size * ncols, panel_size * nrows), squeeze=False
    )
    extent = _extent_km(ds)
    label = ds["label"].values if "label" in ds else None
    for ax, name in zip(axes.flat, panels, strict=False):
        da = ds[name]
        values = da.values.astype("float32")
        if name == "label":
            values = np.where(ds["valid"].values if "valid" in ds else True, values, np.nan)
            im = ax.imshow(values, extent=extent, cmap="Greys", vmin=0, vmax=1,
                           interpolation="nearest")
            ax.set_title("landslide inventory")
            fig.colorbar(im, ax=ax, shrink=0.8, ticks=[0, 1], label="1 = landslide")
        else:
            vmin, vmax = _limits(name, values)
            cmap = plt.get_cmap(_CMAPS.get(name, "viridis")).copy()
            cmap.set_bad("0.85")  # masked (NaN) pixels in light grey, never as a value
            im = ax.imshow(values, extent=extent, cmap=cmap, vmin=vmin, vmax=vmax,
                           interpolation="nearest")
            units = da.attrs.get("units", "")
            ax.set_title(textwrap.fill(da.attrs.get("long_name", name), 34), fontsize=9)
            fig.colorbar(im, ax=ax, shrink=0.8, label=units)
            if outline and label is not None and label.any():
                ax.contour(label, levels=[0.5], colors="k", linewidths=0.4, extent=extent,
                           origin="upper")
        ax.set_xlabel("easting (km)")
        ax.set_ylabel("northing (km)")
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(f"{ds.attrs.get('area', '')}: factors on the {ds.attrs.get('resolution_m', '?')}"
                 f" m grid ({ds.attrs.get('crs', '')})")
    fig.tight_layout()
    return fig


def plot_fcdensenet_diagram(config: Any, attention: bool = True) -> Figure:
    """Block diagram of an FC-DenseNet / FCADenseNet with the feature-map count of each stage.

    Parameters
    ----------
    config
        :class:`fcad_lib.models.fcdensenet.FCDenseNetConfig`.
    attention
        Draw CBAM on the skip connections (FCADenseNet).

    Returns
    -------
    matplotlib.figure.Figure
    """
    k, blocks, n_pool = config.growth_rate, config.layers_per_block, config.n_pool
    m = config.n_first_filters
    down = []
    for i in range(n_pool):
        m += blocks[i] * k
        down.append((f"DB {blocks[i]} layers\n→ {m} maps", m))
    new = blocks[n_pool] * k
    up = []
    for i in range(n_pool):
        skip = down[n_pool - 1 - i][1]
        tu = f"TU ({new})" + (" + CBAM skip" if attention else "")
        new_block = blocks[n_pool + 1 + i] * k
        up.append((f"{tu}\nDB {blocks[n_pool + 1 + i]} layers\n{new + skip} → +{new_block}",
                   new_block))
        new = new_block
    height = n_pool + 2
    fig, ax = plt.subplots(figsize=(9, 0.9 * height + 1))
    ax.set_axis_off()
    box = {"boxstyle": "round,pad=0.4", "fc": "#e8f0fe", "ec": "#3367d6"}
    ax.text(0.15, height, f"input → 3x3 conv ({config.n_first_filters})", ha="center", bbox=box)
    for i, (text, _) in enumerate(down):
        y = height - 1 - i
        ax.text(0.15, y, text + "\nTD (1x1 conv, pool)", ha="center", va="center", fontsize=8,
                bbox=box)
        ax.annotate("", xy=(0.78, y), xytext=(0.3, y), arrowprops={
            "arrowstyle": "->", "color": "#d93025" if attention else "0.4", "lw": 1.2})
        ax.text(0.54, y + 0.12, "skip" + (" → CBAM" if attention else ""), ha="center",
                fontsize=7, color="#d93025" if attention else "0.4")
    ax.text(0.5, height - 1 - n_pool, f"bottleneck DB {blocks[n_pool]} layers "
            f"(+{blocks[n_pool] * k})", ha="center", va="center", fontsize=8,
            bbox={**box, "fc": "#fef7e0", "ec": "#f9ab00"})
    for i, (text, _) in enumerate(up):
        y = height - n_pool + i  # level of the skip it joins
        ax.text(0.85, y, text, ha="center", va="center", fontsize=8, bbox=box)
    ax.text(0.85, height, "1x1 conv → sigmoid (landslide probability)", ha="center", bbox=box)
    ax.set_xlim(-0.1, 1.1)
    ax.set_ylim(height - n_pool - 1.7, height + 0.6)
    name = "FCADenseNet" if attention else "FC-DenseNet"
    ax.set_title(f"{name}: first conv {config.n_first_filters}, growth rate k = {k}, "
                 f"{n_pool} pools, layers per block {list(blocks)}", fontsize=9)
    return fig


def pick_examples(data: Any, split: str = "test", margin: int = 6) -> list[dict[str, Any]]:
    """Choose a medium and a small mapped landslide in one split's patches (Figures 10-11).

    Parameters
    ----------
    data
        :class:`fcad_lib.training.experiments.PreparedData`.
    split
        Which split's patches to search.
    margin
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
        return np.clip((rgb - lo) / (hi - lo + 1e-9), 0, 1), "B4-B3-B2"
    name = next((c for c in ("elevation", "slope") if c in ch), ch[0])
    return patches.X[i, ..., ch.index(name)], name


def plot_prediction_zooms(
    data: Any,
    examples: Sequence[dict[str, Any]],
    results: dict[str, dict[str, Any]],
    prepared_by_name: dict[str, Any] | None = None,
) -> Figure:
    """Local zooms: composite, deformation rate, mapped landslide and each model's prediction.

    Parameters
    ----------
    data
        :class:`fcad_lib.training.experiments.PreparedData` whose patches give the images.
    examples
        From :func:`pick_examples`.
    results
        Column title -> experiment result (``bundle_dir`` and ``threshold`` are used).
    prepared_by_name
        Column title -> PreparedData with that model's channels (ablations); default ``data``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from fcad_lib.training.train import load_bundle

    prepared_by_name = prepared_by_name or {}
    models = {name: load_bundle(r["bundle_dir"]) for name, r in results.items()}
    ch = list(data.patches.channels)
    fixed = ["composite"] + (["deformation_rate"] if "deformation_rate" in ch else []) + ["mapped"]
    ncols = len(fixed) + len(models)
    nrows = max(1, len(examples))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.3 * ncols, 2.5 * nrows), squeeze=False)
    for row, ex in zip(axes, examples, strict=False):
        r0, r1, c0, c1 = ex["bbox"]
        i = _patch_at(data.patches, ex["origin"])
        truth = data.patches.y[i, r0:r1, c0:c1, 0]
        img, label = _composite(data.patches, i)
        row[0].imshow(img[r0:r1, c0:c1], cmap="gray")
        row[0].set_title(label, fontsize=8)
        col = 1
        if "deformation_rate" in ch:
            d = data.patches.X[i, r0:r1, c0:c1, ch.index("deformation_rate")]
            m = float(np.nanmax(np.abs(d))) if np.isfinite(d).any() else 1.0
            row[col].imshow(d, cmap="RdBu", vmin=-m, vmax=m)
            row[col].set_title("deformation rate", fontsize=8)
            col += 1
        row[col].imshow(truth, cmap="Greys", vmin=0, vmax=1)
        row[col].set_title(f"mapped ({ex['name']}, {ex['size_px']} px)", fontsize=8)
        col += 1
        for name, (model, prep) in models.items():
            own = prepared_by_name.get(name, data).patches
            j = _patch_at(own, ex["origin"])
            x = prep.normalizer.transform(own.X[j], own.valid[j])
            # a direct call: model.predict would trace a new function for every model
            prob = np.asarray(model(x[None], training=False))[0, ..., 0]
            pred = prob >= results[name]["threshold"]
            row[col].imshow(prob[r0:r1, c0:c1], cmap="magma", vmin=0, vmax=1)
            row[col].contour(truth, levels=[0.5], colors="c", linewidths=0.8)
            row[col].contour(pred[r0:r1, c0:c1].astype(float), levels=[0.5], colors="w",
                             linewidths=0.8, linestyles="--")
            row[col].set_title(name, fontsize=8)
            col += 1
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle("probability (colour), mapped outline (cyan), predicted outline (white dashed)",
                 fontsize=9)
    fig.tight_layout()
    return fig


def plot_area_map(
    probability_path: str | Path,
    predicted: Any,
    inventory: Any | None = None,
    max_pixels: int = 1_500_000,
) -> Figure:
    """Whole-area probability map with predicted and mapped outlines, plus two zooms.

    The raster is read decimated (``out_shape``) so the figure costs the same memory for any
    area size.

    Parameters
    ----------
    probability_path
        Probability GeoTIFF written by :func:`fcad_lib.predict.predict_raster`.
    predicted
        Predicted landslide polygons (GeoDataFrame).
    inventory
        Mapped landslide polygons (GeoDataFrame) or None.
    max_pixels
        Largest number of pixels read for the overview panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import rasterio
    from rasterio.windows import from_bounds

    with rasterio.open(probability_path) as src:
        scale = max(1.0, np.sqrt(src.width * src.height / max_pixels))
        shape = (max(1, int(src.height / scale)), max(1, int(src.width / scale)))
        prob = src.read(1, out_shape=shape, masked=True).filled(np.nan)
        b = src.bounds
        extent = (b.left, b.right, b.bottom, b.top)
        if inventory is not None:
            inventory = inventory.to_crs(src.crs)
        # zooms: around the largest mapped landslide and the largest predicted one
        targets = []
        for gdf in (inventory, predicted):
            if gdf is not None and len(gdf):
                geom = gdf.geometry.iloc[int(np.argmax(gdf.geometry.area.values))]
                targets.append(geom.buffer(max(150.0, np.sqrt(geom.area))).bounds)
        zooms = []
        for t in targets[:2]:
            win = from_bounds(*t, transform=src.transform).round_offsets().round_lengths()
            win = win.intersection(rasterio.windows.Window(0, 0, src.width, src.height))
            zooms.append((src.read(1, window=win, masked=True).filled(np.nan),
                          rasterio.windows.bounds(win, src.transform)))
    fig, axes = plt.subplots(1, 1 + len(zooms), figsize=(6 + 3.5 * len(zooms), 5.5),
                             squeeze=False, gridspec_kw={"width_ratios": [2] + [1] * len(zooms)})
    axes = axes[0]
    panels = [(prob, extent, "whole area")] + [
        (z, (zb[0], zb[2], zb[1], zb[3]), f"zoom {n + 1}") for n, (z, zb) in enumerate(zooms)]
    cmap = plt.get_cmap("magma").copy()
    cmap.set_bad("0.85")
    for ax, (img, ext, title) in zip(axes, panels, strict=True):
        im = ax.imshow(img, extent=ext, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        if inventory is not None and len(inventory):
            inventory.boundary.plot(ax=ax, color="c", linewidth=0.6)
        if len(predicted):
            predicted.boundary.plot(ax=ax, color="w", linewidth=0.5, linestyle="--")
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
        ax.set_title(title, fontsize=9)
        # map coordinates in km, few ticks: metre offsets like "1e6" are unreadable
        km = FuncFormatter(lambda v, _: f"{v / 1e3:.1f}")
        ax.xaxis.set_major_formatter(km)
        ax.yaxis.set_major_formatter(km)
        ax.locator_params(nbins=4)
        ax.set_xlabel("easting (km)", fontsize=8)
        ax.set_ylabel("northing (km)", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.colorbar(im, ax=list(axes), shrink=0.7, label="landslide probability")
    fig.suptitle("mapped landslides (cyan), predicted polygons (white dashed)", fontsize=9)
    return fig


def plot_scaling(rows: Any) -> Figure:
    """Whole-area prediction benchmark: km² per minute and peak memory against area size.

    Parameters
    ----------
    rows
        ``predict_area`` lines of ``benchmarks/predict_area.py`` (DataFrame with ``km2``,
        ``km2_per_min`` and ``peak_rss_mb``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    axes[0].plot(rows["km2"], rows["km2_per_min"], "o-")
    axes[0].set_ylabel("km² per minute")
    axes[1].plot(rows["km2"], rows["peak_rss_mb"], "o-")
    axes[1].set_ylabel("peak RSS (MB)")
    axes[1].set_ylim(bottom=0)  # flat memory should look flat, not zoomed-in noise
    for ax in axes:
        ax.set_xlabel("area (km²)")
    fig.tight_layout()
    return fig
