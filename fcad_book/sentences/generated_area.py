"""The generated area in words: what it builds in (notebooks 05, 06) and how far one factor goes.

The parameters are :class:`fcad_lib.data.generator.GeneratorParams`; the single-factor rules
:func:`fcad_lib.data.generator.threshold_rule_difficulty`'s. Command line (the table of
``book/generated_area.md``)::

    python -m fcad_book.sentences.generated_area generated_quick
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from fcad_lib.data.generator import (
    DEFAULT_TARGET_F1,
    GeneratorParams,
    meets_target,
    threshold_rule_difficulty,
    worst_case,
)
from fcad_lib.data.study_area import load_study_area

__all__ = ["design_effects", "difficulty_markdown", "main"]


def design_effects(params: Mapping[str, Any] | GeneratorParams | None) -> list[str]:
    """What a generated area builds in, in sentences computed from its generator parameters.

    Parameters
    ----------
    params : mapping or GeneratorParams or None
        The manifest's ``generator.params`` of the area (defaults fill what is absent);
        ``None`` (a real area) gives no sentence.

    Returns
    -------
    list of str
    """
    if params is None:
        return []
    p = GeneratorParams.from_manifest(params)
    lo, hi = p.velocity_range_mm_per_yr
    veg_lo, veg_hi = p.fresh_vegetation
    return [
        f"Every active mapped landslide moves (log-normal speed, median "
        f"{p.velocity_median_mm_per_yr:g} mm/yr, clipped to {lo:g}-{hi:g} mm/yr) and "
        f"{p.dormant_fraction:.0%} of them do not move at all: how much the deformation rate "
        "can help is set by these numbers, not discovered.",
        f"Old landslides are revegetated by construction, fresh ones keep a vegetation fraction "
        f"of {veg_lo:g}-{veg_hi:g}: which landslide type each factor group finds is built in.",
        f"Mapped polygons are shifted by up to {p.label_shift_px:g} px and unmapped moving "
        f"bodies add {p.unmapped_active_fraction:.0%} of the landslide pixels: a ceiling on "
        "precision and F1 for every method alike.",
    ]


def difficulty_markdown(table: pd.DataFrame, target: float = DEFAULT_TARGET_F1) -> str:
    """Markdown table of the best rule of each factor and one line saying whether the target
    holds.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`fcad_lib.data.generator.threshold_rule_difficulty` of an area.
    target : float
        The highest test F1 a single-factor rule may reach.

    Returns
    -------
    str
    """
    best = worst_case(table)
    cols = ["factor", "rule", "fit_half", "threshold", "test_precision", "test_recall", "test_f1"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in best[cols].itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v)
                                       for v in row) + " |")
    top = best.iloc[0]
    verdict = "meets" if meets_target(best, target) else "MISSES"
    lines.append(f"\nBest single-factor rule: `{top['rule']}` with test F1 {top['test_f1']:.3f} "
                 f"({verdict} the target F1 <= {target:.2f}).")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m fcad_book.sentences.generated_area AREA``: the table of one manifest area."""
    parser = argparse.ArgumentParser(description="Single-factor threshold-rule difficulty.")
    parser.add_argument("area", help="study area of data_manifest.yml with an inventory")
    args = parser.parse_args(argv)
    print(difficulty_markdown(threshold_rule_difficulty(load_study_area(args.area))))


if __name__ == "__main__":
    main()
