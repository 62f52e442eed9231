"""The figure of ``book/generated_area.md``: the generated area and its confounders.

``python -m fcad_lib.plots.generated_area book/figures/generated_area.png`` draws the
``generated_quick`` area of the manifest (six panels, under 300 kB). It lives with the figures,
not in the generator: the data layer draws nothing.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from PIL import Image

from fcad_lib.data.generator import Scene, generate_scene
from fcad_lib.data.manifest import get_area
from fcad_lib.plots.style import BOOK_RC, add_scale_bar

__all__ = ["confounder_figure"]

_BARE = ("quarry", "construction", "road", "river_bar", "outcrop")
#: One point above the book's sizes: the page shows this figure shrunk to the text column.
_LARGER = {"font.size": 14, "axes.titlesize": 15, "axes.labelsize": 14, "xtick.labelsize": 13,
           "ytick.labelsize": 13, "legend.fontsize": 14}


def _extend(values: np.ndarray, lo: float, hi: float) -> str:
    """Colour-bar arrows for the ends of ``values`` beyond [lo, hi]."""
    finite = values[np.isfinite(values)]
    below = bool(finite.size and finite.min() < lo)
    above = bool(finite.size and finite.max() > hi)
    return {(False, False): "neither", (True, False): "min", (False, True): "max",
            (True, True): "both"}[(below, above)]


def _cax(ax):
    """An axis for a horizontal colour bar just under the map ``ax``."""
    return ax.inset_axes((0.06, -0.075, 0.88, 0.045))


def _outline(ax, mask: np.ndarray, colour: str, width: float = 0.8) -> None:
    if mask.any():
        ax.contour(mask.astype(float), [0.5], colors=colour, linewidths=width)


def confounder_figure(scene: Scene, path: str | os.PathLike[str], dpi: int = 72) -> Path:
    """Six panels: optical image, deformation rate, what moves, what is bare, and the labels.

    Drawn under the book's font sizes (:data:`fcad_lib.plots.style.BOOK_RC`), each panel with a
    scale bar in km, the colour bars with their units and the class legend beside its panel.

    Parameters
    ----------
    scene : Scene
        From :func:`fcad_lib.data.generator.generate_scene`.
    path : str or os.PathLike
        PNG to write (its folder is created).
    dpi : int
        Resolution; 72 keeps the file under 300 kB.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    with plt.rc_context({**BOOK_RC, **_LARGER}):
        fig = _draw(scene)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    # A 256-colour palette keeps the page's figure small (the panels use few colours).
    # MAXCOVERAGE keeps rare pure colours (yellow and magenta outlines, the gold class, the blue
    # end of the colour bars) that MEDIANCUT merges into their more frequent neighbours.
    with Image.open(out) as img:
        img.convert("RGB").quantize(colors=256, method=Image.Quantize.MAXCOVERAGE).save(
            out, optimize=True)
    return out


def _draw(scene: Scene) -> Figure:
    L, c = scene.layers, scene.components
    label, real = c["label"] > 0, c["ids_true"] > 0
    unmapped = np.isin(c["ids_true"], [i + 1 for i, s in enumerate(scene.slides) if not s.mapped])
    # A fixed grid with horizontal colour bars under the maps (constrained layout misplaces
    # vertical ones beside equal-aspect maps); each row keeps room for its 2-line titles.
    fig, ax = plt.subplots(2, 3, figsize=(12.6, 11.5),
                           gridspec_kw={"left": 0.01, "right": 0.99, "bottom": 0.11,
                                        "top": 0.94, "wspace": 0.05, "hspace": 0.36})
    los = "LOS rate (mm/yr)"
    rgb = np.clip(np.stack([L["B4"], L["B3"], L["B2"]], -1) / 0.22, 0, 1)
    ax[0, 0].imshow(rgb)
    _outline(ax[0, 0], label, "yellow")
    ax[0, 0].set_title("B4-B3-B2 (clouds, haze, shadows)\nyellow: inventory")
    im = ax[0, 1].imshow(L["deformation_rate"], cmap="RdBu", vmin=-30, vmax=30)
    _outline(ax[0, 1], label, "k")
    fig.colorbar(im, cax=_cax(ax[0, 1]), orientation="horizontal", label=los,
                 extend=_extend(L["deformation_rate"], -30, 30))
    ax[0, 1].set_title("deformation rate (NaN white)\nblack: inventory")
    sources = sum(c[k] for k in ("los_consolidation", "los_bowls", "los_creep",
                                 "los_unwrapping", "los_seasonal", "los_dem_error"))
    sources = np.where(c["water"], np.nan, sources)
    im = ax[0, 2].imshow(sources, cmap="RdBu", vmin=-30, vmax=30)
    fig.colorbar(im, cax=_cax(ax[0, 2]), orientation="horizontal", label=los,
                 extend=_extend(sources, -30, 30))
    ax[0, 2].set_title("not a landslide: consolidation,\nbowls, unwrapping, creep")
    moving = np.where(real, c["los_landslides"], np.nan)
    im = ax[1, 0].imshow(moving, cmap="RdBu", vmin=-30, vmax=30)
    fig.colorbar(im, cax=_cax(ax[1, 0]), orientation="horizontal", label=los,
                 extend=_extend(moving, -30, 30))
    _outline(ax[1, 0], label, "k")
    _outline(ax[1, 0], unmapped, "m", 1.2)
    ax[1, 0].set_title("landslide motion (true bodies)\n"
                       "black: inventory, magenta: unmapped")
    classes = np.zeros(label.shape)
    for k, name in enumerate(_BARE, start=1):
        classes[c[f"bare_{name}"]] = k
    classes[c["shadow"] & (classes == 0)] = len(_BARE) + 1
    classes[real] = len(_BARE) + 2
    colours = ["white", "tab:orange", "tab:red", "black", "gold", "tab:brown", "tab:blue",
               "tab:green"]
    ax[1, 1].imshow(classes, cmap=ListedColormap(colours), vmin=0, vmax=len(colours) - 1,
                    interpolation="nearest")
    names = [n.replace("_", " ") for n in (*_BARE, "shadow", "landslide")]
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[k + 1]) for k in range(len(names))]
    ax[1, 1].legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=2,
                    frameon=False, handlelength=1.2, columnspacing=1.5, borderaxespad=0,
                    labelspacing=0.3)
    ax[1, 1].set_title("bare look-alikes and shadows")
    ndvi = (L["B8"] - L["B4"]) / (L["B8"] + L["B4"])
    im = ax[1, 2].imshow(ndvi, cmap="BrBG", vmin=-0.2, vmax=0.9)
    _outline(ax[1, 2], label, "k")
    fig.colorbar(im, cax=_cax(ax[1, 2]), orientation="horizontal", label="NDVI (unitless)")
    ax[1, 2].set_title("NDVI (texture inside landslides)\nblack: inventory")
    pixel_m = abs(scene.transform.a)
    for a in ax.flat:
        a.set_xticks([])
        a.set_yticks([])
        add_scale_bar(a, label.shape[1], units_per_km=1000.0 / pixel_m)
    return fig


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m fcad_lib.plots.generated_area OUT.png [--area NAME]``."""
    matplotlib.use("Agg")  # a command line draws to a file, whatever the display
    parser = argparse.ArgumentParser(description="Figure of the generated area's confounders.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--area", default="generated_quick")
    args = parser.parse_args(argv)
    params = dict(get_area(args.area).generator.params)
    scene = generate_scene(params["seed"], params["size_px"], params["resolution_m"],
                           params["landslide_ratio"], params["crs"], params.get("confounders"))
    print(confounder_figure(scene, args.out))


if __name__ == "__main__":
    main()
