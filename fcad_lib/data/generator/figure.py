"""The figure of ``book/generated_area.md``: the generated area and its confounders.

``python -m fcad_lib.data.generator.figure book/figures/generated_area.png`` draws the
``generated_quick`` area of the manifest (six panels, under 300 kB).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from PIL import Image  # noqa: E402

from fcad_lib.data.generator.scene import Scene, generate_scene  # noqa: E402
from fcad_lib.data.manifest import get_area  # noqa: E402

__all__ = ["confounder_figure"]

_BARE = ("quarry", "construction", "road", "river_bar", "outcrop")


def _outline(ax, mask: np.ndarray, colour: str) -> None:
    if mask.any():
        ax.contour(mask.astype(float), [0.5], colors=colour, linewidths=0.6)


def confounder_figure(scene: Scene, path: str | os.PathLike[str], dpi: int = 72) -> Path:
    """Six panels: optical image, deformation rate, what moves, what is bare, and the labels.

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
    L, c = scene.layers, scene.components
    label, real = c["label"] > 0, c["ids_true"] > 0
    unmapped = np.isin(c["ids_true"], [i + 1 for i, s in enumerate(scene.slides) if not s.mapped])
    fig, ax = plt.subplots(2, 3, figsize=(13.5, 9.2))
    rgb = np.clip(np.stack([L["B4"], L["B3"], L["B2"]], -1) / 0.22, 0, 1)
    ax[0, 0].imshow(rgb)
    _outline(ax[0, 0], label, "yellow")
    ax[0, 0].set_title("B4-B3-B2 (clouds, haze, shadows)\nyellow: inventory")
    im = ax[0, 1].imshow(L["deformation_rate"], cmap="RdBu", vmin=-30, vmax=30)
    _outline(ax[0, 1], label, "k")
    fig.colorbar(im, ax=ax[0, 1], shrink=0.8, label="LOS mm/yr")
    ax[0, 1].set_title("deformation rate (NaN white)\nblack: inventory")
    sources = sum(c[k] for k in ("los_consolidation", "los_bowls", "los_creep",
                                 "los_unwrapping", "los_seasonal", "los_dem_error"))
    im = ax[0, 2].imshow(np.where(c["water"], np.nan, sources), cmap="RdBu", vmin=-30, vmax=30)
    fig.colorbar(im, ax=ax[0, 2], shrink=0.8, label="LOS mm/yr")
    ax[0, 2].set_title("deformation that is not a landslide\n"
                       "(consolidation, bowls, unwrapping, creep)")
    im = ax[1, 0].imshow(np.where(real, c["los_landslides"], np.nan), cmap="RdBu", vmin=-30,
                         vmax=30)
    _outline(ax[1, 0], label, "k")
    _outline(ax[1, 0], unmapped, "m")
    ax[1, 0].set_title("landslide motion in LOS (true bodies)\nblack: inventory, magenta: unmapped")
    classes = np.zeros(label.shape)
    for k, name in enumerate(_BARE, start=1):
        classes[c[f"bare_{name}"]] = k
    classes[c["shadow"] & (classes == 0)] = len(_BARE) + 1
    classes[real] = len(_BARE) + 2
    colours = ["white", "tab:orange", "tab:red", "black", "gold", "tab:brown", "tab:blue",
               "tab:green"]
    ax[1, 1].imshow(classes, cmap=ListedColormap(colours), vmin=0, vmax=len(colours) - 1,
                    interpolation="nearest")
    names = [*_BARE, "shadow", "landslide"]
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[k + 1]) for k in range(len(names))]
    ax[1, 1].legend(handles, names, loc="lower left", fontsize=7, framealpha=0.8)
    ax[1, 1].set_title("bare look-alikes and shadows")
    ndvi = (L["B8"] - L["B4"]) / (L["B8"] + L["B4"])
    im = ax[1, 2].imshow(ndvi, cmap="BrBG", vmin=-0.2, vmax=0.9)
    _outline(ax[1, 2], label, "k")
    fig.colorbar(im, ax=ax[1, 2], shrink=0.8, label="NDVI")
    ax[1, 2].set_title("NDVI (texture inside landslides)")
    for a in ax.flat:
        a.set_xticks([])
        a.set_yticks([])
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    # A 256-colour palette keeps the page's figure small (the panels use few colours).
    with Image.open(out) as img:
        img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
            out, optimize=True)
    return out


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m fcad_lib.data.generator.figure OUT.png [--area NAME]``."""
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
