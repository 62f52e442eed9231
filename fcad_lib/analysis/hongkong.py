"""Cross-validated with / without deformation comparison on point samples (Hong Kong).

The paper's RS vs RS-DR gain (Li et al. 2024, Table 4) comes from samples delineated in "areas
with obvious deformation", so part of it may be circular. Chen et al.'s (2023) Hong Kong tables
carry the same factor twice over: with landslide labels mapped independently of InSAR, and with
2,805 more found from the deformation itself. A gradient-boosted classifier is trained with DV,
without DV and on DV alone, on both label sets, under random and spatially blocked k-fold CV;
F1 gains get a paired t-interval over folds with the Nadeau & Bengio (2003) correction for the
overlap of the training sets (a plain t-interval over CV folds is too narrow).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score
from sklearn.model_selection import GroupKFold, StratifiedKFold
from threadpoolctl import threadpool_limits

from fcad_lib.data.hongkong import CATEGORICAL, CONDITIONING
from fcad_lib.evaluation.metrics import scores_from_counts

__all__ = [
    "FACTOR_SETS",
    "SCORE_COLUMNS",
    "AddedDeformation",
    "CrossValidation",
    "DvVerdict",
    "added_deformation",
    "cv_folds",
    "dv_verdict",
    "fold_scores",
    "mean_scores",
    "paired_gains",
    "run_ablation",
    "spatial_blocks",
]

#: The three inputs of the ablation.
FACTOR_SETS: dict[str, tuple[str, ...]] = {
    "with_dv": (*CONDITIONING, "DV"),
    "without_dv": CONDITIONING,
    "dv_only": ("DV",),
}
SCORE_COLUMNS = ("pre", "rec", "f1", "kappa", "miou", "ap")
#: Label-set name given to the augmented model scored on its test rows that are not from InSAR.
HELD_OUT_SUFFIX = "_tested_on_independent"


def spatial_blocks(df: pd.DataFrame, block_m: float) -> np.ndarray:
    """Square block id of each sample from its ``X``/``Y`` (metres), for grouped CV."""
    col = np.floor(df["X"].to_numpy() / block_m).astype(np.int64)
    row = np.floor(df["Y"].to_numpy() / block_m).astype(np.int64)
    return row * 1_000_003 + col  # unique per block: rows and columns are far below 1e6


def cv_folds(df: pd.DataFrame, split: str, n_folds: int = 5, seed: int = 0,
             block_m: float = 2000.0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Train / test row positions of each fold.

    Parameters
    ----------
    df : pandas.DataFrame
        Samples with ``label``, ``X``, ``Y``.
    split : str
        ``random`` (stratified k-fold) or ``blocked`` (whole ``block_m`` squares per fold,
        :class:`~sklearn.model_selection.GroupKFold`), so that test points are not neighbours
        of training points.
    n_folds : int
        Number of folds.
    seed : int
        Shuffles the rows (random) or the blocks (blocked).
    block_m : float
        Block side in metres.
    """
    y = df["label"].to_numpy()
    if split == "random":
        yield from StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(df, y)
    elif split == "blocked":
        groups = spatial_blocks(df, block_m)
        yield from GroupKFold(n_folds, shuffle=True, random_state=seed).split(df, y, groups)
    else:
        raise ValueError(f"unknown split {split!r}: use 'random' or 'blocked'")


def fold_scores(y_true: np.ndarray, prob: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """The paper's five scores at ``threshold`` plus average precision (PR-AUC)."""
    y = np.asarray(y_true).astype(bool)
    pred = np.asarray(prob) >= threshold
    counts = dict(tp=int((y & pred).sum()), fp=int((~y & pred).sum()),
                  fn=int((y & ~pred).sum()), tn=int((~y & ~pred).sum()))
    return {**scores_from_counts(**counts), "ap": float(average_precision_score(y, prob))}


def _classifier(factors: Sequence[str], seed: int, max_iter: int):
    """Gradient boosting that takes NaN (no DV measurement) and class codes as they are."""
    return HistGradientBoostingClassifier(
        max_iter=max_iter, categorical_features=[f in CATEGORICAL for f in factors],
        early_stopping=False, random_state=seed,
    )


@dataclass(frozen=True)
class CrossValidation:
    """The folds of :func:`run_ablation`: which splits, how many folds, how many repeats.

    Attributes
    ----------
    splits : sequence of str
        ``random`` and / or ``blocked``.
    n_folds, repeats : int
        ``repeats`` times ``n_folds``-fold CV (repeat ``r`` uses seed ``seed + r``); every factor
        set sees the same folds, so their scores are paired.
    block_m : float
        Block side of the blocked split, metres.
    """

    splits: Sequence[str] = ("random", "blocked")
    n_folds: int = 5
    repeats: int = 1
    block_m: float = 2000.0


def run_ablation(
    tables: Mapping[str, pd.DataFrame],
    factor_sets: Mapping[str, Sequence[str]] = FACTOR_SETS,
    cv: CrossValidation | None = None,
    max_iter: int = 100,
    seed: int = 0,
    held_out: str | None = "insar_added",
    n_threads: int = 1,
) -> pd.DataFrame:
    """Score every factor set on every label set, split and fold.

    Parameters
    ----------
    tables : mapping
        Label set -> samples (:func:`fcad_lib.data.hongkong.read_hongkong_samples`).
    factor_sets : mapping
        Name -> factor columns.
    cv : CrossValidation, optional
        Splits, folds, repeats and block size (default ``CrossValidation()``: random and
        blocked, 5 folds, once, 2 km blocks).
    max_iter : int
        Boosting iterations.
    seed : int
        Seeds the folds and the classifier.
    held_out : str or None
        Boolean column (e.g. ``insar_added``): where a table has it, its models are also scored
        on the test rows where it is False, as label set ``<name>_tested_on_independent``.
    n_threads : int
        OpenMP threads per fit. One by default: the fits are small, and OpenMP threads that
        spin-wait on a shared, busy CPU slowed them down by an order of magnitude. (scikit-learn
        is imported at module level on purpose: a first import inside ``threadpool_limits``
        escaped the limit and made each fit 50 times slower.)

    Returns
    -------
    pandas.DataFrame
        Columns ``label_set``, ``factors``, ``split``, ``fold``, ``pre``, ``rec``, ``f1``,
        ``kappa``, ``miou``, ``ap`` (threshold 0.5: both label sets are about half landslides).
        ``attrs["test_fraction"]``: mean test share of the rows, for :func:`paired_gains`.
    """
    rows, test_shares = [], []
    with threadpool_limits(n_threads):
        _run(tables, factor_sets, cv or CrossValidation(), max_iter, seed, held_out, rows,
             test_shares)
    frame = pd.DataFrame(rows, columns=["label_set", "factors", "split", "fold",
                                        *SCORE_COLUMNS])
    frame.attrs["test_fraction"] = float(np.mean(test_shares))
    return frame


def _run(tables, factor_sets, cv: CrossValidation, max_iter, seed, held_out, rows: list,
         test_shares: list) -> None:
    """The loop of :func:`run_ablation`; appends to ``rows`` and ``test_shares``."""
    splits, n_folds, repeats, block_m = cv.splits, cv.n_folds, cv.repeats, cv.block_m
    for label_set, df in tables.items():
        y = df["label"].to_numpy()
        keep = None if held_out not in df.columns else ~df[held_out].to_numpy(dtype=bool)
        for split in splits:
            for rep in range(repeats):
                folds = cv_folds(df, split, n_folds, seed + rep, block_m)
                for k, (tr, te) in enumerate(folds):
                    test_shares.append(len(te) / len(df))
                    base = {"split": split, "fold": rep * n_folds + k}
                    for name, factors in factor_sets.items():
                        x = df[list(factors)].to_numpy(dtype=float)
                        model = _classifier(factors, seed + rep, max_iter).fit(x[tr], y[tr])
                        prob = model.predict_proba(x[te])[:, 1]
                        rows.append({"label_set": label_set, "factors": name, **base,
                                     **fold_scores(y[te], prob)})
                        if keep is not None:
                            sub = keep[te]
                            rows.append({"label_set": label_set + HELD_OUT_SUFFIX,
                                         "factors": name, **base,
                                         **fold_scores(y[te][sub], prob[sub])})


def paired_gains(frame: pd.DataFrame, other: str = "with_dv", base: str = "without_dv",
                 metric: str = "f1", level: float = 0.95) -> pd.DataFrame:
    """Mean gain ``other - base`` over paired folds with a corrected t-interval.

    The variance of the per-fold differences is inflated by ``1/J + n_test/n_train``
    (Nadeau & Bengio 2003, corrected resampled t) instead of ``1/J``, because the training
    sets of the ``J`` folds overlap and their scores are not independent.

    Returns
    -------
    pandas.DataFrame
        Index (``label_set``, ``split``); columns ``base``, ``other`` (mean scores), ``gain``,
        ``lo``, ``hi``, ``folds``, ``excludes_zero``.
    """
    share = float(frame.attrs.get("test_fraction", 0.2))
    wide = frame.pivot_table(index=["label_set", "split", "fold"], columns="factors",
                             values=metric, sort=False)
    out = []
    for (label_set, split), grp in wide.groupby(level=["label_set", "split"], sort=False):
        diff = (grp[other] - grp[base]).to_numpy()
        j = diff.size
        se = np.sqrt((1.0 / j + share / (1.0 - share)) * diff.var(ddof=1)) if j > 1 else np.nan
        half = stats.t.ppf(0.5 + level / 2, j - 1) * se if j > 1 else np.nan
        gain = float(diff.mean())
        out.append({"label_set": label_set, "split": split, "base": grp[base].mean(),
                    "other": grp[other].mean(), "gain": gain, "lo": gain - half,
                    "hi": gain + half, "folds": j,
                    "excludes_zero": bool(j > 1 and (gain - half > 0 or gain + half < 0))})
    return pd.DataFrame(out).set_index(["label_set", "split"])


def mean_scores(frame: pd.DataFrame, metric: str = "f1") -> pd.Series:
    """Mean of ``metric`` over folds, indexed by (``label_set``, ``split``, ``factors``)."""
    return frame.groupby(["label_set", "split", "factors"])[metric].mean()


class DvVerdict(Enum):
    """What the paired gains of DV say about circularity (:func:`dv_verdict`)."""

    #: No split shows a gain on the independent labels; every split does on the augmented ones.
    CIRCULAR = "circular"
    #: At least one split shows a gain on the independent labels.
    HELPS = "helps"
    #: Neither: the intervals are too wide to tell.
    UNCLEAR = "unclear"


def dv_verdict(gains: pd.DataFrame) -> DvVerdict:
    """Whether DV helps only on the labels found with it, from :func:`paired_gains`.

    An interval that excludes zero is a detectable gain (or loss): :attr:`DvVerdict.CIRCULAR`
    when no split has one on the ``independent`` labels and every split has a positive one on
    the ``insar_augmented`` labels; :attr:`DvVerdict.HELPS` when some split has a positive one
    on the ``independent`` labels; else :attr:`DvVerdict.UNCLEAR`.
    """
    ind = gains.xs("independent")
    aug = gains.xs("insar_augmented")
    if not ind["excludes_zero"].any() and (aug["excludes_zero"] & (aug["gain"] > 0)).all():
        return DvVerdict.CIRCULAR
    if (ind["excludes_zero"] & (ind["gain"] > 0)).any():
        return DvVerdict.HELPS
    return DvVerdict.UNCLEAR


@dataclass(frozen=True)
class AddedDeformation:
    """The DV of the samples added from InSAR (landslides), in mm/yr.

    Attributes
    ----------
    count : int
        Samples with a DV.
    median_mm_yr : float
        Their median DV.
    negative_share : float
        Share of them with a negative DV (moving away from the satellite).
    """

    count: int
    median_mm_yr: float
    negative_share: float


def added_deformation(dv_mm_yr: pd.Series) -> AddedDeformation:
    """:class:`AddedDeformation` of the DV values of the InSAR-added samples."""
    return AddedDeformation(int(dv_mm_yr.size), float(dv_mm_yr.median()),
                            float((dv_mm_yr < 0).mean()))
