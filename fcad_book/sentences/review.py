"""The review map and its error AUROC in words (notebooks 07 and 09).

The shares and AUROCs are :mod:`fcad_lib.predict.review`'s; an AUROC within
:data:`~fcad_lib.predict.review.CHANCE_MARGIN` of 0.5 is said to be chance.
"""

from __future__ import annotations

import numpy as np

from fcad_lib.predict.review import (
    CHANCE_MARGIN,
    ErrorsBySide,
    computable_sides,
    review_shares,
    sides_at_chance,
)

__all__ = ["by_side_sentence", "review_summary"]


def review_summary(review: np.ndarray, auroc: float, passes: int, method: str = "mc") -> str:
    """One Markdown paragraph: the share of each review class and the error AUROC.

    Parameters
    ----------
    review : numpy.ndarray
        :func:`fcad_lib.predict.review.review_map` (255 = nodata).
    auroc : float
        :func:`fcad_lib.predict.review.error_auroc` (``NaN`` when it could not be computed).
    passes : int
        Passes behind the uncertainty.
    method : str
        ``"mc"`` or ``"tta"``.
    """
    shares = ", ".join(f"{name} {share:.1%}" for name, share in review_shares(review).items())
    if np.isfinite(auroc):
        verdict = ("better than chance" if auroc > 0.5 else "no better than chance")
        score = (f"As a detector of the pixels the thresholded map gets wrong, the uncertainty "
                 f"has an AUROC of {auroc:.2f} ({verdict}; 0.5 = it says nothing about errors).")
    else:
        score = "The error AUROC could not be computed (no labels, or no errors)."
    return (f"Uncertainty = standard deviation of the probability over {passes} {method} passes. "
            f"Review classes (share of valid pixels): {shares}. {score}")


def by_side_sentence(by_side: ErrorsBySide) -> str:
    """The within-side AUROCs (:func:`fcad_lib.predict.review.error_auroc_by_side`) in words,
    and when they are chance."""
    def score(v: float) -> str:
        return f"{v:.2f}" if np.isfinite(v) else "not computable"

    text = ("The pooled AUROC mixes two kinds of error"
            + (f" ({by_side.false_alarm_share:.0%} of the wrong pixels are false alarms, the "
               "rest misses)" if np.isfinite(by_side.false_alarm_share) else "")
            + ". Within each side of the threshold, the split the review classes make, the "
            f"uncertainty singles out the false alarms among the pixels mapped landslide with an "
            f"AUROC of {score(by_side.false_alarm_auroc)} and the misses among those mapped "
            f"non-landslide with {score(by_side.miss_auroc)}.")
    if sides_at_chance(by_side):
        both = len(computable_sides(by_side)) == 2
        text += (f" {'Both are' if both else 'That is'} chance (within "
                 f"{CHANCE_MARGIN:g} of 0.5): here the uncertainty points at errors only through "
                 "the probability it follows, and a potential miss or false alarm is hardly "
                 "likelier to be wrong than a certain pixel of its side.")
    return text
