"""Per-tile scores, seed spreads and paired bootstrap intervals behind every "A vs B" verdict.

A verdict compares two methods scored on the **same test tiles** (same split and seed):

* :func:`tile_counts` / :func:`model_tile_scores`: confusion counts per test tile (and the
  average precision of the split), the unit of resampling;
* :func:`paired_bootstrap`: resample the tiles with replacement (within each seed, the same
  draw for both methods), recompute each method's pooled F1 from the summed counts, average over
  seeds, and take the percentile interval of the difference (Efron and Tibshirani 1993, ch. 13).
  The interval reflects which tiles happened to be tested, given the trained models; the spread
  over seeds is reported beside it (:func:`seed_table`);
* :func:`verdict`: "A beats B" only when the interval excludes 0, otherwise
  "no detectable difference".

:func:`distrusted_runs` finds the runs a reader must know about before trusting a table (the
book puts all of it into words).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from fcad_lib.bundle import MODEL_FILE
from fcad_lib.evaluation.metrics import scores_from_counts
from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.evaluation.runs import LEARNT_AP_FACTOR, _unconverged, learnt, prevalence
from fcad_lib.samples.prepared import PreparedData

__all__ = [
    "COLLAPSE_F1",
    "DISTRUST_REASONS",
    "Bootstrap",
    "Comparison",
    "attach_tile_scores",
    "compare",
    "distrusted_runs",
    "f1_from_counts",
    "LEARNT_AP_FACTOR",
    "learnt",
    "label_results",
    "method_label",
    "model_tile_scores",
    "paired_bootstrap",
    "pooled",
    "prevalence",
    "ranking_flips",
    "RunId",
    "seed_table",
    "tile_counts",
    "tile_f1",
    "verdict",
]

def tile_counts(y_true: np.ndarray, y_pred: np.ndarray, valid: np.ndarray | None = None
                ) -> np.ndarray:
    """Confusion counts of every tile (patch).

    Parameters
    ----------
    y_true, y_pred : numpy.ndarray
        ``(N, H, W[, 1])`` labels (1 = landslide) and binary predictions.
    valid : numpy.ndarray, optional
        Same shape; pixels with ``valid <= 0`` are not counted.

    Returns
    -------
    numpy.ndarray
        ``(N, 4)`` int64 columns TP, FP, FN, TN.
    """
    n = len(y_true)
    yt = np.asarray(y_true).reshape(n, -1) >= 0.5
    yp = np.asarray(y_pred).reshape(n, -1).astype(bool)
    keep = np.ones_like(yt) if valid is None else np.asarray(valid).reshape(n, -1) > 0
    tp = np.sum(yt & yp & keep, axis=1)
    fp = np.sum(~yt & yp & keep, axis=1)
    fn = np.sum(yt & ~yp & keep, axis=1)
    tn = np.sum(keep, axis=1) - tp - fp - fn
    return np.stack([tp, fp, fn, tn], axis=1).astype(np.int64)


def f1_from_counts(counts: np.ndarray) -> np.ndarray:
    """F1 of counts ``(..., 4)`` along the last axis (0 where undefined, as the metrics)."""
    counts = np.asarray(counts, dtype=np.float64)
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    den = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 2 * tp / np.where(den > 0, den, 1), 0.0)


def pooled(tile_counts: np.ndarray) -> tuple[dict[str, float], dict[str, int]]:
    """The paper's five scores and the confusion counts of a split, from its tiles ``(n, 4)``."""
    totals = np.asarray(tile_counts, dtype=np.int64).reshape(-1, 4).sum(axis=0)
    counts = {k: int(v) for k, v in zip(("tp", "fp", "fn", "tn"), totals, strict=True)}
    return scores_from_counts(**counts), counts


def tile_f1(counts: np.ndarray) -> np.ndarray:
    """F1 of each tile; ``NaN`` for tiles with neither a landslide nor a positive prediction."""
    counts = np.asarray(counts)
    f1 = f1_from_counts(counts)
    empty = (counts[:, 0] + counts[:, 1] + counts[:, 2]) == 0
    return np.where(empty, np.nan, f1)


def model_tile_scores(model: Any, data: tuple[np.ndarray, np.ndarray, np.ndarray],
                      thresholds: Sequence[float], batch_size: int = 8) -> dict[str, Any]:
    """Per-tile counts at each threshold and the average precision of a network on one split.

    Parameters
    ----------
    model
        Keras model (``predict_on_batch``) returning ``(N, H, W, 1)`` probabilities.
    data
        ``(X, y, valid)`` arrays of the split (``PreparedData.arrays["test"]``).
    thresholds
        Thresholds at which to count.
    batch_size
        Prediction batch size.

    Returns
    -------
    dict
        ``{"tile_counts": {threshold: (N, 4) array}, "ap": float, "prob", "positive",
        "tile"}``: the last three are the probability, label and tile index of every valid
        pixel (for :mod:`fcad_lib.evaluation.calibration`).
    """
    from sklearn.metrics import average_precision_score

    x, y, w = data
    per_t: dict[float, list[np.ndarray]] = {float(t): [] for t in thresholds}
    labels, probs, tiles = [], [], []
    for start in range(0, len(x), batch_size):
        sl = slice(start, start + batch_size)
        prob = np.asarray(model.predict_on_batch(x[sl]), dtype=np.float64)
        for t in per_t:
            per_t[t].append(tile_counts(y[sl], prob >= t, w[sl]))
        keep = np.asarray(w[sl]).reshape(-1) > 0
        labels.append(np.asarray(y[sl]).reshape(-1)[keep] >= 0.5)
        probs.append(prob.reshape(-1)[keep])
        tile = np.broadcast_to(np.arange(start, start + len(prob))[:, None],
                               (len(prob), prob[0].size))
        tiles.append(tile.reshape(-1)[keep])
    yt, pr = np.concatenate(labels), np.concatenate(probs)
    ap = float(average_precision_score(yt, pr)) if yt.any() else 0.0
    return {"tile_counts": {t: np.concatenate(v) for t, v in per_t.items()}, "ap": ap,
            "prob": pr, "positive": yt, "tile": np.concatenate(tiles)}


def attach_tile_scores(result: ExperimentResult, data: PreparedData, batch_size: int = 8
                       ) -> ExperimentResult:
    """Add ``test_tile_counts`` (at the result's threshold) and ``ap`` to a network's result.

    A result that has them already is returned unchanged. The model is read from
    ``result.bundle_dir`` (its model file); ``data`` is the :class:`PreparedData` it was trained
    on (same split and seed, so the same test tiles as the baselines).
    """
    if "test_tile_counts" in result.record and "ap" in result.record:
        return result
    import keras

    import fcad_lib.models  # noqa: F401  (registers the custom layers)

    bundle, threshold = result.bundle_dir, result.threshold
    if bundle is None or threshold is None:
        raise ValueError(f"result {result.slug} has no saved model and threshold to score")
    model = keras.saving.load_model(bundle / MODEL_FILE, compile=False)
    scored = model_tile_scores(model, data.arrays["test"], (threshold,), batch_size)
    tiles = scored["tile_counts"][threshold]
    return result.updated(test_tile_counts=tiles.tolist(), ap=scored["ap"],
                          test={**result.scores, "ap": scored["ap"]})


@dataclass(frozen=True)
class Bootstrap:
    """A paired bootstrap interval of ``F1(A) - F1(B)``.

    Attributes
    ----------
    diff
        Observed difference (mean over seeds of the pooled-F1 differences).
    low, high
        Percentile interval at ``level``.
    level
        Coverage, e.g. 0.95.
    n_tiles
        Test tiles resampled (summed over seeds).
    n_seeds
        Seeds paired.
    """

    diff: float
    low: float
    high: float
    level: float
    n_tiles: int
    n_seeds: int

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval lies entirely on one side of 0."""
        return self.low > 0 or self.high < 0


def paired_bootstrap(counts_a: Sequence[np.ndarray], counts_b: Sequence[np.ndarray],
                     n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> Bootstrap:
    """Paired bootstrap over test tiles (within each seed) of the difference of pooled F1.

    Parameters
    ----------
    counts_a, counts_b
        One ``(n_tiles_s, 4)`` count array per seed, method A and method B, the same tiles in
        the same order for a seed (the split depends on the seed, so tiles differ between seeds).
    n_boot
        Bootstrap resamples.
    level
        Coverage of the percentile interval.
    seed
        Seed of the resampling.

    Returns
    -------
    Bootstrap
    """
    if len(counts_a) != len(counts_b) or not counts_a:
        raise ValueError(f"need the same, non-zero number of seeds: {len(counts_a)} vs "
                         f"{len(counts_b)}")
    rng = np.random.default_rng(seed)
    diffs = np.zeros(n_boot)
    observed = 0.0
    n_tiles = 0
    for a, b in zip(counts_a, counts_b, strict=True):
        a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
        if a.shape != b.shape or a.ndim != 2 or a.shape[1] != 4:
            raise ValueError(f"tile counts must be paired (n, 4) arrays, got {a.shape} and "
                             f"{b.shape}")
        if not np.array_equal(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2]):
            # TP + FN is the tile's landslide pixel count: it must agree for the same tiles
            raise ValueError("the two methods were not scored on the same test tiles (their "
                             "landslide pixel counts per tile differ)")
        n = len(a)
        n_tiles += n
        observed += f1_from_counts(a.sum(0)) - f1_from_counts(b.sum(0))
        idx = rng.integers(0, n, size=(n_boot, n))
        # (n_boot, n, 4) summed over tiles: the pooled counts of each resample
        diffs += f1_from_counts(a[idx].sum(1)) - f1_from_counts(b[idx].sum(1))
    k = len(counts_a)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(diffs / k, [alpha, 1.0 - alpha])
    return Bootstrap(float(observed / k), float(low), float(high), level, n_tiles, k)


def verdict(a: str, b: str, boot: Bootstrap) -> str:
    """``"A beats B"`` / ``"B beats A"`` when the interval excludes 0, else no difference."""
    if boot.excludes_zero:
        return f"{a} beats {b}" if boot.diff > 0 else f"{b} beats {a}"
    return f"no detectable difference between {a} and {b}"


def method_label(result: ExperimentResult) -> str:
    """The name a result is shown under: its ``label``, else the spec's model name."""
    return str(result.label or result.model)


def _counts_by_seed(results: Sequence[ExperimentResult], label: str, split: str
                    ) -> dict[int, np.ndarray]:
    out = {}
    for r in results:
        if method_label(r) == label and r.split == split:
            tiles = r.tile_counts
            if tiles is None:
                raise KeyError(f"result {r.slug or label} has no test_tile_counts; "
                               "score it with fcad_lib.evaluation.stats.model_tile_scores")
            out[r.seed] = tiles
    return out


@dataclass(frozen=True)
class Comparison:
    """One "A vs B" on one split: the interval and the verdict in words."""

    a: str
    b: str
    split: str
    boot: Bootstrap
    text: str
    #: Both methods learnt on every paired seed (:func:`learnt`); otherwise no verdict.
    comparable: bool = True


def compare(results: Sequence[ExperimentResult], a: str, b: str, split: str,
            n_boot: int = 2000, level: float = 0.95) -> Comparison | None:
    """Compare methods ``a`` and ``b`` (labels) on ``split`` over the seeds both have.

    Returns ``None`` when no seed has both.
    """
    ca, cb = _counts_by_seed(results, a, split), _counts_by_seed(results, b, split)
    seeds = sorted(set(ca) & set(cb))
    if not seeds:
        return None
    boot = paired_bootstrap([ca[s] for s in seeds], [cb[s] for s in seeds], n_boot, level)
    failed = [m for m in (a, b) if not all(
        learnt(r) for r in results if method_label(r) == m and r.split == split
        and r.seed in seeds)]
    if failed:
        who = " and ".join(failed)
        return Comparison(a, b, split, boot, f"not comparable ({who} did not learn)", False)
    return Comparison(a, b, split, boot, verdict(a, b, boot))


def seed_table(results: Sequence[ExperimentResult], metric: str = "f1",
               which: str = "test") -> pd.DataFrame:
    """Mean, standard deviation and number of seeds of ``metric`` per method and split.

    Returns
    -------
    pandas.DataFrame
        Index = method label; columns MultiIndex ``(split, mean | std | seeds)``.
    """
    rows = [{"method": method_label(r), "split": r.split, "seed": r.seed,
             metric: r.scores_of(which)[metric]} for r in results]
    frame = pd.DataFrame(rows)
    grouped = frame.groupby(["method", "split"], sort=False)[metric]
    table = grouped.agg(mean="mean", std="std", seeds="size").unstack("split")
    return table.swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)


#: Test F1 below which a run counts as collapsed.
COLLAPSE_F1 = 0.05

#: Why a run is not to be trusted (:func:`distrusted_runs`), in the order they are checked.
DISTRUST_REASONS = ("collapsed", "silent_at_0.5", "unconverged", "degenerate_threshold")


class RunId(NamedTuple):
    """A run named by its method, split and seed."""

    method: str
    split: str
    seed: Any


def distrusted_runs(results: Sequence[ExperimentResult],
                    collapse_f1: float = COLLAPSE_F1) -> dict[str, list[RunId]]:
    """Collapsed, unconverged and degenerate runs, by reason.

    * ``collapsed``: test F1 below ``collapse_f1`` at its threshold, or predicting one class
      for (nearly) every pixel;
    * ``silent_at_0.5``: no landslide pixel at all at the fixed threshold 0.5;
    * ``unconverged``: the best epoch is the last one (``unconverged`` flag, else
      ``best_epoch``);
    * ``degenerate_threshold``: recall > 0.9 with kappa < 0.05 (it calls almost everything a
      landslide).

    Returns
    -------
    dict
        Reason (of :data:`DISTRUST_REASONS`) -> the runs, in the order of ``results``; only
        reasons that some run has, in the order they are first found.
    """
    found: dict[str, list[RunId]] = {}

    def note(kind: str, r: ExperimentResult) -> None:
        found.setdefault(kind, []).append(RunId(method_label(r), r.split, r.seed))

    for r in results:
        test, counts = r.scores, r.test_counts
        n = sum(counts.values()) if counts else 0
        predicted = counts.get("tp", 0) + counts.get("fp", 0)
        if test["f1"] < collapse_f1 or (n and (predicted == 0 or predicted > 0.95 * n)):
            note("collapsed", r)
        at05 = r.test_counts_at_05
        if at05 and at05.get("tp", 0) + at05.get("fp", 0) == 0:
            note("silent_at_0.5", r)
        if _unconverged(r):
            note("unconverged", r)
        if test["rec"] > 0.9 and test["kappa"] < 0.05:
            note("degenerate_threshold", r)
    return found


def ranking_flips(results: Sequence[ExperimentResult], splits: Sequence[str] = ("random",
                  "blocked"), metric: str = "f1") -> list[tuple[str, str, dict[str, float],
                                                              dict[str, float]]]:
    """Pairs of methods whose order by mean ``metric`` differs between two splits.

    Returns
    -------
    list of tuple
        ``(upper_on_first, lower_on_first, {split: mean_upper}, {split: mean_lower})``.
    """
    table = seed_table(results, metric)
    s1, s2 = splits
    if s1 not in table.columns.get_level_values(0) or s2 not in table.columns.get_level_values(0):
        return []
    m1, m2 = table[(s1, "mean")].dropna(), table[(s2, "mean")].dropna()
    methods = [m for m in m1.index if m in m2.index]
    flips = []
    for i, a in enumerate(methods):
        for b in methods[i + 1:]:
            d1, d2 = m1[a] - m1[b], m2[a] - m2[b]
            if d1 * d2 < 0:
                up, low = (a, b) if d1 > 0 else (b, a)
                flips.append((up, low, {s1: m1[up], s2: m2[up]}, {s1: m1[low], s2: m2[low]}))
    return flips


def label_results(results: Sequence[ExperimentResult],
                  labeller: Callable[[ExperimentResult], str]) -> list[ExperimentResult]:
    """Copies of ``results`` with ``label`` set by ``labeller(result)``."""
    return [r.updated(label=labeller(r)) for r in results]
