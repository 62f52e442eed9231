"""Segmentation on a real inventory (Balakot): test-tile probability maps, objects, the numbers
behind its statements.

The Balakot stack (BGR-EGHA/LSAT-TestData; inventory of Torizin et al. 2017, Nat Hazards
89:757) has terrain, lithology and land cover but no optical and no InSAR layer, so it asks
what terrain alone can do. The comparison itself is notebook 05's machinery
(:mod:`fcad_lib.training.experiments`, :mod:`fcad_lib.evaluation.baselines`); this module adds
what notebook 09 needs beyond it: a probability mosaic of the test tiles, the landslide objects
predicted there matched to the inventory by size class, the numbers behind the page's statement
on terrain (:class:`TerrainEvidence`), and the network whose uncertainty map is shown (chosen on
validation AP, never on the test tiles) with the facts of its run (:class:`ReviewFacts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio import features
from rasterio.windows import Window

from fcad_lib.evaluation.objects import match_objects, object_scores, restrict_to
from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.evaluation.runs import learnt, prevalence, run_diagnostics
from fcad_lib.samples.prepared import PreparedData

__all__ = [
    "BALAKOT_COLUMNS",
    "ReviewFacts",
    "SplitScores",
    "TerrainEvidence",
    "balakot_frame",
    "best_by_validation",
    "probability_mosaic",
    "review_facts",
    "split_mask",
    "terrain_evidence",
    "objects_in_region",
    "valley_window",
]

BALAKOT_COLUMNS = ("model", "split", "seed", "pre", "rec", "f1", "kappa", "miou", "ap",
                   "threshold", "best_epoch", "epochs_run", "converged", "val_ap",
                   "test_prevalence", "ece", "brier", "ece_calibrated", "brier_calibrated")


def balakot_frame(results: Sequence[ExperimentResult], labels: Sequence[str]) -> pd.DataFrame:
    """One row per run with :data:`BALAKOT_COLUMNS` (``ap`` NaN where a run has none)."""
    rows = [{
        "model": label, "split": r.split, "seed": r.seed,
        **{k: r.scores.get(k, r.record.get(k, np.nan)) for k in ("pre", "rec", "f1", "kappa",
                                                                 "miou", "ap")},
        "threshold": r.threshold, "ece": r.scores.get("ece"),
        "brier": r.scores.get("brier"), **run_diagnostics(r),
    } for r, label in zip(results, labels, strict=True)]
    return pd.DataFrame(rows, columns=list(BALAKOT_COLUMNS))


def probability_mosaic(result: ExperimentResult, data: PreparedData, shape: tuple[int, int],
                       split: str = "test", batch_size: int = 8) -> np.ndarray:
    """A trained network's probability on one split's patches, placed on the stack grid.

    Parameters
    ----------
    result : ExperimentResult
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

    if result.bundle_dir is None:
        raise ValueError(f"result {result.slug} has no saved model (a baseline?)")
    model, prep = load_bundle(result.bundle_dir)
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


@dataclass(frozen=True)
class SplitScores:
    """The methods of one split, by their mean over seeds.

    Attributes
    ----------
    split : str
        ``"random"`` or ``"blocked"``.
    best_model : str
        The method with the highest mean F1.
    best_f1 : float
        Its mean F1.
    ap_min, ap_max : float
        The lowest and highest mean AP of the methods.
    """

    split: str
    best_model: str
    best_f1: float
    ap_min: float
    ap_max: float


@dataclass(frozen=True)
class TerrainEvidence:
    """What terrain, lithology and land cover alone reach on Balakot, in numbers.

    Attributes
    ----------
    prevalence : float
        Landslide share of the valid test pixels (the AP of a random ranking).
    splits : tuple of SplitScores
        One per split, in the order of the frame.
    below_chance : tuple of (str, str)
        ``(model, split)`` of the methods whose mean AP is not above ``prevalence``.
    blocked_best_f1 : float
        The highest mean F1 on the blocked split (on every split when there is none).
    best_network : (str, float) or None
        The network with the highest mean AP over both splits and that AP; ``None`` without
        networks.
    best_baseline : (str, float) or None
        The same among the other methods; ``None`` without networks or without other methods.
    """

    prevalence: float
    splits: tuple[SplitScores, ...]
    below_chance: tuple[tuple[str, str], ...]
    blocked_best_f1: float
    best_network: tuple[str, float] | None = None
    best_baseline: tuple[str, float] | None = None


def terrain_evidence(frame: pd.DataFrame, prevalence: float,
                     networks: Sequence[str] = ()) -> TerrainEvidence:
    """The numbers behind the statement on what terrain alone can and cannot do here.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`balakot_frame` rows of every method (``model``, ``split``, ``f1``, ``ap``).
    prevalence : float
        Landslide share of the valid test pixels (the AP of a random ranking).
    networks : sequence of str
        Labels of the networks (the other rows are baselines), to compare the two kinds.
    """
    mean = frame.groupby(["split", "model"])[["f1", "ap"]].mean()
    splits = []
    for split in frame["split"].unique():
        m = mean.loc[split]
        top = m["f1"].idxmax()
        splits.append(SplitScores(split, top, float(m.loc[top, "f1"]), float(m["ap"].min()),
                                  float(m["ap"].max())))
    blocked = mean.loc["blocked"] if "blocked" in mean.index.get_level_values(0) else mean
    below = tuple((model, split) for (split, model), ap in mean["ap"].items()
                  if not ap > prevalence)
    best_network = best_baseline = None
    nets = [m for m in networks if m in set(frame["model"])]
    if nets:
        ap = frame.groupby("model")["ap"].mean()
        others = ap.drop(nets)
        best_network = (ap[nets].idxmax(), float(ap[nets].max()))
        if len(others):
            best_baseline = (others.idxmax(), float(others.max()))
    return TerrainEvidence(prevalence, tuple(splits), below, float(blocked["f1"].max()),
                           best_network, best_baseline)


def _val_ap(result: ExperimentResult) -> float:
    ap = result.val_scores.get("ap")
    return float(ap) if ap is not None else float("nan")


def best_by_validation(results: Sequence[ExperimentResult], split: str | None = None
                       ) -> ExperimentResult:
    """The network run with the highest validation AP, chosen without looking at the test split.

    Parameters
    ----------
    results : sequence of ExperimentResult
        :func:`fcad_lib.training.experiments.run_experiment` and baseline results; only the
        networks (the results with a ``bundle_dir``) and a finite ``val["ap"]`` compete.
    split : str, optional
        Only runs of this split (``"random"`` or ``"blocked"``); default every split.

    Returns
    -------
    ExperimentResult
        The winning result (the first of equals, in the order given).

    Raises
    ------
    ValueError
        No network run of ``split`` has a validation AP.
    """
    candidates = [r for r in results if r.bundle_dir is not None
                  and (split is None or r.split == split)
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


@dataclass(frozen=True)
class ReviewFacts:
    """What the run of the reviewed network says about its training.

    Attributes
    ----------
    split : str
        Its split.
    seed : int
        Its seed.
    val_ap : float
        Its validation AP, by which it was chosen (``NaN`` without one).
    learnt : bool
        :func:`fcad_lib.evaluation.runs.learnt`.
    test_ap : float or None
        Its test AP.
    prevalence : float or None
        Landslide share of its valid test pixels (:func:`fcad_lib.evaluation.runs.prevalence`).
    predicted_share : float or None
        Share of its test pixels predicted landslide at its threshold (``None`` without counts).
    threshold : float or None
        That threshold.
    converged : bool or None
        Whether its training converged (``None`` when the run does not say).
    """

    split: str
    seed: int
    val_ap: float
    learnt: bool
    test_ap: float | None = None
    prevalence: float | None = None
    predicted_share: float | None = None
    threshold: float | None = None
    converged: bool | None = None


def review_facts(run: ExperimentResult) -> ReviewFacts:
    """The facts of the reviewed network's run: its choice, its scores and whether it learnt.

    Parameters
    ----------
    run : ExperimentResult
        The network's result (:func:`best_by_validation`): ``spec``, ``val``, ``threshold``,
        the test scores and counts that :func:`fcad_lib.evaluation.runs.learnt` reads.
    """
    counts = run.test_counts
    n = sum(counts.values())
    share = (counts.get("tp", 0) + counts.get("fp", 0)) / n if n else None
    return ReviewFacts(
        split=run.split, seed=run.seed, val_ap=_val_ap(run), learnt=learnt(run),
        test_ap=run.ap, prevalence=prevalence(run), predicted_share=share,
        threshold=run.threshold, converged=run.converged)
