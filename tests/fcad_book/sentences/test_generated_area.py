"""The generated area in words: design effects and the single-factor rule
(fcad_book.sentences.generated_area)."""

from __future__ import annotations

import pandas as pd

from fcad_book.sentences.generated_area import design_effects, difficulty_markdown
from fcad_lib.data.generator import GeneratorParams


def test_design_effects_read_the_manifest_block() -> None:
    assert design_effects(None) == []
    block = {"seed": 7, "size_px": 512, "crs": "EPSG:32647",
             "confounders": {"dormant_fraction": 0.25, "density_scale": 4.48}}
    text = design_effects(block)
    assert len(text) == 3 and "25% of them do not move at all" in text[0]
    assert design_effects(GeneratorParams(dormant_fraction=0.25)) == text


def _rules(best_f1: float) -> pd.DataFrame:
    return pd.DataFrame([
        {"factor": "dem", "rule": "dem >= t", "fit_half": "west", "test_half": "east",
         "threshold": 812.25, "fit_f1": 0.1, "test_precision": 0.05, "test_recall": 0.5,
         "test_f1": 0.09},
        {"factor": "deformation_rate", "rule": "abs(deformation_rate) >= t",
         "fit_half": "south", "test_half": "north", "threshold": 12.94, "fit_f1": 0.3,
         "test_precision": 0.16, "test_recall": 0.32, "test_f1": best_f1},
    ])


def test_difficulty_markdown_tables_the_best_rule_of_each_factor() -> None:
    text = difficulty_markdown(_rules(0.22))
    lines = text.splitlines()
    assert lines[0] == ("| factor | rule | fit_half | threshold | test_precision | test_recall "
                        "| test_f1 |")
    assert lines[1] == "|---|---|---|---|---|---|---|"
    assert lines[2] == ("| deformation_rate | abs(deformation_rate) >= t | south | 12.9 | 0.16 "
                        "| 0.32 | 0.22 |")
    assert lines[-1] == ("Best single-factor rule: `abs(deformation_rate) >= t` with test F1 "
                         "0.220 (meets the target F1 <= 0.30).")
    assert "(MISSES the target F1 <= 0.30)" in difficulty_markdown(_rules(0.45))
