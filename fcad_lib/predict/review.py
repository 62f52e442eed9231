"""A four-class review map from probability and uncertainty, and whether uncertainty finds errors.

Rule (one threshold on each band): a pixel is *uncertain* when its uncertainty is at least
``cutoff`` (by default the ``quantile`` = 0.9 quantile of the map's finite uncertainty, i.e.
the most uncertain 10 % of pixels). Then

============================  ============================  =====
probability >= ``threshold``  uncertain                     class
============================  ============================  =====
no                            no                            0 non-landslide
yes                           no                            1 landslide
no                            yes                           2 potential miss
yes                           yes                           3 potential false alarm
============================  ============================  =====

Nodata (either band ``NaN``) is :data:`REVIEW_NODATA`. A reviewer looks at classes 2 and 3
first. :func:`error_auroc` measures whether that is worth it: the AUROC of the uncertainty as a
score for the pixels the thresholded map gets wrong (0.5 = uncertainty says nothing about
errors, 1 = every wrong pixel is more uncertain than every right one). That pooled AUROC mixes
false alarms (high probability) and misses (low probability): when most errors are of one kind
and the uncertainty grows with the probability, it is high whatever the uncertainty knows.
:func:`error_auroc_by_side` asks the review map's own two questions instead, on each side of
the threshold.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio

from fcad_lib.data.geotiff import CreationOptions, atomic_path, tiled_profile

#: Class names of the review map, by value.
REVIEW_CLASSES = ("non-landslide", "landslide", "potential miss", "potential false alarm")
#: Colours of the classes (RGB 0-255): grey, red, orange, blue.
REVIEW_COLOURS = ((200, 200, 200), (200, 30, 30), (255, 150, 0), (40, 110, 220))
#: Nodata value of the review map (``uint8``).
REVIEW_NODATA = 255
#: Default quantile of the uncertainty above which a pixel is uncertain.
REVIEW_QUANTILE = 0.9


def uncertainty_cutoff(uncertainty: np.ndarray, quantile: float = REVIEW_QUANTILE) -> float:
    """The ``quantile`` of the finite uncertainty values (``NaN`` when there are none)."""
    values = np.asarray(uncertainty, dtype="float64")
    values = values[np.isfinite(values)]
    return float(np.quantile(values, quantile)) if values.size else float("nan")


def review_map(probability: np.ndarray, uncertainty: np.ndarray, threshold: float,
               cutoff: float) -> np.ndarray:
    """Four-class review map (``uint8``, classes :data:`REVIEW_CLASSES`, nodata 255).

    Parameters
    ----------
    probability : numpy.ndarray
        Probability (mean over the passes), ``NaN`` = nodata.
    uncertainty : numpy.ndarray
        Standard deviation over the passes, same shape.
    threshold : float
        Probability threshold of the binary map.
    cutoff : float
        Uncertainty at or above which a pixel is uncertain (:func:`uncertainty_cutoff`).

    Returns
    -------
    numpy.ndarray
        ``landslide + 2 * uncertain`` (see the module's table), 255 where either band is ``NaN``.
    """
    p = np.asarray(probability, dtype="float64")
    u = np.asarray(uncertainty, dtype="float64")
    valid = np.isfinite(p) & np.isfinite(u)
    with np.errstate(invalid="ignore"):
        review = (p >= threshold).astype("uint8") + 2 * (u >= cutoff).astype("uint8")
    review[~valid] = REVIEW_NODATA
    return review


def error_auroc(probability: np.ndarray, uncertainty: np.ndarray, truth: np.ndarray,
                threshold: float) -> float:
    """AUROC of the uncertainty as a detector of the misclassified pixels.

    A pixel is misclassified when ``probability >= threshold`` differs from ``truth`` (1 =
    landslide). Pixels with a ``NaN`` band or a truth other than 0/1 are left out.

    Returns
    -------
    float
        :func:`sklearn.metrics.roc_auc_score` of (misclassified, uncertainty); ``NaN`` when all
        pixels are right or all are wrong.
    """
    p, u, t = _labelled(probability, uncertainty, truth)
    return _auroc((p >= threshold) != (t == 1), u)


def _labelled(probability: np.ndarray, uncertainty: np.ndarray, truth: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The flat pixels with both bands finite and a 0/1 truth."""
    p = np.asarray(probability, dtype="float64").ravel()
    u = np.asarray(uncertainty, dtype="float64").ravel()
    t = np.asarray(truth, dtype="float64").ravel()
    keep = np.isfinite(p) & np.isfinite(u) & np.isin(t, (0, 1))
    return p[keep], u[keep], t[keep]


def _auroc(positive: np.ndarray, score: np.ndarray) -> float:
    """AUROC of ``score`` for ``positive``; ``NaN`` when either class is empty."""
    from sklearn.metrics import roc_auc_score  # scikit-learn only when scoring

    if positive.all() or not positive.any():
        return float("nan")
    return float(roc_auc_score(positive, score))


@dataclass(frozen=True)
class ErrorsBySide:
    """Whether the uncertainty finds the errors on each side of the threshold.

    Attributes
    ----------
    false_alarm_auroc : float
        Among the pixels mapped landslide, AUROC of the uncertainty for the false alarms (does
        class 3 pick them out of class 1?); ``NaN`` without both kinds.
    miss_auroc : float
        Among the pixels mapped non-landslide, AUROC of the uncertainty for the misses (class 2
        against class 0); ``NaN`` without both kinds.
    false_alarm_share : float
        Share of the misclassified pixels that are false alarms (``NaN`` without errors).
    """

    false_alarm_auroc: float
    miss_auroc: float
    false_alarm_share: float


def error_auroc_by_side(probability: np.ndarray, uncertainty: np.ndarray, truth: np.ndarray,
                        threshold: float) -> ErrorsBySide:
    """AUROC of the uncertainty for the errors, separately above and below the threshold.

    Same pixels as :func:`error_auroc`. Above the threshold the errors are false alarms, below
    it misses, so within a side the uncertainty competes only with the right pixels mapped
    the same way: the split the review map makes.

    Returns
    -------
    ErrorsBySide
    """
    p, u, t = _labelled(probability, uncertainty, truth)
    above = p >= threshold
    false_alarm, miss = above & (t == 0), ~above & (t == 1)
    n_wrong = int(false_alarm.sum() + miss.sum())
    return ErrorsBySide(
        false_alarm_auroc=_auroc(false_alarm[above], u[above]),
        miss_auroc=_auroc(miss[~above], u[~above]),
        false_alarm_share=float(false_alarm.sum() / n_wrong) if n_wrong else float("nan"))


def write_review(probability_path: str | os.PathLike, uncertainty_path: str | os.PathLike,
                 out_path: str | os.PathLike, threshold: float,
                 quantile: float = REVIEW_QUANTILE) -> tuple[Path, float]:
    """Write :func:`review_map` of two rasters as a ``uint8`` GeoTIFF with a colour table.

    The rasters are read whole (a review map is for an area a person looks at); the cutoff is
    the ``quantile`` of the uncertainty (:func:`uncertainty_cutoff`).

    Returns
    -------
    (pathlib.Path, float)
        The written file and the uncertainty cutoff used.
    """
    with rasterio.open(probability_path) as ps, rasterio.open(uncertainty_path) as us:
        prob, unc = ps.read(1), us.read(1)
        profile = tiled_profile(ps.width, ps.height, 1, "uint8", ps.crs, ps.transform,
                                REVIEW_NODATA, options=CreationOptions(predictor=2))
    cutoff = uncertainty_cutoff(unc, quantile)
    review = review_map(prob, unc, threshold, cutoff)
    out_path = Path(out_path)
    with atomic_path(out_path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(review, 1)
        dst.write_colormap(1, {i: (*rgb, 255) for i, rgb in enumerate(REVIEW_COLOURS)})
        dst.set_band_description(1, "review: " + ", ".join(
            f"{i} {name}" for i, name in enumerate(REVIEW_CLASSES)) +
            f" (uncertain: >= {cutoff:.4g}, the {quantile:g} quantile)")
    return out_path, cutoff


def review_shares(review: np.ndarray) -> dict[str, float]:
    """Share of the valid pixels in each review class.

    Parameters
    ----------
    review : numpy.ndarray
        :func:`review_map` (:data:`REVIEW_NODATA` = nodata).

    Returns
    -------
    dict
        :data:`REVIEW_CLASSES` name -> share of the valid pixels, in class order (0 each when no
        pixel is valid).
    """
    valid = review != REVIEW_NODATA
    n = max(int(valid.sum()), 1)
    return {name: float((review == i).sum() / n) for i, name in enumerate(REVIEW_CLASSES)}


#: Within this distance of 0.5 an AUROC reads as chance.
CHANCE_MARGIN = 0.05


def computable_sides(by_side: ErrorsBySide) -> tuple[float, ...]:
    """The within-side AUROCs of ``by_side`` that could be computed (false alarms first)."""
    return tuple(v for v in (by_side.false_alarm_auroc, by_side.miss_auroc) if np.isfinite(v))


def sides_at_chance(by_side: ErrorsBySide, margin: float = CHANCE_MARGIN) -> bool:
    """Whether every computable within-side AUROC is within ``margin`` of 0.5 (and one is)."""
    sides = computable_sides(by_side)
    return bool(sides) and all(abs(v - 0.5) <= margin for v in sides)
