"""The Hong Kong ablation in words (fcad_book.sentences.hongkong)."""

from __future__ import annotations

import pandas as pd

from fcad_book.sentences.hongkong import circularity_summary


def _frame() -> pd.DataFrame:
    """Two folds per cell; DV alone reaches F1 0.25 (independent) and 0.85 (augmented)."""
    rows = [{"label_set": label_set, "split": "random", "factors": factors, "fold": fold,
             "f1": f1 + (0.05 if fold else -0.05)}
            for label_set, dv_only in (("independent", 0.25), ("insar_augmented", 0.85))
            for factors, f1 in (("with_dv", 0.6), ("without_dv", 0.55), ("dv_only", dv_only))
            for fold in range(2)]
    return pd.DataFrame(rows)


def _gains(independent_excludes_zero: bool, held_out: bool = False) -> pd.DataFrame:
    rows = [{"label_set": "independent", "split": "random", "gain": 0.012, "lo": -0.02,
             "hi": 0.044, "folds": 2, "excludes_zero": independent_excludes_zero},
            {"label_set": "insar_augmented", "split": "random", "gain": 0.2, "lo": 0.15,
             "hi": 0.25, "folds": 2, "excludes_zero": True}]
    if held_out:
        rows.append({"label_set": "insar_augmented_tested_on_independent", "split": "random",
                     "gain": -0.01, "lo": -0.05, "hi": 0.03, "folds": 2,
                     "excludes_zero": False})
    return pd.DataFrame(rows).set_index(["label_set", "split"])


FILL = pd.Series({"fill_fraction_landslide": 0.4, "fill_fraction_background": 0.3})
ADDED = pd.Series([-4.0, -5.0, 1.0])


def test_circularity_summary_states_the_gains_and_the_verdict():
    text = circularity_summary(_frame(), _gains(False), FILL, ADDED)
    verdict, blank, line, *_ = text.split("\n")
    assert verdict.startswith("**The deformation factor helps only where the labels were "
                              "found with it.**") and blank == ""
    assert line.startswith("- **random CV**: adding DV changes F1 by +0.012 [-0.020, +0.044] "
                           "on the independent labels and by +0.200 [+0.150, +0.250]")
    assert "(95 % intervals over 2 paired folds)" in line
    assert "DV alone reaches F1 0.250 and 0.850." in line
    assert "Scored only on its test rows" not in line
    assert "The 3 InSAR-added landslides have a median DV of -4.0 mm/yr (66.7 % negative" in text
    assert "missing for 40 % of the landslides and 30 % of the background (+10 points)" in text


def test_circularity_summary_other_verdicts_and_the_held_out_gain():
    text = circularity_summary(_frame(), _gains(True, held_out=True), FILL, ADDED, level=0.9)
    assert text.startswith("**DV helps even on labels mapped independently of InSAR**")
    assert "(90 % intervals" in text
    assert ("the augmented model's gain from DV is -0.010 [-0.050, +0.030]." in text)
    unclear = _gains(False)
    unclear.loc[("insar_augmented", "random"), "excludes_zero"] = False
    assert circularity_summary(_frame(), unclear, FILL, ADDED).startswith(
        "**No split gives a clear answer**")
