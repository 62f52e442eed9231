"""A comparison in words: verdicts, flips and runs to distrust
(fcad_book.sentences.comparison)."""

from __future__ import annotations

import numpy as np

from fcad_book.sentences.comparison import comparison_markdown, inconvenient_results
from tests.evaluation.test_stats import _result, flipping_results


def test_comparison_names_verdicts_flips_and_design() -> None:
    results = flipping_results()
    flags = inconvenient_results(results)
    assert flags == ["**unconverged (best epoch = last epoch)**: Net (random, seed 0), "
                     "Net (random, seed 1)."]
    md = comparison_markdown(results, [("Net", "Rule")], by_design=["motion only in landslides"])
    assert "flips" in md and "Rule beats Net" in md and "motion only in landslides" in md
    assert "Net beats Rule" not in md and "not comparable (Net did not learn)" in md
    assert "best method changes with the split" in md
    assert "**Runs to distrust**:\n\n- **unconverged" in md
    assert "With one seed" not in md and "CI profile" not in md
    assert "CI profile" in comparison_markdown(results, [("Net", "Rule")], quick=True)


def test_collapsed_and_degenerate_runs_are_named() -> None:
    empty = np.array([[0, 0, 50, 4000]] * 5)
    allpos = np.array([[50, 4000, 0, 0]] * 5)
    results = [_result("Dead", "random", 0, empty), _result("Greedy", "random", 0, allpos)]
    results[1] = results[1].updated(test={**results[1].scores, "kappa": 0.0})
    assert inconvenient_results(results) == [
        "**collapsed (test F1 below 0.05 or one class everywhere)**: Dead (random, seed 0), "
        "Greedy (random, seed 0).",
        "**degenerate threshold (recall > 0.9, kappa < 0.05)**: Greedy (random, seed 0)."]
    md = comparison_markdown(results, [("Dead", "Greedy")])
    assert "With one seed the intervals cover which tiles were tested" in md
