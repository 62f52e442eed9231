"""How far one factor alone goes: the best single-factor threshold rule, fitted on half an area.

Issue 8's target for a generated area that is a fair test: no rule "factor >= t", "factor <= t"
(and "abs(deformation rate) >= t", and "lithology == unit") fitted on one half of the area reaches a
pixel F1 above 0.30 on the other half. The threshold is the F1-optimal cut on the fitting half,
searched exactly over every distinct value (sorting, cumulative counts). Halves: west / east and
north / south, each used once for fitting and once for testing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

__all__ = [
    "DEFAULT_TARGET_F1",
    "best_threshold",
    "meets_target",
    "rule_f1",
    "threshold_rule_difficulty",
    "worst_case",
]

#: Highest test F1 a single-factor rule may reach on a fair test area (issue 8).
DEFAULT_TARGET_F1 = 0.30


def best_threshold(values: np.ndarray, label: np.ndarray) -> tuple[float, float]:
    """F1-optimal ``t`` of the rule ``values >= t`` and its F1, exactly over the distinct values.

    Parameters
    ----------
    values : numpy.ndarray
        1-D finite scores.
    label : numpy.ndarray
        1-D bool truth of the same length.

    Returns
    -------
    tuple of float
        ``(threshold, f1)``; ``(inf, 0.0)`` when there is no positive.
    """
    n_pos = int(label.sum())
    if n_pos == 0 or values.size == 0:
        return float("inf"), 0.0
    order = np.argsort(-values, kind="stable")
    v, y = values[order], label[order]
    tp = np.cumsum(y)
    # A cut may only fall after the last of a run of equal values.
    last = np.r_[v[1:] != v[:-1], True]
    k = np.flatnonzero(last)
    f1 = 2.0 * tp[k] / (k + 1 + n_pos)
    best = int(np.argmax(f1))
    return float(v[k[best]]), float(f1[best])


def rule_f1(values: np.ndarray, label: np.ndarray, threshold: float) -> dict[str, float]:
    """Precision, recall and F1 of ``values >= threshold`` against ``label``."""
    pred = values >= threshold
    tp = float((pred & label).sum())
    fp = float((pred & ~label).sum())
    fn = float((~pred & label).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _rules(name: str, x: np.ndarray) -> dict[str, np.ndarray]:
    """Transformed scores whose ``>= t`` rule is each single-factor rule of ``name``."""
    rules = {f"{name} >= t": x, f"{name} <= t": -x}
    if name == "deformation_rate":
        rules[f"abs({name}) >= t"] = np.abs(x)
    return rules


def _halves(shape: tuple[int, int]) -> dict[str, np.ndarray]:
    rows, cols = np.indices(shape)
    west = cols < shape[1] // 2
    north = rows < shape[0] // 2
    return {"west": west, "east": ~west, "north": north, "south": ~north}


_PAIRS = (("west", "east"), ("east", "west"), ("north", "south"), ("south", "north"))


def _categorical_rows(name, x, y, halves, fit, test) -> list[dict]:
    """Rules "x == unit": the unit is chosen by F1 on the fitting half."""
    units = np.unique(x[halves[fit]])
    scores = [rule_f1((x[halves[fit]] == u).astype(float), y[halves[fit]], 1.0) for u in units]
    best = int(np.argmax([s["f1"] for s in scores]))
    test_score = rule_f1((x[halves[test]] == units[best]).astype(float), y[halves[test]], 1.0)
    return [{"factor": name, "rule": f"{name} == unit", "fit_half": fit, "test_half": test,
             "threshold": float(units[best]), "fit_f1": scores[best]["f1"],
             **{f"test_{k}": v for k, v in test_score.items()}}]


def threshold_rule_difficulty(
    ds: xr.Dataset,
    factors: Sequence[str] | None = None,
    categorical: Sequence[str] = ("lithology",),
) -> pd.DataFrame:
    """Every single-factor threshold rule, fitted on one half of the area and scored on the other.

    Parameters
    ----------
    ds : xarray.Dataset
        An aligned stack of :func:`fcad_lib.data.study_area.load_study_area`, with ``label``
        and ``valid``; only valid pixels count.
    factors : sequence of str, optional
        Default ``ds.attrs["factors"]``.
    categorical : sequence of str
        Factors whose values are classes: they also get the rule "factor == unit".

    Returns
    -------
    pandas.DataFrame
        One row per factor, rule and (fit half, test half) pair: ``threshold``, ``fit_f1`` and
        ``test_precision``, ``test_recall``, ``test_f1``; sorted by ``test_f1``, largest first.
    """
    factors = list(ds.attrs["factors"] if factors is None else factors)
    valid = np.asarray(ds["valid"].values, dtype=bool)
    label = np.asarray(ds["label"].values) > 0
    halves = {k: h[valid] for k, h in _halves(valid.shape).items()}
    y = label[valid]
    rows: list[dict] = []
    for name in factors:
        x = np.asarray(ds[name].values, dtype=np.float64)[valid]
        for fit, test in _PAIRS:
            if name in categorical:
                rows += _categorical_rows(name, x, y, halves, fit, test)
            for rule, score in _rules(name, x).items():
                t, f1_fit = best_threshold(score[halves[fit]], y[halves[fit]])
                test_score = rule_f1(score[halves[test]], y[halves[test]], t)
                rows.append({"factor": name, "rule": rule, "fit_half": fit, "test_half": test,
                             "threshold": t if "<=" not in rule else -t, "fit_f1": f1_fit,
                             **{f"test_{k}": v for k, v in test_score.items()}})
    table = pd.DataFrame(rows)
    return table.sort_values("test_f1", ascending=False, ignore_index=True)


def worst_case(table: pd.DataFrame) -> pd.DataFrame:
    """The best rule of each factor (highest ``test_f1`` over rules and halves), best first."""
    idx = table.groupby("factor")["test_f1"].idxmax()
    return table.loc[idx].sort_values("test_f1", ascending=False, ignore_index=True)


def meets_target(table: pd.DataFrame, target: float = DEFAULT_TARGET_F1) -> bool:
    """Whether no single-factor rule of ``table`` reaches a test F1 above ``target``.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`threshold_rule_difficulty` (or :func:`worst_case`) of an area.
    target : float
        The highest test F1 a rule may reach for the area to be a fair test.
    """
    return bool(worst_case(table).iloc[0]["test_f1"] <= target)
