"""A comparison in words (notebooks 05, 06 and 09): verdicts and caveats.

Every sentence is built from the results: mean ± std over seeds
(:func:`fcad_lib.evaluation.stats.seed_table`), the paired bootstrap interval of each "A vs B"
(:func:`fcad_lib.evaluation.summaries.verdicts`), and the inconvenient results a reader needs:
ranking flips between splits (:func:`~fcad_lib.evaluation.stats.ranking_flips`), collapsed /
unconverged / degenerate runs (:func:`~fcad_lib.evaluation.stats.distrusted_runs`) and effects
that the generated data contain by design (:func:`fcad_book.sentences.generated_area.
design_effects`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.evaluation.stats import (
    COLLAPSE_F1,
    LEARNT_AP_FACTOR,
    distrusted_runs,
    ranking_flips,
    seed_table,
)
from fcad_lib.evaluation.summaries import verdicts

__all__ = ["comparison_markdown", "inconvenient_results", "largest_object_markdown"]


def _reasons(collapse_f1: float) -> dict[str, str]:
    """Each reason of :data:`~fcad_lib.evaluation.stats.DISTRUST_REASONS` in words."""
    return {
        "collapsed": f"collapsed (test F1 below {collapse_f1:g} or one class everywhere)",
        "silent_at_0.5": "predicts no landslide pixel at the paper's threshold 0.5",
        "unconverged": "unconverged (best epoch = last epoch)",
        "degenerate_threshold": "degenerate threshold (recall > 0.9, kappa < 0.05)",
    }


def inconvenient_results(results: Sequence[ExperimentResult],
                         collapse_f1: float = COLLAPSE_F1) -> list[str]:
    """Sentences naming collapsed, unconverged and degenerate runs.

    Parameters
    ----------
    results : sequence of ExperimentResult
        Results with ``spec``, ``test`` and, where known, ``test_counts``,
        ``test_counts_at_0.5`` and the convergence flags.
    collapse_f1 : float
        Test F1 below which a run counts as collapsed.

    Returns
    -------
    list of str
        One Markdown sentence per reason that some run has
        (:func:`fcad_lib.evaluation.stats.distrusted_runs`).
    """
    words = _reasons(collapse_f1)
    return [f"**{words[kind]}**: " + ", ".join(f"{r.method} ({r.split}, seed {r.seed})"
                                               for r in runs) + "."
            for kind, runs in distrusted_runs(results, collapse_f1).items()]


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


def _split_lines(results: Sequence[ExperimentResult], pairs: Sequence[tuple[str, str]],
                 splits: Sequence[str]) -> list[str]:
    """The best method and the stated pairs whose order changes between the first two splits."""
    stated = {frozenset(p) for p in pairs}
    flips = [f for f in ranking_flips(results, splits[:2]) if frozenset(f[:2]) in stated]
    s1, s2 = splits[0], splits[1]
    table = seed_table(results)
    lines = []
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
        Effects the (generated) data contain by construction, named as such
        (:func:`fcad_book.sentences.generated_area.design_effects`).
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
        lines += _split_lines(results, pairs, splits)
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


def largest_object_markdown(weight: pd.DataFrame, networks: Sequence[str],
                            baseline: str = "Pixel GBT") -> str:
    """How much the largest test landslide weighs, split by split, in words.

    Parameters
    ----------
    weight
        :func:`fcad_lib.analysis.largest_object.largest_object_table`.
    networks
        Method labels of the networks.
    baseline
        The method the networks are set against.

    Returns
    -------
    str
        One bullet per split: the share of the positive test pixels that one landslide holds,
        the mean test AP of the baseline and of the network with the highest mean AP without
        it (both ways), on how many seeds where both runs learnt that network's AP without it is
        the higher, and the runs that did not learn (when ``weight`` has a ``learnt`` column).
        Empty when ``weight`` has no row of the baseline or of a network.
    """
    lines = []
    for split, part in weight.groupby("split", sort=False):
        base = part[part["method"] == baseline].set_index("seed")
        nets = part[part["method"].isin(networks)]
        if base.empty or nets.empty:
            continue
        means = nets.groupby("method")[["ap", "ap_without_largest"]].mean()
        best = means["ap_without_largest"].idxmax()
        mine = nets[nets["method"] == best].set_index("seed")
        # a comparison only where both runs learnt (fcad_lib.evaluation.runs.learnt)
        seeds = mine.index.intersection(base.index)
        if "learnt" in part:
            seeds = seeds[mine.loc[seeds, "learnt"].to_numpy() & base.loc[seeds, "learnt"]
                          .to_numpy()]
        higher = int((mine.loc[seeds, "ap_without_largest"]
                      > base.loc[seeds, "ap_without_largest"]).sum())
        failed = ([f"{r.method} (seed {r.seed})" for r in part.itertuples() if not r.learnt]
                  if "learnt" in part else [])
        share = part.groupby("seed")["share"].first()
        shares = (f"{share.min():.0%}" if f"{share.min():.0%}" == f"{share.max():.0%}"
                  else f"{share.min():.0%}-{share.max():.0%}")
        lines.append(
            f"- **{split} split:** the largest landslide in the test tiles holds "
            f"{shares} of the positive test pixels "
            f"(seed{'s' if len(share) > 1 else ''} {', '.join(str(s) for s in share.index)}). "
            "Mean test AP with → without its "
            f"pixels: {baseline} {base['ap'].mean():.2f} → "
            f"{base['ap_without_largest'].mean():.2f}; {best}, the network with the highest "
            f"mean without it, {means.loc[best, 'ap']:.2f} → "
            f"{means.loc[best, 'ap_without_largest']:.2f}. Without it, {best}'s test AP is "
            f"above the {baseline}'s on {higher} of {len(seeds)} seed(s) where both runs "
            "learnt. No interval is computed for this check, so it decides no verdict."
            + (f" Runs that did not learn by the book's rule, compared with nothing: "
               f"{', '.join(failed)}." if failed else ""))
    return "\n".join(lines)
