"""The verdicts of a comparison (notebooks 05, 06 and 09): every "A vs B" on every split.

Each verdict is :func:`fcad_lib.evaluation.stats.compare`'s paired bootstrap interval of the F1
difference; :func:`verdict_table` lays them out one row each. The book puts them into words,
beside the seed spreads, ranking flips and distrusted runs of :mod:`~fcad_lib.evaluation.stats`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.evaluation.stats import Comparison, compare

__all__ = ["verdict_table", "verdicts"]


def verdicts(results: Sequence[ExperimentResult], pairs: Sequence[tuple[str, str]],
             splits: Sequence[str] = ("random", "blocked"), n_boot: int = 2000,
             level: float = 0.95) -> list[Comparison]:
    """:func:`~fcad_lib.evaluation.stats.compare` for every pair on every split that has both."""
    out = []
    for split in splits:
        for a, b in pairs:
            c = compare(results, a, b, split, n_boot=n_boot, level=level)
            if c is not None:
                out.append(c)
    return out


def verdict_table(comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """One row per comparison: split, A, B, ΔF1, interval, seeds, tiles, verdict."""
    return pd.DataFrame([{
        "split": c.split, "A": c.a, "B": c.b, "F1(A) - F1(B)": round(c.boot.diff, 4),
        "low": round(c.boot.low, 4), "high": round(c.boot.high, 4),
        "seeds": c.boot.n_seeds, "tiles": c.boot.n_tiles, "verdict": c.text,
    } for c in comparisons])
