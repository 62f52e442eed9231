"""Shared look of the book's figures: fonts, colour maps and limits, colour bars, scale bars.

The book is read in a browser about 1400 px wide, where a figure is shrunk to the content column
(roughly 800-1100 px). Fonts are therefore set large at drawing time, maps get a colour bar with
units and extend arrows, and every map carries a scale bar in km.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm, Colormap, ListedColormap
from matplotlib.font_manager import FontProperties
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

F = TypeVar("F", bound=Callable[..., Any])

#: rc settings used while a book figure is drawn (text sizes are fixed when artists are made).
BOOK_RC = {
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "figure.titlesize": 15,
    "figure.dpi": 100,
}

# Colour maps per factor, chosen so that the quantity reads at a glance: diverging for the signed
# LOS rate, cyclic for aspect, and no blue at the low end of elevation (valleys must not look wet):
# elevation uses the land part of `terrain` only (green lowlands -> brown -> white peaks).
FACTOR_CMAPS = {
    "deformation_rate": "RdBu",
    "B2": "Blues_r",
    "B3": "Greens_r",
    "B4": "Reds_r",
    "B8": "Greys_r",
    "elevation": "terrain_land",
    "slope": "YlOrBr",
    "aspect": "twilight",
    "curvature": "PuOr",
}

#: Upper percentile of |rate| for the deformation colour limits: landslides and subsidence bowls
#: cover well under 1 % of an area, so the 99th percentile would saturate exactly the signal.
DEFORMATION_PERCENTILE = 99.8

#: Factors whose values are class codes: drawn with one colour per class and a named legend.
CATEGORICAL_FACTORS = ("lithology", "landcover", "land_cover")

#: Class names that mean open water (the first such class is drawn blue). Not "river": Balakot's
#: "Bare ground (river beds, terraces)" is land.
WATER_WORDS = ("water", "lake", "reservoir")


def book_style(func: F) -> F:
    """Decorator: draw the figure under :data:`BOOK_RC`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with plt.rc_context(BOOK_RC):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def extent_km(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    """``imshow`` extent (left, right, bottom, top) in km from cell-centre coordinates in metres."""
    dx = abs(float(x[1] - x[0])) if x.size > 1 else 1.0
    dy = abs(float(y[1] - y[0])) if y.size > 1 else 1.0
    return (
        (x.min() - dx / 2) / 1e3,
        (x.max() + dx / 2) / 1e3,
        (y.min() - dy / 2) / 1e3,
        (y.max() + dy / 2) / 1e3,
    )


def robust_limits(
    name: str, values: np.ndarray, percentile: float | None = None
) -> tuple[float | None, float | None, str]:
    """Colour limits from percentiles, and which ends of the data lie beyond them.

    Parameters
    ----------
    name : str
        Factor name; ``deformation_rate`` gets limits symmetric about zero (motion toward and
        away from the satellite read equally), ``aspect`` the full circle 0-360 degrees.
    values : numpy.ndarray
        The raster; NaN is ignored.
    percentile : float, optional
        Upper percentile (of ``|values|`` for the deformation rate, else of the values; the lower
        one is ``100 - percentile``). Default :data:`DEFORMATION_PERCENTILE` for the deformation
        rate, 99 otherwise.

    Returns
    -------
    vmin, vmax : float or None
        None when no value is finite.
    extend : str
        Matplotlib's colour-bar ``extend`` (``"neither"``, ``"min"``, ``"max"``, ``"both"``):
        arrows mark that some pixels are beyond the limits, so a saturated colour never passes
        silently for the true value.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, None, "neither"
    if name == "aspect":
        return 0.0, 360.0, "neither"
    if percentile is None:
        percentile = DEFORMATION_PERCENTILE if name == "deformation_rate" else 99.0
    if name == "deformation_rate":
        m = float(np.percentile(np.abs(finite), percentile)) or float(np.abs(finite).max()) or 1.0
        lo, hi = -m, m
    else:
        lo, hi = (float(v) for v in np.percentile(finite, [100 - percentile, percentile]))
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
    below, above = bool(finite.min() < lo), bool(finite.max() > hi)
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max",
              (True, True): "both"}[(below, above)]
    return lo, hi, extend


def range_note(values: np.ndarray, extend: str, fmt: str = "{:+.1f}") -> str:
    """`` (data −43.2 … +9.8)`` when the colour limits clip the data, else an empty string."""
    finite = values[np.isfinite(values)]
    if extend == "neither" or finite.size == 0:
        return ""
    return f" (data {fmt.format(finite.min())} … {fmt.format(finite.max())})".replace("-", "−")


def _terrain_land() -> Colormap:
    """``terrain`` without its blue (water) quarter: green lowlands, brown slopes, white peaks."""
    colours = plt.get_cmap("terrain")(np.linspace(0.25, 1.0, 256))
    return ListedColormap(colours, name="terrain_land")


def factor_cmap(name: str) -> Colormap:
    """The colour map of a factor, with masked (NaN) pixels light grey, never a value."""
    cmap_name = FACTOR_CMAPS.get(name, "viridis")
    cmap = _terrain_land() if cmap_name == "terrain_land" else plt.get_cmap(cmap_name)
    return cmap.with_extremes(bad="0.85")


def class_colours(n: int) -> list[tuple[float, float, float, float]]:
    """``n`` distinct colours: tab20's ten strong hues first, then their light partners.

    Blue comes last among the strong hues, so that the first class (often valley-floor deposits)
    is not drawn in the colour of water. Above 20 classes, colours are spread evenly over
    ``gist_ncar`` (some become similar).
    """
    if n <= 20:
        tab = plt.get_cmap("tab20").colors
        return [tab[i] for i in (*range(2, 20, 2), 0, *range(3, 20, 2), 1)][:n]
    return [plt.get_cmap("gist_ncar")(v) for v in np.linspace(0.05, 0.95, n)]


def categorical(
    values: np.ndarray, names: Mapping[int, str] | None = None, max_chars: int = 28
) -> tuple[np.ndarray, ListedColormap, BoundaryNorm, list[str]]:
    """Class codes recoded to 0..n-1 with one distinct colour and one named tick per class.

    Parameters
    ----------
    values : numpy.ndarray
        Class codes (float with NaN for no data).
    names : mapping of int to str, optional
        Class names by code (manifest, GDAL ``.aux.xml`` or the shapefile's attribute table);
        codes without a name are labelled ``class <code>``.
    max_chars : int
        Longer names are shortened with an ellipsis.

    Returns
    -------
    index : numpy.ndarray
        Class index per pixel, NaN where ``values`` is NaN.
    cmap, norm
        Colour map and norm for ``imshow(index, cmap=cmap, norm=norm)``.
    labels : list of str
        ``"<code> <name>"`` per class, for the colour bar ticks.
    """
    names = dict(names or {})
    finite = np.isfinite(values)
    codes = np.unique(values[finite]).astype(int)
    index = np.full(values.shape, np.nan, dtype="float32")
    index[finite] = np.searchsorted(codes, values[finite].astype(int))
    colours = class_colours(max(1, codes.size))
    water = plt.get_cmap("tab20").colors[0]
    for k, c in enumerate(codes):  # a class that is water keeps the blue, wherever it sorts
        if any(w in str(names.get(int(c), "")).lower() for w in WATER_WORDS):
            if water in colours:
                j = colours.index(water)
                colours[k], colours[j] = colours[j], colours[k]
            else:
                colours[k] = water
            break
    cmap = ListedColormap(colours).with_extremes(bad="0.85")
    norm = BoundaryNorm(np.arange(-0.5, max(1, codes.size) + 0.5), cmap.N)
    labels = []
    for c in codes:
        name = str(names.get(int(c), f"class {c}"))
        if len(name) > max_chars:
            name = name[: max_chars - 1] + "…"
        labels.append(f"{c} {name}" if int(c) in names else name)
    return index, cmap, norm, labels


def add_colorbar(fig: Any, im: Any, ax: Any, label: str, extend: str = "neither",
                 ticks: Sequence[float] | None = None,
                 ticklabels: Sequence[str] | None = None) -> Any:
    """A colour bar beside ``ax`` with its units in ``label`` and extend arrows when clipped."""
    cb = fig.colorbar(im, ax=ax, shrink=0.85, extend=extend, ticks=ticks)
    if ticklabels is not None:
        cb.ax.set_yticklabels(ticklabels)
    cb.set_label(label)
    return cb


def nice_length(span: float) -> float:
    """A round length (1, 2 or 5 x 10^k) of about a quarter of ``span``."""
    if span <= 0:
        return 1.0
    target = span / 4
    power = 10 ** np.floor(np.log10(target))
    return float(max(m * power for m in (1, 2, 5) if m * power <= target))


def add_scale_bar(
    ax: Any, span: float, units_per_km: float = 1.0, loc: str = "lower left"
) -> float:
    """Draw a scale bar in km (or m when shorter than 1 km) on a map axis.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The map.
    span : float
        Width of the map in axis units.
    units_per_km : float
        Axis units per km: 1 when the axis is in km, 1000 in metres, 1/pixel_km in pixels.
    loc : str
        Corner of the bar.

    Returns
    -------
    float
        The bar's length in km.
    """
    length_km = nice_length(span / units_per_km)
    text = f"{length_km:g} km" if length_km >= 1 else f"{length_km * 1000:g} m"
    bar = AnchoredSizeBar(ax.transData, length_km * units_per_km, text, loc, pad=0.4,
                          color="k", frameon=True, size_vertical=span / 120,
                          fontproperties=FontProperties(size=plt.rcParams["font.size"] - 1))
    bar.patch.set_alpha(0.75)
    ax.add_artist(bar)
    return length_km


def hillshade(elevation: np.ndarray, pixel_m: float = 1.0) -> np.ndarray:
    """Shaded relief of a DEM in 0..1 (light from the north-west, 45° high), NaN where it is NaN.

    A relief reads as terrain under a semi-transparent overlay, where elevation drawn in one
    grey ramp shows only the largest valleys.
    """
    from matplotlib.colors import LightSource

    finite = np.isfinite(elevation)
    filled = np.where(finite, elevation, np.nanmean(elevation) if finite.any() else 0.0)
    shade = LightSource(azdeg=315, altdeg=45).hillshade(filled, dx=pixel_m, dy=pixel_m)
    return np.where(finite, shade, np.nan)


def fading_cmap(name: str = "YlOrRd", opaque_from: float = 0.5,
                max_alpha: float = 0.9) -> Colormap:
    """A colour map that is transparent at its low end, for an overlay on a backdrop.

    Parameters
    ----------
    name : str
        Matplotlib colour map; a light low end (``YlOrRd``) keeps a faint value from darkening
        the backdrop.
    opaque_from : float
        Fraction of the range from which the colour has its full opacity; below it the opacity
        grows linearly from 0.
    max_alpha : float
        Opacity of the high end.

    Returns
    -------
    matplotlib.colors.Colormap
        Masked (NaN) values fully transparent.
    """
    x = np.linspace(0.0, 1.0, 256)
    colours = plt.get_cmap(name)(x)
    colours[:, 3] = max_alpha * np.clip(x / opaque_from, 0.0, 1.0)
    return ListedColormap(colours, name=f"{name}_fading").with_extremes(bad=(0, 0, 0, 0))
