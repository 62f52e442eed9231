"""The Hong Kong ablation (notebook 10) in words: is the gain from deformation circular?

The gains, their intervals and the verdict are :mod:`fcad_lib.analysis.hongkong`'s
(:func:`~fcad_lib.analysis.hongkong.paired_gains`, :func:`~fcad_lib.analysis.hongkong.dv_verdict`).
"""

from __future__ import annotations

import pandas as pd

from fcad_lib.analysis.hongkong import (
    HELD_OUT_SUFFIX,
    DvVerdict,
    added_deformation,
    dv_verdict,
    mean_scores,
)

__all__ = ["circularity_summary"]

#: The verdict of :func:`fcad_lib.analysis.hongkong.dv_verdict` as the page says it.
VERDICT_WORDS: dict[DvVerdict, str] = {
    DvVerdict.CIRCULAR: (
        "**The deformation factor helps only where the labels were found with it.** On "
        "landslides mapped independently of InSAR, no split shows a detectable F1 gain from "
        "DV; on the set that adds landslides found from DV, every split does. That gain is "
        "circular: the classifier learns to find again the deformation that was used to "
        "find the labels. A paper whose samples were delineated in 'areas with obvious "
        "deformation' (as Li et al. 2024 describe theirs) measures the same thing."
    ),
    DvVerdict.HELPS: (
        "**DV helps even on labels mapped independently of InSAR** in at least one split; "
        "the larger gain on the augmented labels is still partly circular."
    ),
    DvVerdict.UNCLEAR: ("**No split gives a clear answer**: the intervals are too wide to "
                        "separate a real gain from a circular one."),
}


def _interval(row: pd.Series) -> str:
    return f"{row['gain']:+.3f} [{row['lo']:+.3f}, {row['hi']:+.3f}]"


def circularity_summary(frame: pd.DataFrame, gains: pd.DataFrame, fill: pd.Series,
                        added_dv_mm_yr: pd.Series, level: float = 0.95) -> str:
    """The computed conclusion of the Hong Kong ablation, as Markdown.

    Parameters
    ----------
    frame : pandas.DataFrame
        Per-fold scores (:func:`fcad_lib.analysis.hongkong.run_ablation`).
    gains : pandas.DataFrame
        F1 gains of DV (:func:`fcad_lib.analysis.hongkong.paired_gains`).
    fill : pandas.Series
        DV fill pattern of the independent table (:func:`fcad_lib.data.hongkong.dv_fill_pattern`).
    added_dv_mm_yr : pandas.Series
        DV of the samples added from InSAR (landslides).
    level : float
        Confidence level of the intervals in ``gains``.
    """
    f1 = mean_scores(frame, "f1")
    pct = f"{100 * level:.0f} %"
    lines = []
    for split in gains.index.get_level_values("split").unique():
        ind, aug = gains.loc[("independent", split)], gains.loc[("insar_augmented", split)]
        lines.append(
            f"- **{split} CV**: adding DV changes F1 by {_interval(ind)} on the independent "
            f"labels and by {_interval(aug)} on the InSAR-augmented ones ({pct} intervals over "
            f"{int(ind['folds'])} paired folds). DV alone reaches F1 "
            f"{f1[('independent', split, 'dv_only')]:.3f} and "
            f"{f1[('insar_augmented', split, 'dv_only')]:.3f}."
        )
        held = ("insar_augmented" + HELD_OUT_SUFFIX, split)
        if held in gains.index:
            lines[-1] += (f" Scored only on its test rows not found from InSAR, the augmented "
                          f"model's gain from DV is {_interval(gains.loc[held])}.")
    verdict = VERDICT_WORDS[dv_verdict(gains)]
    added = added_deformation(added_dv_mm_yr)
    dv_gap = fill["fill_fraction_landslide"] - fill["fill_fraction_background"]
    notes = (
        f"The {added.count:,} InSAR-added landslides have a median DV of "
        f"{added.median_mm_yr:+.1f} mm/yr ({100 * added.negative_share:.1f} % "
        f"negative, i.e. moving away from the satellite). In the independent set DV is missing "
        f"for {100 * fill['fill_fraction_landslide']:.0f} % of the landslides and "
        f"{100 * fill['fill_fraction_background']:.0f} % of the background "
        f"({100 * dv_gap:+.0f} points): the classifier may use that missingness, so 'DV only' "
        "is partly a vegetation (coherence) signal, not a velocity. Points of one landslide "
        "lie close together; the blocked split keeps neighbours out of the test folds, and "
        "its scores are the ones to trust."
    )
    return "\n".join([verdict, "", *lines, "", notes])
