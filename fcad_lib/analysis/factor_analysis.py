"""Factor analysis of the paper's Section 3.1 / 4.1: correlation, multicollinearity, importance.

* Figure 8: Pearson and Spearman correlation between the factors (the paper's text says
  Pearson, its caption Spearman: both are computed).
* Table 2: variance inflation factor ``VIF_i = 1 / (1 - R_i^2)`` and tolerance ``TOL = 1 / VIF``.
* Figure 9: random-forest importance ranking (Gini, plus permutation importance on held-out
  pixels, which is not biased towards many-valued continuous factors as Gini is).

All three work on a table of randomly sampled valid pixels (:func:`sample_pixels`), not on
the full raster: a few ten thousand pixels give stable statistics in seconds. The figures are
:func:`fcad_lib.plots.heatmaps.plot_correlation_heatmaps` and
:func:`fcad_lib.plots.importance.plot_importance`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

__all__ = [
    "correlation_matrices",
    "rf_importance",
    "sample_pixels",
    "vif_table",
]


def sample_pixels(
    ds: xr.Dataset,
    factors: Sequence[str] | None = None,
    n: int = 20000,
    seed: int = 0,
    balanced: bool = False,
) -> pd.DataFrame:
    """Random valid pixels of an aligned stack as a table.

    Parameters
    ----------
    ds : xarray.Dataset
        The aligned stack (:func:`fcad_lib.data.study_area.load_study_area`).
    factors : sequence of str, optional
        Columns to take; default ``ds.attrs["factors"]``.
    n : int
        Number of pixels (all valid pixels when fewer).
    seed : int
        Seed of the draw (without replacement).
    balanced : bool
        Draw ``n // 2`` landslide and ``n - n // 2`` background pixels (each capped at what is
        available). With the paper's 1 : 224 imbalance a plain random draw holds very few
        landslide pixels, too few for a random forest to learn what separates them; the
        balanced draw is for importance. Correlations and VIF describe the factors over the
        whole area, so use the plain draw for them.

    Returns
    -------
    pandas.DataFrame
        Columns ``factors`` (+ ``label`` when the stack has one). ``df.attrs`` holds
        ``n_valid`` (valid pixels in the stack), ``mask`` (``"valid"``: pixels where ``valid``
        is True and every chosen factor is finite), ``n_sampled`` and ``balanced``.
    """
    if factors is None:
        factors = list(ds.attrs["factors"])
    factors = list(factors)
    has_label = "label" in ds.data_vars
    if balanced and not has_label:
        raise ValueError("balanced sampling needs a `label` variable (a landslide inventory)")

    mask = np.ones(ds[factors[0]].shape, dtype=bool)
    if "valid" in ds.data_vars:
        mask &= np.asarray(ds["valid"].values, dtype=bool)
    for name in factors:
        mask &= np.isfinite(np.asarray(ds[name].values))
    flat = np.flatnonzero(mask.ravel())
    rng = np.random.default_rng(seed)

    if balanced:
        label_flat = np.asarray(ds["label"].values).ravel()[flat] > 0
        pos, neg = flat[label_flat], flat[~label_flat]
        n_pos = min(n // 2, pos.size)
        n_neg = min(n - n // 2, neg.size)
        chosen = np.concatenate(
            [rng.choice(pos, n_pos, replace=False), rng.choice(neg, n_neg, replace=False)]
        )
    else:
        chosen = rng.choice(flat, min(n, flat.size), replace=False)
    chosen = np.sort(chosen)

    columns = {name: np.asarray(ds[name].values).ravel()[chosen] for name in factors}
    if has_label:
        columns["label"] = np.asarray(ds["label"].values).ravel()[chosen].astype(np.uint8)
    df = pd.DataFrame(columns)
    df.attrs.update(
        n_valid=int(flat.size), mask="valid", n_sampled=int(chosen.size), balanced=balanced
    )
    return df


def correlation_matrices(df: pd.DataFrame, factors: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Pearson and Spearman correlation matrices of ``factors``.

    Returns
    -------
    dict
        ``{"pearson": DataFrame, "spearman": DataFrame}``, each ``factors x factors``.
    """
    data = df[list(factors)]
    return {"pearson": data.corr(method="pearson"), "spearman": data.corr(method="spearman")}


def vif_table(df: pd.DataFrame, factors: Sequence[str]) -> pd.DataFrame:
    """Variance inflation factor and tolerance of each factor (the paper's Table 2).

    ``VIF_i = 1 / (1 - R_i^2)`` with ``R_i^2`` of regressing factor ``i`` on the others.
    statsmodels' ``variance_inflation_factor`` regresses without adding an intercept, i.e. it
    assumes the design matrix already holds a constant column; without one the "VIF" of
    factors with non-zero mean is meaningless (e.g. hundreds for elevation). A constant is
    therefore added, and its own row dropped.

    Returns
    -------
    pandas.DataFrame
        Index ``factors``, columns ``VIF`` and ``TOL = 1 / VIF``.
    """
    from statsmodels.stats.outliers_influence import variance_inflation_factor
    from statsmodels.tools.tools import add_constant

    factors = list(factors)
    data = df[factors].dropna().astype(float)
    design = add_constant(data.to_numpy(), has_constant="add")
    vif = [variance_inflation_factor(design, i + 1) for i in range(len(factors))]
    out = pd.DataFrame({"VIF": vif}, index=pd.Index(factors, name="factor"))
    out["TOL"] = 1.0 / out["VIF"]
    return out


def rf_importance(
    df: pd.DataFrame,
    factors: Sequence[str],
    n_estimators: int = 300,
    seed: int = 0,
    test_size: float = 0.3,
    n_repeats: int = 5,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Random-forest importance of the factors for landslide / background (Figure 9).

    A ``RandomForestClassifier`` with ``class_weight="balanced"`` (landslides are rare) is fit
    on ``1 - test_size`` of the pixels (split stratified by label). Gini (mean decrease in
    impurity) comes from the training fit; its spread is the standard deviation over trees.
    Permutation importance is the drop in ROC AUC when a factor is shuffled on the held-out
    pixels, ``n_repeats`` times: ROC AUC because it is threshold-free and insensitive to the
    class imbalance, unlike accuracy.

    Returns
    -------
    pandas.DataFrame
        Index ``factors``, columns ``gini``, ``gini_std``, ``permutation``,
        ``permutation_std``, sorted by ``gini`` descending.
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.inspection import permutation_importance
    from sklearn.model_selection import train_test_split

    factors = list(factors)
    data = df[factors + ["label"]].dropna()
    X = data[factors].to_numpy(dtype=float)
    y = data["label"].to_numpy().astype(int)
    if np.unique(y).size < 2:
        raise ValueError("importance needs both landslide and background pixels in `df`")
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y
    )
    rf = RandomForestClassifier(
        n_estimators=n_estimators, class_weight="balanced", random_state=seed, n_jobs=n_jobs
    )
    rf.fit(X_tr, y_tr)
    per_tree = np.array([tree.feature_importances_ for tree in rf.estimators_])
    perm = permutation_importance(
        rf, X_te, y_te, scoring="roc_auc", n_repeats=n_repeats, random_state=seed, n_jobs=n_jobs
    )
    out = pd.DataFrame(
        {
            "gini": rf.feature_importances_,
            "gini_std": per_tree.std(axis=0),
            "permutation": perm.importances_mean,
            "permutation_std": perm.importances_std,
        },
        index=pd.Index(factors, name="factor"),
    )
    return out.sort_values("gini", ascending=False)
