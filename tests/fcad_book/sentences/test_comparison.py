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


def test_largest_object_markdown_states_both_aps_and_counts_seeds():
    import pandas as pd

    from fcad_book.sentences.comparison import largest_object_markdown

    rows = []
    for seed, (share, gbt, gbt_wo, net, net_wo) in enumerate(
            [(0.26, 0.16, 0.06, 0.13, 0.14), (0.30, 0.18, 0.08, 0.07, 0.10)]):
        rows += [{"method": "Pixel GBT", "split": "blocked", "seed": seed, "share": share,
                  "ap": gbt, "ap_without_largest": gbt_wo},
                 {"method": "FC-DenseNet", "split": "blocked", "seed": seed, "share": share,
                  "ap": net, "ap_without_largest": net_wo}]
    text = largest_object_markdown(pd.DataFrame(rows), networks=["FC-DenseNet", "U-Net"])
    assert "26%-30% of the positive test pixels" in text
    assert "Pixel GBT 0.17 → 0.07" in text and "0.10 → 0.12" in text
    assert "on 2 of 2 seed(s)" in text
    assert "decides no verdict" in text
    assert largest_object_markdown(pd.DataFrame(rows[:1]), networks=["U-Net"]) == ""


def test_largest_object_markdown_compares_only_runs_that_learnt():
    import pandas as pd

    from fcad_book.sentences.comparison import largest_object_markdown

    rows = []
    for seed, net_learnt in ((0, True), (1, False)):
        rows += [{"method": "Pixel GBT", "split": "blocked", "seed": seed, "share": 0.3,
                  "ap": 0.17, "ap_without_largest": 0.06, "learnt": True},
                 {"method": "FC-DenseNet", "split": "blocked", "seed": seed, "share": 0.3,
                  "ap": 0.13, "ap_without_largest": 0.14, "learnt": net_learnt}]
    text = largest_object_markdown(pd.DataFrame(rows), networks=["FC-DenseNet"])
    assert "on 1 of 1 seed(s) where both runs learnt" in text
    assert "did not learn by the book's rule, compared with nothing: FC-DenseNet (seed 1)" in text
