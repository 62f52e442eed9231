"""Model complexity in words (notebook 03): what CBAM costs and what the paper's variant costs.

The numbers are :func:`fcad_lib.models.complexity.complexity_facts`'s.
"""

from __future__ import annotations

import pandas as pd

from fcad_lib.models.complexity import complexity_facts

__all__ = ["complexity_summary"]


def complexity_summary(table: pd.DataFrame, variant_table: pd.DataFrame,
                       model_config: str, patch_size: int) -> str:
    """Markdown summary of notebook 03: what CBAM costs and what the paper's variant costs.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`fcad_lib.models.complexity.complexity_table` of the compared networks (rows
        ``FC-DenseNet``, ``FCADenseNet`` and the others).
    variant_table : pandas.DataFrame
        :func:`~fcad_lib.models.complexity.complexity_table` with rows
        ``FC-DenseNet (Jégou)``, ``FC-DenseNet (paper)``.
    model_config : str
        The configuration the comparison builds.
    patch_size : int
        Patch side the FLOPs refer to.

    Returns
    -------
    str
        One Markdown paragraph.
    """
    f = complexity_facts(table, variant_table, model_config)
    variant = "the paper" if f.paper_variant else "Jégou et al."
    return (
        f"With the `{model_config}` configuration, CBAM adds "
        f"{f.cbam_params:,} parameters to FC-DenseNet "
        f"({100 * f.cbam_share:.1f} %). The largest model here is "
        f"{f.largest} ({f.largest_params:,} parameters); the cheapest "
        f"per patch is {f.cheapest} "
        f"({f.cheapest_gflops:.3f} GFLOPs per {patch_size} x {patch_size} patch). "
        f"This run builds {variant}'s variant. Built the paper's way, FC-DenseNet has "
        f"{f.paper_params:,} parameters and {f.paper_gflops:.3f} GFLOPs per "
        f"patch, against {f.jegou_params:,} and {f.jegou_gflops:.3f} built as "
        f"Jégou et al.'s Tiramisu ({100 * f.param_change:+.0f} % "
        f"parameters, {100 * f.flop_change:+.0f} % FLOPs)."
    )
