"""How much one landslide weighs on the pixel scores: test AP with and without the largest one.

Landslide areas are heavy-tailed (Malamud et al. 2004, ESPL 29:687). On the generated area one
body of about 1,570 labelled pixels lies in the test tiles of several blocked seeds and holds a
quarter of their positive pixels, so a pixel score partly measures whether a method finds that
one body. :func:`largest_object_table` gives, for every run, the largest labelled object in the
test tiles, its share of the positive test pixels, and the method's test AP with and without
the pixels of that object.

It is a sensitivity check, shown beside the published AP and never instead of it: which object
to leave out is decided by looking at the labels of the test tiles.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import ndimage
from sklearn.metrics import average_precision_score

from fcad_lib.evaluation.baselines import fit_pixel_gbt, pixels
from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.samples.prepared import PreparedData

__all__ = ["ap_without_largest", "label_objects", "largest_object_table", "split_object_ids"]


def label_objects(label: np.ndarray) -> np.ndarray:
    """Connected landslide objects of a label raster (8-connected): 1, 2, ... and 0 elsewhere.

    Two landslides that touch become one object, as they would for anyone reading the map.
    """
    objects, _ = ndimage.label(np.asarray(label) > 0, structure=np.ones((3, 3), dtype=bool))
    return objects


def split_object_ids(data: PreparedData, objects: np.ndarray, split: str = "test") -> np.ndarray:
    """Object of every valid pixel of a split's tiles.

    The order is that of :func:`fcad_lib.evaluation.baselines.pixels` and of the ``prob`` of
    :func:`fcad_lib.evaluation.stats.model_tile_scores`: tile by tile, row by row.

    Parameters
    ----------
    data
        The split's samples; patch origins index ``objects``.
    objects
        ``(H, W)`` object raster of the whole stack (:func:`label_objects`).
    split
        ``"train"``, ``"val"`` or ``"test"``.
    """
    sub = data.patches.subset(data.splits[split])
    size = sub.valid.shape[1]
    tiles = np.stack([objects[r:r + size, c:c + size] for r, c in sub.origins])
    return tiles[sub.valid[..., 0]]


def ap_without_largest(score: np.ndarray, positive: np.ndarray,
                       object_id: np.ndarray) -> dict[str, Any]:
    """Test AP over all pixels and without the pixels of the largest object.

    Parameters
    ----------
    score
        ``(n,)`` score of every valid test pixel (higher = more likely a landslide).
    positive
        ``(n,)`` bool labels.
    object_id
        ``(n,)`` object of every pixel (:func:`split_object_ids`), 0 for background.

    Returns
    -------
    dict
        ``largest_object``, ``largest_px`` (its labelled pixels in these tiles),
        ``positive_px``, ``share`` (of the positive pixels), ``ap``, ``ap_without_largest``.
        With no labelled object, the AP is NaN and nothing is left out.
    """
    positive = np.asarray(positive, dtype=bool)
    counts = np.bincount(np.asarray(object_id)[positive])
    counts[:1] = 0  # the background is no object
    if not positive.any() or not counts.any():
        return {"largest_object": 0, "largest_px": 0, "positive_px": int(positive.sum()),
                "share": float("nan"), "ap": float("nan"), "ap_without_largest": float("nan")}
    largest = int(np.argmax(counts))
    keep = object_id != largest
    rest = positive[keep]
    return {
        "largest_object": largest,
        "largest_px": int(counts[largest]),
        "positive_px": int(positive.sum()),
        "share": float(counts[largest] / positive.sum()),
        "ap": float(average_precision_score(positive, score)),
        "ap_without_largest": (float(average_precision_score(rest, score[keep]))
                               if rest.any() else float("nan")),
    }


def _scores(result: ExperimentResult, data: PreparedData,
            batch_size: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Test scores and labels of a network (its bundle) or of the pixel GBT (fitted again)."""
    from fcad_lib.bundle import load_bundle
    from fcad_lib.evaluation import stats

    if result.bundle_dir is not None:
        model, _ = load_bundle(result.bundle_dir)
        # each loaded model traces its own predict step, and TensorFlow warns about
        # "excessive retracing" after five: expected here, noise in a notebook
        tf_logger = logging.getLogger("tensorflow")
        level = tf_logger.level
        tf_logger.setLevel(logging.ERROR)
        try:
            scored = stats.model_tile_scores(model, data.arrays["test"], (0.5,), batch_size)
        finally:
            tf_logger.setLevel(level)
        return scored["prob"], scored["positive"]
    if result.model == "pixel_gbt":
        # the same sample and seed as run_baseline: the same classifier again
        spec = result.spec
        x_tr, y_tr, _ = pixels(data, "train")
        clf = fit_pixel_gbt(x_tr, y_tr, n_pixels=int(spec["n_pixels"]), seed=int(spec["seed"]))
        x_te, y_te, _ = pixels(data, "test")
        return clf.predict_proba(x_te)[:, 1], y_te
    return None


def largest_object_table(results: Sequence[ExperimentResult],
                         data_for: Callable[[str, int], PreparedData],
                         objects: np.ndarray, batch_size: int = 64) -> pd.DataFrame:
    """Every network and pixel-GBT run's test AP with and without the largest test object.

    Parameters
    ----------
    results
        Runs of a comparison; networks (with a bundle) and the pixel GBT are scored, the other
        baselines skipped.
    data_for
        ``(split, seed) -> PreparedData`` of those runs (e.g. ``GridResults.data``).
    objects
        Object raster of the stack (:func:`label_objects` of its label).
    batch_size
        Tiles per forward pass.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``method``, ``split``, ``seed``, the fields of
        :func:`ap_without_largest`, ``learnt`` (the book's rule,
        :func:`fcad_lib.evaluation.runs.learnt`) and ``ap_matches_run``: whether the AP over
        all test pixels equals the run's own (the scores recomputed here are the run's).
    """
    from fcad_lib.evaluation.runs import learnt
    from fcad_lib.evaluation.stats import method_label

    rows = []
    ids: dict[tuple[str, int], np.ndarray] = {}  # the runs of one split and seed share it
    for result in results:
        data = data_for(result.split, result.seed)
        scored = _scores(result, data, batch_size)
        if scored is None:
            continue
        key = (result.split, result.seed)
        if key not in ids:
            ids[key] = split_object_ids(data, objects)
        row = ap_without_largest(*scored, ids[key])
        rows.append({"method": method_label(result), "split": result.split,
                     "seed": result.seed, **row, "learnt": learnt(result),
                     "ap_matches_run": bool(result.ap is not None
                                            and np.isclose(row["ap"], result.ap, atol=1e-6))})
    return pd.DataFrame(rows)
