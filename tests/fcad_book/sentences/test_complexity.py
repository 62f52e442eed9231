"""Model complexity in words (fcad_book.sentences.complexity)."""

from __future__ import annotations

import pandas as pd

from fcad_book.sentences.complexity import complexity_summary


def test_complexity_summary_states_the_cost_of_cbam_and_of_the_variant() -> None:
    table = pd.DataFrame({"params": [1000, 800, 1100], "gflops_per_patch": [2.0, 1.5, 2.5]},
                         index=["FC-DenseNet", "U-Net", "FCADenseNet"])
    variants = pd.DataFrame({"params": [1000, 1200], "gflops_per_patch": [2.0, 3.0]},
                            index=["FC-DenseNet (Jégou)", "FC-DenseNet (paper)"])
    text = complexity_summary(table, variants, "compact", 64)
    assert text == (
        "With the `compact` configuration, CBAM adds 100 parameters to FC-DenseNet (10.0 %). "
        "The largest model here is FCADenseNet (1,100 parameters); the cheapest per patch is "
        "U-Net (1.500 GFLOPs per 64 x 64 patch). This run builds the paper's variant. Built "
        "the paper's way, FC-DenseNet has 1,200 parameters and 3.000 GFLOPs per patch, against "
        "1,000 and 2.000 built as Jégou et al.'s Tiramisu (+20 % parameters, +50 % FLOPs).")
