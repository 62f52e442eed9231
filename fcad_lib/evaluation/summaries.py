"""Computed Markdown summaries of a comparison (notebooks 05 and 06): verdicts and caveats.

Every sentence is built from the results: mean ± std over seeds, the paired bootstrap interval
of each "A vs B" (:func:`fcad_lib.evaluation.stats.compare`), and the inconvenient results a
reader needs (ranking flips between splits, collapsed / unconverged / degenerate runs, effects
that the generated data contain by design).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import pandas as pd

from fcad_lib.data.generator.params import GeneratorParams
from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.evaluation.stats import (
    LEARNT_AP_FACTOR,
    Comparison,
    compare,
    inconvenient_results,
    ranking_flips,
    seed_table,
)

__all__ = ["comparison_markdown", "design_effects", "verdict_table", "verdicts"]


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


def _best_lines(results: Sequence[ExperimentResult], splits: Sequence[str]) -> list[str]:
    table = seed_table(results)
    lines = []
    for split in splits:
        if (split, "mean") not in table.columns:
            continue
        mean, std, n = table[(split, "mean")], table[(split, "std")], table[(split, "seeds")]
        ranked = mean.dropna().sort_values(ascending=False)
        parts = [f"{m} {mean[m]:.3f}" + (f" ± {std[m]:.3f}" if n[m] > 1 else "")
                 for m in ranked.index]
        lines.append(f"**{split} split**, test F1 (mean" + (" ± std" if n.max() > 1 else "")
                     + f" over {int(n.max())} seed(s)): " + ", ".join(parts) + ".")
    return lines


def comparison_markdown(results: Sequence[ExperimentResult], pairs: Sequence[tuple[str, str]],
                        splits: Sequence[str] = ("random", "blocked"),
                        by_design: Sequence[str] = (), quick: bool = False,
                        n_boot: int = 2000, level: float = 0.95) -> str:
    """The summary of a comparison, as Markdown.

    Parameters
    ----------
    results : sequence of ExperimentResult
        Results of networks and baselines, each with ``label`` (or a spec model name),
        ``test``, ``test_counts`` and ``test_tile_counts``.
    pairs : sequence of (str, str)
        The "A vs B" the book states, as labels.
    splits : sequence of str
        Splits to report; the first two are checked for ranking flips.
    by_design : sequence of str
        Effects the (generated) data contain by construction, named as such.
    quick : bool
        Add that this is the CI profile.
    n_boot, level
        Bootstrap resamples and interval coverage.

    Returns
    -------
    str
        Markdown paragraphs.
    """
    lines = _best_lines(results, splits)
    comps = verdicts(results, pairs, splits, n_boot, level)
    if comps:
        pct = f"{100 * level:.0f} %"
        items = [f"- {c.split}: {c.text} (F1({c.a}) - F1({c.b}) = {c.boot.diff:+.3f}, {pct} "
                 f"interval [{c.boot.low:+.3f}, {c.boot.high:+.3f}], {c.boot.n_tiles} test "
                 f"tiles, {c.boot.n_seeds} seed(s))" for c in comps]
        lines.append(f"**Verdicts** (paired bootstrap over test tiles; \"beats\" only where the "
                     f"{pct} interval of the F1 difference excludes 0 and both methods learnt: "
                     f"test AP at least {LEARNT_AP_FACTOR:g} times the test prevalence, not "
                     "collapsed, and for a network converged):\n\n" + "\n".join(items))
    if len(splits) >= 2:
        stated = {frozenset(p) for p in pairs}
        flips = [f for f in ranking_flips(results, splits[:2]) if frozenset(f[:2]) in stated]
        s1, s2 = splits[0], splits[1]
        table = seed_table(results)
        if (s1, "mean") in table.columns and (s2, "mean") in table.columns:
            top1, top2 = table[(s1, "mean")].idxmax(), table[(s2, "mean")].idxmax()
            if top1 != top2:
                lines.append(f"**The best method changes with the split**: {top1} on the {s1} "
                             f"split, {top2} on the {s2} split.")
        if flips:
            lines.append("**The ranking flips between splits**: " + "; ".join(
                f"{up} is above {low} on the {s1} split ({a[s1]:.3f} vs {b[s1]:.3f}) but below "
                f"it on the {s2} split ({a[s2]:.3f} vs {b[s2]:.3f})"
                for up, low, a, b in flips) + ".")
    bad = inconvenient_results(results)
    if bad:
        lines.append("**Runs to distrust**:\n\n" + "\n".join(f"- {b}" for b in bad))
    if by_design:
        lines.append("**Built into the generated data** (a result that follows from these is "
                     "not a finding about landslides):\n\n"
                     + "\n".join(f"- {d}" for d in by_design))
    seeds = {r.seed for r in results}
    if len(seeds) == 1:
        lines.append("With one seed the intervals cover which tiles were tested, not how "
                     "differently the networks train from another initialisation.")
    if quick:
        lines.append("This is the CI profile (compact models, a few hundred optimiser steps, a "
                     "small area): it checks that the pipeline works and that the networks "
                     "learn; it does not rank architectures.")
    return "\n\n".join(lines)


def design_effects(params: Any) -> list[str]:
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
    if not isinstance(params, GeneratorParams):
        # the manifest block also holds the grid (seed, size, CRS) and may nest the confounders
        params = {**params, **dict(params.get("confounders") or {})}
        known = {f.name for f in fields(GeneratorParams)}
        params = {k: v for k, v in params.items() if k in known}
    p = GeneratorParams.from_mapping(params)
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
