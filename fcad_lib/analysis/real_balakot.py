"""Segmentation on a real inventory (Balakot): test-tile probability maps, objects, summary.

The Balakot stack (BGR-EGHA/LSAT-TestData; inventory of Torizin et al. 2017, Nat Hazards
89:757) has terrain, lithology and land cover but no optical and no InSAR layer, so it asks
what terrain alone can do. The comparison itself is notebook 05's machinery
(:mod:`fcad_lib.training.experiments`, :mod:`fcad_lib.evaluation.baselines`); this module adds
what notebook 09 needs beyond it: a probability mosaic of the test tiles, the landslide objects
predicted there matched to the inventory by size class, the computed plain statement, and
the network whose uncertainty map is shown (chosen on validation AP, never on the test tiles)
with what its review map can say (:mod:`fcad_lib.predict.review`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio import features
from rasterio.windows import Window

from fcad_lib.evaluation.objects import match_objects, object_scores, restrict_to
from fcad_lib.evaluation.runs import LEARNT_AP_FACTOR, learnt, prevalence, run_diagnostics
from fcad_lib.predict.review import ErrorsBySide, by_side_sentence, review_summary
from fcad_lib.samples.prepared import PreparedData

__all__ = [
    "BALAKOT_COLUMNS",
    "balakot_frame",
    "best_by_validation",
    "probability_mosaic",
    "review_statement",
    "split_mask",
    "terrain_statement",
    "objects_in_region",
    "valley_window",
]

BALAKOT_COLUMNS = ("model", "split", "seed", "pre", "rec", "f1", "kappa", "miou", "ap",
                   "threshold", "best_epoch", "epochs_run", "converged", "val_ap",
                   "test_prevalence", "ece", "brier", "ece_calibrated", "brier_calibrated")


def balakot_frame(results: Sequence[dict[str, Any]], labels: Sequence[str]) -> pd.DataFrame:
    """One row per run with :data:`BALAKOT_COLUMNS` (``ap`` NaN where a run has none)."""
    rows = [{
        "model": label, "split": r["spec"]["split"], "seed": r["spec"]["seed"],
        **{k: r["test"].get(k, r.get(k, np.nan)) for k in ("pre", "rec", "f1", "kappa", "miou",
                                                             "ap")},
        "threshold": r["threshold"], "ece": r["test"].get("ece"),
        "brier": r["test"].get("brier"), **run_diagnostics(r),
    } for r, label in zip(results, labels, strict=True)]
    return pd.DataFrame(rows, columns=list(BALAKOT_COLUMNS))


def probability_mosaic(result: dict[str, Any], data: PreparedData, shape: tuple[int, int],
                       split: str = "test", batch_size: int = 8) -> np.ndarray:
    """A trained network's probability on one split's patches, placed on the stack grid.

    Parameters
    ----------
    result : dict
        :func:`fcad_lib.training.experiments.run_experiment` output (its ``bundle_dir``).
    data : PreparedData
        The patches it was trained and tested on.
    shape : (int, int)
        ``(height, width)`` of the stack.

    Returns
    -------
    numpy.ndarray
        float32, NaN outside the split's patches and on invalid pixels.
    """
    from fcad_lib.bundle import load_bundle
    from fcad_lib.evaluation.inference import predict_patches

    model, prep = load_bundle(result["bundle_dir"])
    idx = data.splits[split]
    prob = predict_patches(model, prep.normalizer, data.patches, idx, batch_size=batch_size)
    out = np.full(shape, np.nan, dtype=np.float32)
    size = prob.shape[1]
    for p, k in zip(prob, idx, strict=True):
        r, c = data.patches.origins[k]
        valid = np.asarray(data.patches.valid[k]).reshape(size, size) > 0
        out[r:r + size, c:c + size] = np.where(valid, p, np.nan)
    return out


def objects_in_region(prob: np.ndarray, threshold: float, transform: Any, crs: Any,
                 inventory: gpd.GeoDataFrame, region: Any) -> pd.DataFrame:
    """Object-level detection by size class inside ``region`` (e.g. the test footprint).

    Connected pixels with ``prob >= threshold`` become polygons; they and the inventory are
    clipped to ``region`` and matched (:func:`fcad_lib.evaluation.objects.match_objects`).
    """
    mask = np.nan_to_num(prob, nan=0.0) >= threshold
    geoms = [shapely.geometry.shape(g) for g, v in
             features.shapes(mask.astype(np.uint8), mask=mask, transform=transform) if v == 1]
    predicted = gpd.GeoDataFrame(geometry=geoms, crs=crs)
    reference = restrict_to(inventory.to_crs(crs), region)
    return object_scores(match_objects(restrict_to(predicted, region), reference))


def valley_window(label: np.ndarray, prob: np.ndarray, size: int = 160) -> Window:
    """The ``size`` x ``size`` window of scored pixels holding the most inventory pixels."""
    from scipy import ndimage

    scored = np.isfinite(prob)
    weight = (label > 0) & scored
    dense = ndimage.uniform_filter(weight.astype(np.float32), size, mode="constant")
    dense[ndimage.uniform_filter(scored.astype(np.float32), size, mode="constant") < 0.5] = -1
    r, c = np.unravel_index(np.argmax(dense), dense.shape)
    h, w = label.shape
    r0 = int(np.clip(r - size // 2, 0, max(0, h - size)))
    c0 = int(np.clip(c - size // 2, 0, max(0, w - size)))
    return Window(c0, r0, min(size, w), min(size, h))


def terrain_statement(frame: pd.DataFrame, objects: pd.DataFrame, prevalence: float,
                      best_network: str, networks: Sequence[str] = ()) -> str:
    """What terrain, lithology and land cover alone can and cannot do here, as Markdown.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`balakot_frame` rows of every method.
    objects : pandas.DataFrame
        :func:`objects_in_region` of the best network (index: size classes and ``all``).
    prevalence : float
        Landslide share of the valid test pixels (the AP of a random ranking).
    best_network : str
        Its label.
    networks : sequence of str
        Labels of the networks (the other rows are baselines), to compare the two kinds.
    """
    mean = frame.groupby(["split", "model"])[["f1", "ap"]].mean()
    lines = []
    for split in frame["split"].unique():
        m = mean.loc[split]
        top = m["f1"].idxmax()
        lines.append(f"{split} split: best mean F1 {m.loc[top, 'f1']:.3f} ({top}), AP "
                     f"{m['ap'].min():.3f}..{m['ap'].max():.3f} against {prevalence:.3f} for a "
                     f"random ranking ({m['ap'].max() / prevalence:.1f} x at best)")
    blocked = mean.loc["blocked"] if "blocked" in mean.index.get_level_values(0) else mean
    below = sorted({f"{model} ({split})" for (split, model), ap in mean["ap"].items()
                    if not ap > prevalence})
    can = ("**What terrain can do here**: rank slopes. "
           + ("Every method's mean average precision is above the landslide share, so "
              if not below else
              f"Most methods' average precision is above the landslide share (not: "
              f"{', '.join(below)}), so ")
           + "elevation, slope, aspect, curvature, lithology and land cover do carry information "
           "on where landslides are. " + "; ".join(lines) + ".")
    nets = [m for m in networks if m in set(frame["model"])]
    if nets:
        ap = frame.groupby("model")["ap"].mean()
        others = ap.drop(nets)
        can += (f" Over both splits the best network's mean AP is {ap[nets].max():.3f} "
                f"({ap[nets].idxmax()}, {ap[nets].max() / prevalence:.1f} x the share)"
                + (f", the best baseline's {others.max():.3f} ({others.idxmax()})"
                   if len(others) else "") + ".")
    det = objects.loc["all"]
    by_size = ", ".join(
        f"{c} {objects.loc[c, 'detection_rate']:.2f} of {int(objects.loc[c, 'n_reference'])}"
        for c in objects.index if c != "all" and objects.loc[c, "n_reference"] > 0)
    cannot = (
        f"**What it cannot do**: delineate them. Mean F1 stays at or below "
        f"{blocked['f1'].max():.3f} on the blocked split; on its test tiles {best_network} "
        f"detects {int(det['n_detected'])} of {int(det['n_reference'])} mapped landslides "
        f"(by size: {by_size}) with {int(det['n_false_alarms'])} false alarms among "
        f"{int(det['n_predicted'])} predicted objects. Without an image of the surface (optical "
        "bands) or of its motion (InSAR), a landslide scar and an intact slope of the same "
        "steepness, rock and cover look the same: terrain gives susceptibility, not a map of "
        "landslides."
    )
    return can + "\n\n" + cannot


def _val_ap(result: dict[str, Any]) -> float:
    ap = (result.get("val") or {}).get("ap")
    return float(ap) if ap is not None else float("nan")


def best_by_validation(results: Sequence[dict[str, Any]], split: str | None = None
                       ) -> dict[str, Any]:
    """The network run with the highest validation AP, chosen without looking at the test split.

    Parameters
    ----------
    results : sequence of dict
        :func:`fcad_lib.training.experiments.run_experiment` and baseline results; only the
        networks (the results with a ``bundle_dir``) and a finite ``val["ap"]`` compete.
    split : str, optional
        Only runs of this split (``"random"`` or ``"blocked"``); default every split.

    Returns
    -------
    dict
        The winning result (the first of equals, in the order given).

    Raises
    ------
    ValueError
        No network run of ``split`` has a validation AP.
    """
    candidates = [r for r in results if r.get("bundle_dir")
                  and (split is None or r["spec"]["split"] == split)
                  and np.isfinite(_val_ap(r))]
    if not candidates:
        raise ValueError(f"no network run{f' of the {split} split' if split else ''} has a "
                         "validation AP to choose by")
    return max(candidates, key=_val_ap)  # max keeps the first of equals


def split_mask(data: PreparedData, split: str, shape: tuple[int, int]) -> np.ndarray:
    """Pixels covered by one split's patches, on the stack grid.

    Parameters
    ----------
    data : PreparedData
        The patches (``patches.origins``: row, column of each upper-left pixel) and ``splits``.
    split : str
        ``train``, ``val`` or ``test``.
    shape : (int, int)
        ``(height, width)`` of the stack.

    Returns
    -------
    numpy.ndarray
        bool, True inside a patch of ``split``.
    """
    size = data.patches.X.shape[1]
    mask = np.zeros(shape, dtype=bool)
    for r, c in data.patches.origins[data.splits[split]]:
        mask[int(r):int(r) + size, int(c):int(c) + size] = True
    return mask


def review_statement(run: dict[str, Any], label: str, review: np.ndarray, auroc: float,
                     auroc_test: float, passes: int, n_runs: int,
                     by_side: ErrorsBySide | None = None) -> str:
    """What the review map of one Balakot network shows, and whether that network learnt.

    Parameters
    ----------
    run : dict
        The network's result (:func:`best_by_validation`): ``spec``, ``val``, ``threshold``,
        the test scores and counts that :func:`fcad_lib.evaluation.runs.learnt` reads.
    label : str
        Its display name.
    review : numpy.ndarray
        Its review map over the whole area (:func:`fcad_lib.predict.review.review_map`).
    auroc : float
        :func:`fcad_lib.predict.review.error_auroc` over every labelled pixel of the area.
    auroc_test : float
        The same on the pixels of its test tiles only (never trained on).
    passes : int
        Monte Carlo dropout passes behind the uncertainty.
    n_runs : int
        Network runs it was chosen from.
    by_side : ErrorsBySide, optional
        :func:`fcad_lib.predict.review.error_auroc_by_side` over the same pixels as ``auroc``:
        whether the uncertainty finds the errors within each side of the threshold.

    Returns
    -------
    str
        Markdown: the choice, the learnt verdict with the numbers behind it (saying that the
        map says little when the network did not learn), :func:`review_summary` and, with
        ``by_side``, the AUROC within each side of the threshold (said to be chance within
        :data:`fcad_lib.predict.review.CHANCE_MARGIN` of 0.5).
    """
    spec = run["spec"]
    choice = (f"The map is of **{label}** ({spec['split']} split, seed {spec['seed']}): of "
              f"{n_runs} network runs, the one with the best validation AP "
              f"({_val_ap(run):.3f}); the test tiles played no part in the choice.")
    counts = run.get("test_counts") or {}
    n = sum(counts.values())
    ap, prev = run.get("ap", (run.get("test") or {}).get("ap")), prevalence(run)
    facts = []
    if ap is not None and prev:
        facts.append(f"test AP {ap:.3f}, {ap / prev:.1f} x the test prevalence {prev:.3f}")
    if n:
        share = (counts.get("tp", 0) + counts.get("fp", 0)) / n
        facts.append(f"{share:.1%} of the test pixels predicted landslide at its threshold "
                     f"{run['threshold']:.2f}")
    if run.get("converged") is not None:
        facts.append("converged" if run["converged"] else "not converged")
    rule = (f"the book's rule (test AP at least {LEARNT_AP_FACTOR:g} x the prevalence, some "
            "but not nearly all pixels predicted landslide, training converged)")
    numbers = f": {', '.join(facts)}" if facts else ""
    if learnt(run):
        verdict = f"It **learnt** by {rule}{numbers}."
    else:
        verdict = (f"It did **not learn** by {rule}{numbers}. Its review map therefore shows "
                   "where an untrained network is unsure, which says little about where a "
                   "trained one would be, and so does the AUROC below.")
    auroc_words = (f"On its test tiles alone (pixels it was not trained on) the AUROC is "
                   f"{auroc_test:.2f}." if np.isfinite(auroc_test) else
                   "On its test tiles alone the AUROC could not be computed (no errors, or no "
                   "correct pixels).")
    text = (f"{choice} {verdict}\n\n{review_summary(review, auroc, passes)} That AUROC counts "
            f"every labelled pixel of the area, training tiles included. {auroc_words}")
    return text if by_side is None else f"{text} {by_side_sentence(by_side)}"
