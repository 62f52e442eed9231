"""Figure of plain versus overlap-blended whole-area prediction around one landslide.

Maps the generated quick area twice with one saved model bundle: plain, non-overlapping tiles
(``overlap=0``) and overlapping tiles blended with Hann weights (``overlap`` pixels, default
half a tile). It writes a PNG of three maps (plain and blended above, |difference| below, with
a key) cropped around the inventory landslide around which the two differ most, with the plain
tiles' borders marked, the landslide outline, grey = no data, colour bars and km scale bars.

    FCAD_SHARED_DATA=/work/shared/data .venv/bin/python benchmarks/blend_figure.py \
        runs/quick/experiments/fcadensenet_random_seed0_b9caa600 \
        book/figures/blend_vs_plain.png
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import rasterio  # noqa: E402
from scipy import ndimage  # noqa: E402

from fcad_lib.bundle import load_bundle  # noqa: E402
from fcad_lib.data.stack_io import write_factor_stack  # noqa: E402
from fcad_lib.data.study_area import load_study_area  # noqa: E402
from fcad_lib.plots.style import add_colorbar, add_scale_bar  # noqa: E402
from fcad_lib.predict.sequential import predict_raster  # noqa: E402
from fcad_lib.predict.tiling import seam_score, tile_starts  # noqa: E402


def read_prob(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1).astype(np.float64)


def pick_landslide(label: np.ndarray, diff: np.ndarray, tile: int,
                   min_px: int = 20) -> tuple[np.ndarray, tuple]:
    """The landslide (at least ``min_px`` pixels, inside the data) that tiling changes most.

    Score: mean |plain - blended| over the landslide widened by 8 pixels, among landslides whose
    surrounding window (3 tiles wide) is at least 95 % valid.
    """
    regions, _ = ndimage.label(label > 0)
    h, w = label.shape
    best, best_score = None, -1.0
    for k, sl in enumerate(ndimage.find_objects(regions), start=1):
        if sl is None:
            continue
        obj = regions == k
        if obj.sum() < min_px:
            continue
        cy = (sl[0].start + sl[0].stop) // 2
        cx = (sl[1].start + sl[1].stop) // 2
        half = int(1.5 * tile)
        win = diff[max(cy - half, 0):min(cy + half, h), max(cx - half, 0):min(cx + half, w)]
        if win.size < (2 * half) ** 2 * 0.9 or np.isfinite(win).mean() < 0.95:
            continue
        near = ndimage.binary_dilation(obj, iterations=8)
        score = float(np.nanmean(diff[near]))
        if score > best_score:
            best, best_score = k, score
    if best is None:  # no landslide fits: take the largest
        sizes = ndimage.sum(label > 0, regions, index=np.arange(1, regions.max() + 1))
        best = int(np.argmax(sizes)) + 1
    sl = ndimage.find_objects(regions)[best - 1]
    return regions == best, sl


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundle", type=Path,
                    help="saved model bundle (model.keras + preprocessing.json)")
    ap.add_argument("out", type=Path, help="PNG to write")
    ap.add_argument("--area", default="generated_quick")
    ap.add_argument("--resolution", type=float, default=12.5, help="pixel size in metres")
    ap.add_argument("--overlap", type=int, default=None, help="blend overlap (default tile/2)")
    args = ap.parse_args()

    model, prep = load_bundle(args.bundle)
    tile = int(prep.patch_size)
    overlap = tile // 2 if args.overlap is None else args.overlap
    ds = load_study_area(args.area, resolution_m=args.resolution)
    label = ds["label"].values
    with tempfile.TemporaryDirectory() as tmp:
        stack = write_factor_stack(ds, Path(tmp) / "factors.tif")
        plain_res = predict_raster(model, prep, stack, Path(tmp) / "plain", overlap=0,
                                   progress=False)
        blend_res = predict_raster(model, prep, stack, Path(tmp) / "blend", overlap=overlap,
                                   progress=False)
        plain = read_prob(Path(plain_res.probability))
        blended = read_prob(Path(blend_res.probability))
    diff = np.abs(plain - blended)
    print(f"seam score plain {seam_score(plain, tile, 0):.4f}, "
          f"blended {seam_score(blended, tile, 0):.4f} (on the plain tiling's borders); "
          f"mean |diff| {np.nanmean(diff):.4f}, max {np.nanmax(diff):.4f}")

    mask, sl = pick_landslide(label, diff, tile)
    h, w = plain.shape
    cy = (sl[0].start + sl[0].stop) // 2
    cx = (sl[1].start + sl[1].stop) // 2
    half = int(1.5 * tile)
    y0, y1 = max(cy - half, 0), min(cy + half, h)
    x0, x1 = max(cx - half, 0), min(cx + half, w)
    px_km = args.resolution / 1000.0
    extent = (0, (x1 - x0) * px_km, (y1 - y0) * px_km, 0)

    # two rows at about the width of the book's text column, so that it is not shrunk: 16 pt
    # fonts at 80 dpi read at about 12 pt on the page (three maps in a row read at 6 pt)
    plt.rcParams.update({"font.size": 16})
    fig = plt.figure(figsize=(10.5, 9.4), layout="constrained")
    grid = fig.add_gridspec(2, 2)
    axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]),
            fig.add_subplot(grid[1, 0])]
    key = fig.add_subplot(grid[1, 1])
    titles = ["Plain tiling (no overlap)", f"Blended ({overlap} px, Hann)",
              "|plain − blended|"]
    dmax = max(float(np.nanpercentile(diff[y0:y1, x0:x1], 99.5)), 1e-3)
    # one probability scale for both maps, stretched to the crop so that seams are visible
    pmax = float(np.nanpercentile(np.concatenate([plain[y0:y1, x0:x1].ravel(),
                                                  blended[y0:y1, x0:x1].ravel()]), 99.5))
    pmax = min(max(pmax, 0.05), 1.0)
    clipped = max(np.nanmax(plain[y0:y1, x0:x1]), np.nanmax(blended[y0:y1, x0:x1])) > pmax
    for ax, arr, title in zip(axes, (plain, blended, diff), titles, strict=True):
        crop = arr[y0:y1, x0:x1]
        if title.startswith("|"):
            cmap = plt.get_cmap("magma").with_extremes(bad="0.8")
            im = ax.imshow(crop, cmap=cmap, vmin=0, vmax=dmax, extent=extent,
                           interpolation="nearest")
            add_colorbar(fig, im, ax, "|difference|",
                         extend="max" if np.nanmax(crop) > dmax else "neither")
        else:
            cmap = plt.get_cmap("viridis").with_extremes(bad="0.8")
            im = ax.imshow(crop, cmap=cmap, vmin=0, vmax=pmax, extent=extent,
                           interpolation="nearest")
        ax.contour(mask[y0:y1, x0:x1], levels=[0.5], colors="cyan", linewidths=2.5,
                   extent=(0, extent[1], 0, extent[2]), origin="upper")
        # borders of the plain tiles (where plain tiling can show seams): red ticks on the frame,
        # not lines over the map, so that the seams themselves stay visible
        ax.set_xticks([(s - x0) * px_km for s in tile_starts(w, tile, 0)[1:] if x0 < s < x1],
                      minor=True)
        ax.set_yticks([(s - y0) * px_km for s in tile_starts(h, tile, 0)[1:] if y0 < s < y1],
                      minor=True)
        ax.tick_params(which="minor", length=14, width=3, color="red", direction="inout")
        ax.set_xticks([])  # the scale bar gives the size: the maps keep the room
        ax.set_yticks([])
        ax.set_title(title)
        add_scale_bar(ax, extent[1], 1.0)
    # the two probability maps share one colour bar: the same scale, one label
    add_colorbar(fig, axes[0].images[0], axes[:2], "landslide probability",
                 extend="max" if clipped else "neither")
    key.axis("off")
    key.text(0.0, 0.95, "\n".join([
        f"{args.area}", f"{args.resolution:g} m pixels, {tile} px tiles", "",
        "cyan: inventory landslide", "red ticks: plain tile borders", "grey: no data"]),
        va="top", ha="left", transform=key.transAxes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=80)
    print(f"probability colour scale 0 to {pmax:.3f}; |difference| scale 0 to {dmax:.3f}")
    print(f"wrote {args.out} (crop rows {y0}:{y1}, cols {x0}:{x1}, 1 px = {args.resolution:g} m)")


if __name__ == "__main__":
    main()
