"""Factor maps of an aligned stack (the paper's Figure 2)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from fcad_lib.plots.style import (
    CATEGORICAL_FACTORS,
    add_colorbar,
    add_scale_bar,
    book_style,
    categorical,
    extent_km,
    factor_cmap,
    range_note,
    robust_limits,
)


@book_style
def plot_factor_maps(
    ds: xr.Dataset,
    factors: Sequence[str] | None = None,
    outline: bool = True,
    ncols: int = 3,
    panel_size: float = 3.3,
    class_names: Mapping[str, Mapping[int, str]] | None = None,
) -> Figure:
    """Plot every factor of an aligned stack with a colour bar and units (paper Figure 2).

    Parameters
    ----------
    ds : xarray.Dataset
        Aligned stack from :func:`fcad_lib.data.study_area.load_study_area`.
    factors : sequence of str, optional
        Factors to draw; default ``ds.attrs["factors"]``.
    outline : bool
        Draw the landslide inventory (``label``) as black outlines on every panel.
    ncols : int
        Panels per row. The book shows figures at full width (about 1070 px at a 1400 px
        window), so three panels of 3.3 inches keep 13 pt text at about 16 px.
    panel_size : float
        Size of one panel in inches.
    class_names : mapping, optional
        ``{factor: {code: name}}`` for categorical factors (lithology, land cover), e.g. from
        :func:`fcad_lib.plots.legends.class_names_for_area`; a factor's ``class_names``
        attribute is used otherwise, and bare codes as a last resort.

    Returns
    -------
    matplotlib.figure.Figure
    """
    factors = list(factors or ds.attrs.get("factors", []))
    panels = factors + (["label"] if "label" in ds else [])
    ncols = max(1, min(ncols, len(panels)))
    if len(panels) <= 2:  # one or two maps: use the page's width for them
        panel_size *= 1.5
    nrows = max(1, math.ceil(len(panels) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size * ncols * 1.12, panel_size * nrows),
                             squeeze=False, layout="constrained")
    extent = extent_km(ds["x"].values, ds["y"].values)
    label = ds["label"].values if "label" in ds else None
    class_names = dict(class_names or {})
    for ax, name in zip(axes.flat, panels, strict=False):
        da = ds[name]
        values = da.values.astype("float32")
        if name == "label":
            values = np.where(ds["valid"].values if "valid" in ds else True, values, np.nan)
            cmap = plt.get_cmap("Greys").with_extremes(bad="0.85")
            im = ax.imshow(values, extent=extent, cmap=cmap, vmin=0, vmax=1,
                           interpolation="nearest")
            ax.set_title("landslide inventory")
            add_colorbar(fig, im, ax, "", ticks=[0, 1], ticklabels=["other", "landslide"])
        elif name in CATEGORICAL_FACTORS:
            names = class_names.get(name) or da.attrs.get("class_names") or {}
            index, cmap, norm, labels = categorical(values, names)
            im = ax.imshow(index, extent=extent, cmap=cmap, norm=norm, interpolation="nearest")
            ax.set_title(textwrap.fill(da.attrs.get("long_name", name), 30))
            cb = add_colorbar(fig, im, ax, "", ticks=list(range(len(labels))),
                              ticklabels=labels)
            # many classes: smaller tick labels, so that each stays beside its colour
            cb.ax.tick_params(labelsize=max(7, 12 - len(labels) // 3))
        else:
            vmin, vmax, extend = robust_limits(name, values)
            im = ax.imshow(values, extent=extent, cmap=factor_cmap(name), vmin=vmin, vmax=vmax,
                           interpolation="nearest")
            ax.set_title(textwrap.fill(da.attrs.get("long_name", name), 30))
            units = da.attrs.get("units", "") or "no unit"
            # the true range is written out where clipping would hide the signal of interest
            note = range_note(values, extend) if name == "deformation_rate" else ""
            add_colorbar(fig, im, ax, units + note, extend=extend)
        if outline and name != "label" and label is not None and label.any():
            ax.contour(label, levels=[0.5], colors="k", linewidths=0.5, extent=extent,
                       origin="upper")
        # map ticks in absolute km are noise at this size: a scale bar says the size instead
        ax.set_xticks([])
        ax.set_yticks([])
        add_scale_bar(ax, extent[1] - extent[0])
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    title = (f"{ds.attrs.get('area', '')}: factors on the {ds.attrs.get('resolution_m', '?')} m "
             f"grid ({ds.attrs.get('crs', '')}), north up")
    fig.suptitle(textwrap.fill(title, int(9 * fig.get_figwidth())))
    return fig
