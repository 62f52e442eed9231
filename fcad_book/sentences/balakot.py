"""Balakot (notebook 09) in words: what terrain alone can do, and the reviewed network.

The numbers are :mod:`fcad_lib.analysis.real_balakot`'s (:class:`TerrainEvidence`,
:class:`ReviewFacts`); the rule for "learnt" is :func:`fcad_lib.evaluation.runs.learnt`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fcad_book.sentences.review import by_side_sentence, review_summary
from fcad_lib.analysis.real_balakot import review_facts, terrain_evidence
from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.evaluation.runs import LEARNT_AP_FACTOR
from fcad_lib.predict.review import ErrorsBySide

__all__ = ["review_statement", "terrain_statement"]


def terrain_statement(frame: pd.DataFrame, objects: pd.DataFrame, prevalence: float,
                      best_network: str, networks: Sequence[str] = ()) -> str:
    """What terrain, lithology and land cover alone can and cannot do here, as Markdown.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`fcad_lib.analysis.real_balakot.balakot_frame` rows of every method.
    objects : pandas.DataFrame
        :func:`fcad_lib.analysis.real_balakot.objects_in_region` of the best network (index:
        size classes and ``all``).
    prevalence : float
        Landslide share of the valid test pixels (the AP of a random ranking).
    best_network : str
        Its label.
    networks : sequence of str
        Labels of the networks (the other rows are baselines), to compare the two kinds.
    """
    ev = terrain_evidence(frame, prevalence, networks)
    lines = [f"{s.split} split: best mean F1 {s.best_f1:.3f} ({s.best_model}), AP "
             f"{s.ap_min:.3f}..{s.ap_max:.3f} against {prevalence:.3f} for a "
             f"random ranking ({s.ap_max / prevalence:.1f} x at best)" for s in ev.splits]
    below = sorted({f"{model} ({split})" for model, split in ev.below_chance})
    can = ("**What terrain can do here**: rank slopes. "
           + ("Every method's mean average precision is above the landslide share, so "
              if not below else
              f"Most methods' average precision is above the landslide share (not: "
              f"{', '.join(below)}), so ")
           + "elevation, slope, aspect, curvature, lithology and land cover do carry information "
           "on where landslides are. " + "; ".join(lines) + ".")
    if ev.best_network is not None:
        net, net_ap = ev.best_network
        can += (f" Over both splits the best network's mean AP is {net_ap:.3f} "
                f"({net}, {net_ap / prevalence:.1f} x the share)"
                + (f", the best baseline's {ev.best_baseline[1]:.3f} ({ev.best_baseline[0]})"
                   if ev.best_baseline is not None else "") + ".")
    det = objects.loc["all"]
    by_size = ", ".join(
        f"{c} {objects.loc[c, 'detection_rate']:.2f} of {int(objects.loc[c, 'n_reference'])}"
        for c in objects.index if c != "all" and objects.loc[c, "n_reference"] > 0)
    cannot = (
        f"**What it cannot do**: delineate them. Mean F1 stays at or below "
        f"{ev.blocked_best_f1:.3f} on the blocked split; on its test tiles {best_network} "
        f"detects {int(det['n_detected'])} of {int(det['n_reference'])} mapped landslides "
        f"(by size: {by_size}) with {int(det['n_false_alarms'])} false alarms among "
        f"{int(det['n_predicted'])} predicted objects. Without an image of the surface (optical "
        "bands) or of its motion (InSAR), a landslide scar and an intact slope of the same "
        "steepness, rock and cover look the same: terrain gives susceptibility, not a map of "
        "landslides."
    )
    return can + "\n\n" + cannot


def review_statement(run: ExperimentResult, label: str, review: np.ndarray, auroc: float,
                     auroc_test: float, passes: int, n_runs: int,
                     by_side: ErrorsBySide | None = None) -> str:
    """What the review map of one Balakot network shows, and whether that network learnt.

    Parameters
    ----------
    run : ExperimentResult
        The network's result (:func:`fcad_lib.analysis.real_balakot.best_by_validation`):
        ``spec``, ``val``, ``threshold``, the test scores and counts that
        :func:`fcad_lib.evaluation.runs.learnt` reads.
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
        ``by_side``, the AUROC within each side of the threshold (:func:`by_side_sentence`).
    """
    facts = review_facts(run)
    choice = (f"The map is of **{label}** ({facts.split} split, seed {facts.seed}): of "
              f"{n_runs} network runs, the one with the best validation AP "
              f"({facts.val_ap:.3f}); the test tiles played no part in the choice.")
    said = []
    if facts.test_ap is not None and facts.prevalence:
        said.append(f"test AP {facts.test_ap:.3f}, {facts.test_ap / facts.prevalence:.1f} x the "
                     f"test prevalence {facts.prevalence:.3f}")
    if facts.predicted_share is not None:
        said.append(f"{facts.predicted_share:.1%} of the test pixels predicted landslide at its "
                    f"threshold {facts.threshold:.2f}")
    if facts.converged is not None:
        said.append("converged" if facts.converged else "not converged")
    rule = (f"the book's rule (test AP at least {LEARNT_AP_FACTOR:g} x the prevalence, some "
            "but not nearly all pixels predicted landslide, training converged)")
    numbers = f": {', '.join(said)}" if said else ""
    if facts.learnt:
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
