"""Tables of experiment results: one row per run, and mean ± std over seeds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.evaluation.runs import run_diagnostics
from fcad_lib.samples.prepared import PreparedData

__all__ = ["results_frame", "split_footprint", "summary_table"]


def split_footprint(data: PreparedData, split: str, transform: Any) -> Any:
    """The ground covered by one split's patches, as one shapely geometry in the stack's CRS.

    Parameters
    ----------
    data
        Prepared patches (their origins are rows / columns of the stack).
    split
        ``train``, ``val`` or ``test``.
    transform
        Affine transform of the stack (``ds.rio.transform()``).
    """
    import shapely
    from rasterio.windows import Window, bounds

    size = data.patches.X.shape[1]
    boxes = [shapely.box(*bounds(Window(int(c), int(r), size, size), transform))
             for r, c in data.patches.origins[data.splits[split]]]
    return shapely.union_all(boxes)


def results_frame(results: Sequence[ExperimentResult], which: str = "test") -> pd.DataFrame:
    """One row per experiment: spec columns, the scores of ``which``, threshold and
    :func:`fcad_lib.evaluation.runs.run_diagnostics`."""
    rows = []
    for r in results:
        rows.append({
            "model": r.model, "tag": r.spec["tag"], "split": r.split, "seed": r.seed,
            "threshold": r.threshold, **r.scores_of(which),
            **run_diagnostics(r),
        })
    return pd.DataFrame(rows)


def summary_table(frame: pd.DataFrame, by: Sequence[str], metric_cols: Sequence[str] = (
        "pre", "rec", "f1", "kappa", "miou")) -> pd.DataFrame:
    """Mean and standard deviation over seeds, formatted ``mean ± std``.

    A group with a single seed has no spread: it shows the value alone, never a fake ``± 0``.
    """
    grouped = frame.groupby(list(by), sort=False)[list(metric_cols)]
    mean, std = grouped.mean(), grouped.std(ddof=1)
    n = grouped.size()
    table = mean.copy().astype(object)
    for col in metric_cols:
        table[col] = [f"{m:.4f} ± {s:.4f}" if k > 1 else f"{m:.4f}"
                      for m, s, k in zip(mean[col], std[col], n, strict=True)]
    table["seeds"] = n
    return table
