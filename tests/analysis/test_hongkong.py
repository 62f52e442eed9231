"""Cross-validated with / without DV comparison: folds, scores and paired intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, cohen_kappa_score, f1_score

from fcad_lib.analysis.hongkong import (
    CrossValidation,
    DvVerdict,
    added_deformation,
    cv_folds,
    dv_verdict,
    fold_scores,
    mean_scores,
    paired_gains,
    run_ablation,
    spatial_blocks,
)
from fcad_lib.data.hongkong import CONDITIONING


def samples(n: int = 600, seed: int = 0, dv_signal: float = 0.0) -> pd.DataFrame:
    """Points where slope separates the classes and DV carries ``dv_signal`` of the label."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    df = pd.DataFrame({f: rng.normal(size=n) for f in CONDITIONING})
    df["land_use"] = rng.integers(1, 4, n)
    df["lithology"] = rng.integers(1, 4, n)
    df["slope"] += 1.5 * label
    df["DV"] = rng.normal(size=n) - dv_signal * label
    df["X"], df["Y"] = rng.uniform(0, 10_000, n), rng.uniform(0, 10_000, n)
    df["label"] = label
    return df


def test_fold_scores_match_sklearn():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    prob = np.clip(0.3 * y + rng.uniform(0, 0.7, 300), 0, 1)
    s = fold_scores(y, prob, 0.5)
    pred = prob >= 0.5
    assert s["f1"] == pytest.approx(f1_score(y, pred))
    assert s["kappa"] == pytest.approx(cohen_kappa_score(y, pred))
    assert s["ap"] == pytest.approx(average_precision_score(y, prob))


def test_blocked_folds_never_split_a_block():
    df = samples()
    blocks = spatial_blocks(df, 2000.0)
    assert len(np.unique(blocks)) == 25  # 10 km / 2 km squared
    for tr, te in cv_folds(df, "blocked", n_folds=5, block_m=2000.0):
        assert not set(blocks[tr]) & set(blocks[te])
    with pytest.raises(ValueError, match="unknown split"):
        next(cv_folds(df, "diagonal"))


def test_paired_gains_corrected_t_interval():
    frame = pd.DataFrame({
        "label_set": "a", "split": "random", "fold": np.repeat(np.arange(4), 2),
        "factors": ["with_dv", "without_dv"] * 4,
        "f1": [0.80, 0.78, 0.82, 0.79, 0.81, 0.80, 0.85, 0.80],
    })
    frame.attrs["test_fraction"] = 0.25
    g = paired_gains(frame).loc[("a", "random")]
    diff = np.array([0.02, 0.03, 0.01, 0.05])
    se = np.sqrt((1 / 4 + 0.25 / 0.75) * diff.var(ddof=1))
    assert g["gain"] == pytest.approx(diff.mean())
    assert g["hi"] - g["gain"] == pytest.approx(stats.t.ppf(0.975, 3) * se)
    assert g["folds"] == 4


def test_ablation_finds_a_planted_dv_signal_only_where_it_is():
    tables = {"independent": samples(dv_signal=0.0),
              "insar_augmented": samples(seed=1, dv_signal=2.0)}
    tables["insar_augmented"]["insar_added"] = np.arange(600) % 5 == 0
    frame = run_ablation(tables, cv=CrossValidation(splits=("random",), n_folds=5), max_iter=30)
    assert list(frame.columns) == ["label_set", "factors", "split", "fold", "pre", "rec",
                                   "f1", "kappa", "miou", "ap"]
    assert set(frame["label_set"]) == {"independent", "insar_augmented",
                                       "insar_augmented_tested_on_independent"}
    gains = paired_gains(frame)
    assert gains.loc[("insar_augmented", "random"), "gain"] > 0.05
    assert gains.loc[("insar_augmented", "random"), "excludes_zero"]
    assert abs(gains.loc[("independent", "random"), "gain"]) < 0.05
    dv_only = frame[frame["factors"] == "dv_only"].groupby("label_set")["ap"].mean()
    assert dv_only["insar_augmented"] > 0.8 > dv_only["independent"]
    f1 = mean_scores(frame)
    assert f1[("independent", "random", "dv_only")] == pytest.approx(
        frame.query("label_set == 'independent' and factors == 'dv_only'")["f1"].mean())


def _gains(independent: tuple[float, bool], augmented: tuple[float, bool],
           splits: tuple[str, ...] = ("random", "blocked")) -> pd.DataFrame:
    rows = [{"label_set": label_set, "split": split, "gain": gain, "excludes_zero": excludes}
            for label_set, (gain, excludes) in (("independent", independent),
                                                 ("insar_augmented", augmented))
            for split in splits]
    return pd.DataFrame(rows).set_index(["label_set", "split"])


def test_dv_verdict_tells_circular_from_real_gains():
    assert dv_verdict(_gains((0.01, False), (0.2, True))) is DvVerdict.CIRCULAR
    assert dv_verdict(_gains((0.05, True), (0.2, True))) is DvVerdict.HELPS
    assert dv_verdict(_gains((0.01, False), (0.2, False))) is DvVerdict.UNCLEAR
    # a detectable loss on the independent labels is no gain, and not circular either
    assert dv_verdict(_gains((-0.05, True), (0.2, True))) is DvVerdict.UNCLEAR
    # a loss on the augmented labels is not the circular pattern
    assert dv_verdict(_gains((0.01, False), (-0.2, True))) is DvVerdict.UNCLEAR
    # circular only when every split shows the gain on the augmented labels
    mixed = _gains((0.01, False), (0.2, True))
    mixed.loc[("insar_augmented", "blocked"), "excludes_zero"] = False
    assert dv_verdict(mixed) is DvVerdict.UNCLEAR


def test_added_deformation_counts_median_and_negative_share():
    added = added_deformation(pd.Series([-4.0, -5.0, 1.0]))
    assert added.count == 3
    assert added.median_mm_yr == -4.0
    assert added.negative_share == pytest.approx(2 / 3)
