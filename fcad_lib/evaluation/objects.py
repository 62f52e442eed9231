"""Object-level (per-landslide) evaluation of predicted polygons against an inventory.

The paper scores pixels only, although it claims better detection of *small* landslides. Here each
inventory polygon is one object: it is **detected** when a predicted polygon matches it, and a
predicted polygon that matches no inventory polygon is a **false alarm**. Two matching rules:

* ``rule="iou"``: intersection over union of the two polygons ``>= iou_threshold`` (default 0.1:
  a predicted blob that covers a tenth of the joint footprint already points an analyst at the
  landslide, and mapped outlines of the same slide commonly disagree by that much);
* ``rule="centroid"``: the predicted polygon contains the reference polygon's centroid (for a
  strongly concave outline the centroid can fall outside it; such a slide is then only detectable
  with the IoU rule).

Size classes (by reference area; predicted polygons by their own area, for false alarms):

========  =========================  ==============================================
class     area                       at 12.5 m pixels (156.25 m2 per pixel)
========  =========================  ==============================================
small     < 5,000 m2                 < 32 px, e.g. under ~6 x 6 px
medium    5,000 - 50,000 m2          32 - 320 px
large     >= 50,000 m2               > 320 px, e.g. over ~18 x 18 px
========  =========================  ==============================================

Why these bounds: landslide frequency-area distributions roll over at a few thousand m2 (Malamud
et al. 2004, ESPL 29:687), so "small" = below the rollover, where inventories themselves are
incomplete; and a 32-px object is smaller than one cell of the 32x down-sampled bottleneck of a
five-pool FC-DenseNet, so the network sees it only through skip connections, which is the regime
the attention modules of FCADenseNet are claimed to help. 50,000 m2 (~ 320 px, a 128-px patch
holds ~50 of them) separates the slides that span several bottleneck cells.

Matching uses a spatial index (:meth:`geopandas.GeoSeries.sindex`, a shapely ``STRtree``) to find
intersecting pairs, so cost grows with the number of overlapping pairs, not with ``n x m``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

#: Upper bounds (m2) of the size classes; the last class is open-ended.
SIZE_CLASSES: tuple[tuple[str, float], ...] = (
    ("small", 5_000.0),
    ("medium", 50_000.0),
    ("large", float("inf")),
)


def size_class(area_m2: np.ndarray | pd.Series) -> np.ndarray:
    """Size-class name of each area (square metres), per :data:`SIZE_CLASSES`."""
    area = np.asarray(area_m2, dtype="float64")
    bounds = np.array([b for _, b in SIZE_CLASSES[:-1]])
    names = np.array([n for n, _ in SIZE_CLASSES])
    return names[np.searchsorted(bounds, area, side="right")]


def _pairs(predicted, reference) -> tuple[np.ndarray, np.ndarray]:
    """Positional (predicted, reference) index pairs whose geometries intersect."""
    if len(predicted) == 0 or len(reference) == 0:
        return np.empty(0, int), np.empty(0, int)
    ref_idx, pred_idx = predicted.sindex.query(reference, predicate="intersects")
    return pred_idx, ref_idx


def match_objects(
    predicted,
    reference,
    rule: str = "iou",
    iou_threshold: float = 0.1,
) -> pd.DataFrame:
    """Match predicted landslide polygons to reference (inventory) polygons.

    Parameters
    ----------
    predicted, reference
        ``GeoDataFrame`` of polygons in a projected CRS with metre units. ``reference`` is
        reprojected to ``predicted``'s CRS when they differ.
    rule
        ``"iou"`` or ``"centroid"`` (see the module docstring).
    iou_threshold
        Minimum IoU of a match for ``rule="iou"``.

    Returns
    -------
    pandas.DataFrame
        One row per object: ``kind`` (``"reference"`` / ``"predicted"``), ``index`` (the row label
        in its input frame), ``area_m2``, ``size_class``, ``matched`` (reference: detected;
        predicted: not a false alarm), ``best_iou`` (largest IoU with any object of the other
        kind, 0 if none) and ``n_matches``.
    """
    if rule not in ("iou", "centroid"):
        raise ValueError(f"rule must be 'iou' or 'centroid', got {rule!r}")
    if predicted.crs is not None and reference.crs is not None and predicted.crs != reference.crs:
        reference = reference.to_crs(predicted.crs)
    pred_geom = predicted.geometry.reset_index(drop=True)
    ref_geom = reference.geometry.reset_index(drop=True)
    pi, ri = _pairs(pred_geom, ref_geom)
    a = np.asarray(pred_geom.array, dtype=object)[pi]
    b = np.asarray(ref_geom.array, dtype=object)[ri]
    inter = shapely.area(shapely.intersection(a, b)).astype("float64")
    union = shapely.area(a) + shapely.area(b) - inter
    iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    if rule == "iou":
        ok = iou >= iou_threshold
    else:
        ok = np.asarray(shapely.contains(a, shapely.centroid(b)), dtype=bool)

    def side(kind, frame, geom, idx) -> pd.DataFrame:
        n = len(geom)
        best = np.zeros(n)
        np.maximum.at(best, idx, iou)
        n_matches = np.bincount(idx[ok], minlength=n) if n else np.zeros(0, int)
        area = np.asarray(geom.area, dtype="float64")
        return pd.DataFrame({
            "kind": kind,
            "index": frame.index.to_numpy(),
            "area_m2": area,
            "size_class": size_class(area) if n else np.empty(0, dtype=object),
            "matched": n_matches > 0,
            "best_iou": best,
            "n_matches": n_matches,
        })

    return pd.concat(
        [side("reference", reference, ref_geom, ri), side("predicted", predicted, pred_geom, pi)],
        ignore_index=True,
    )


def object_scores(match: pd.DataFrame) -> pd.DataFrame:
    """Detection rate and false alarms per size class and overall.

    Parameters
    ----------
    match
        Output of :func:`match_objects`.

    Returns
    -------
    pandas.DataFrame
        Indexed by size class (``small``, ``medium``, ``large``, ``all``): ``n_reference``,
        ``n_detected``, ``detection_rate`` (``n_detected / n_reference``; ``NaN`` when no
        reference object), ``n_predicted``, ``n_false_alarms`` and ``false_alarm_ratio``
        (``n_false_alarms / n_predicted``). Reference objects are classed by their own area, false
        alarms by the predicted polygon's area.
    """
    rows = {}
    classes = [n for n, _ in SIZE_CLASSES] + ["all"]
    for cls in classes:
        sel = match if cls == "all" else match[match["size_class"] == cls]
        ref = sel[sel["kind"] == "reference"]
        pred = sel[sel["kind"] == "predicted"]
        n_ref, n_det = len(ref), int(ref["matched"].sum())
        n_pred, n_fa = len(pred), int((~pred["matched"].astype(bool)).sum())
        rows[cls] = {
            "n_reference": n_ref,
            "n_detected": n_det,
            "detection_rate": n_det / n_ref if n_ref else float("nan"),
            "n_predicted": n_pred,
            "n_false_alarms": n_fa,
            "false_alarm_ratio": n_fa / n_pred if n_pred else float("nan"),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "size_class"
    return out


def restrict_to(gdf, region):
    """The polygons of ``gdf`` whose representative point lies inside ``region``.

    Used to score objects on held-out ground only (e.g. the test tiles of a split): a polygon
    belongs to the region where a point guaranteed to be inside it falls.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons, in the CRS of ``region``.
    region : shapely geometry
        E.g. from :func:`fcad_lib.training.experiments.split_footprint`.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    if len(gdf) == 0:
        return gdf
    points = shapely.point_on_surface(gdf.geometry.values)
    return gdf[shapely.contains(region, points)]
