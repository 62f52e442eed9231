"""Scores of a whole-area prediction against the area's landslide inventory.

``fcad-predict`` writes a probability raster and polygons; this module scores them as the book
scores its test tiles: the paper's five pixel scores (:mod:`fcad_lib.evaluation.metrics`) at the
map's threshold and the average precision, then object detection and false alarms by size
class (:mod:`fcad_lib.evaluation.objects`). The raster is read one block row at a time; the
inventory is burnt into each row with GDAL's rule (a pixel is a landslide when its centre is
inside a polygon), as the training labels were.
"""

from __future__ import annotations

import os
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.features import rasterize
from rasterio.windows import Window

from fcad_lib.data.geotiff import BLOCK_SIZE
from fcad_lib.evaluation.metrics import ConfusionCounts
from fcad_lib.evaluation.objects import match_objects, object_scores, restrict_to


def pixel_scores(probability: str | os.PathLike[str], inventory: gpd.GeoDataFrame,
                 threshold: float) -> dict[str, Any]:
    """The five pixel scores at ``threshold`` and the AP, over the raster's finite pixels.

    Parameters
    ----------
    probability : path
        One-band probability GeoTIFF (NaN = not scored).
    inventory : geopandas.GeoDataFrame
        Landslide polygons (any CRS; reprojected to the raster's).
    threshold : float
        A pixel is a landslide when its probability is ``>= threshold``.

    Returns
    -------
    dict
        ``pre``, ``rec``, ``f1``, ``kappa``, ``miou``, ``ap`` (None without a landslide
        pixel), the counts ``tp`` ``fp`` ``fn`` ``tn``, ``n_pixels`` and ``prevalence``.

    Notes
    -----
    The AP is exact (scikit-learn's), so it holds every scored pixel's label and probability:
    5 bytes a pixel.
    """
    from sklearn.metrics import average_precision_score

    counts = ConfusionCounts()
    labels, probs = [], []
    with rasterio.open(probability) as src:
        shapes = [g for g in inventory.to_crs(src.crs).geometry if g is not None and not g.is_empty]
        for r0 in range(0, src.height, BLOCK_SIZE):
            win = Window(0, r0, src.width, min(BLOCK_SIZE, src.height - r0))
            p = src.read(1, window=win)
            y = rasterize(((g, 1) for g in shapes), out_shape=p.shape, fill=0, dtype="uint8",
                          transform=src.window_transform(win)) if shapes else np.zeros_like(
                              p, "uint8")
            valid = np.isfinite(p)
            counts.update(y, np.nan_to_num(p), threshold, valid)
            labels.append(y[valid] > 0)
            probs.append(p[valid])
    yt, pr = np.concatenate(labels), np.concatenate(probs)
    ap = float(average_precision_score(yt, pr)) if yt.any() else None
    n = counts.n
    return {**counts.scores(), "ap": ap, **counts.as_dict(), "n_pixels": n,
            "prevalence": float(yt.sum() / n) if n else None}


def polygon_scores(polygons: gpd.GeoDataFrame, inventory: gpd.GeoDataFrame,
                   footprint: Any, rule: str = "iou", iou_threshold: float = 0.1
                   ) -> dict[str, dict[str, Any]]:
    """Detection and false alarms by size class, inventory restricted to the mapped ground.

    Parameters
    ----------
    polygons : geopandas.GeoDataFrame
        Predicted landslide polygons (``fcad-predict``'s ``polygons.gpkg``).
    inventory : geopandas.GeoDataFrame
        Reference polygons; those whose representative point is outside ``footprint`` are left
        out (the map could not have found them).
    footprint : shapely geometry
        The mapped ground, in the polygons' CRS.
    rule, iou_threshold
        Matching rule (:func:`fcad_lib.evaluation.objects.match_objects`).

    Returns
    -------
    dict
        Size class (``small``, ``medium``, ``large``, ``all``) -> its row of
        :func:`~fcad_lib.evaluation.objects.object_scores`.
    """
    reference = restrict_to(inventory.to_crs(polygons.crs).reset_index(drop=True), footprint)
    table = object_scores(match_objects(polygons, reference, rule=rule,
                                        iou_threshold=iou_threshold))
    return {cls: {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for cls, row in table.to_dict(orient="index").items()}


def raster_footprint(path: str | os.PathLike[str]) -> Any:
    """The raster's bounds as a shapely box, in its CRS."""
    with rasterio.open(path) as src:
        return shapely.box(*src.bounds)
