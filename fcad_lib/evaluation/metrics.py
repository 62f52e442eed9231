"""Pixel-level scores of the paper (Section 3.3) from streamed confusion counts.

Landslide is the positive class. With ``n = TP + FP + FN + TN``:

* precision ``Pre = TP / (TP + FP)``
* recall ``Rec = TP / (TP + FN)``
* ``F1 = 2 Pre Rec / (Pre + Rec)``
* ``Kappa = (po - pe) / (1 - pe)``, ``po = (TP + TN) / n``,
  ``pe = ((TP + FN)(TP + FP) + (FP + TN)(FN + TN)) / n^2``
* ``MIoU = 1/2 (TP / (TP + FN + FP) + TN / (TN + FN + FP))``

**Zero division**: any ratio whose denominator is 0 is reported as 0.0 (e.g. precision when
nothing is predicted positive, Kappa when ``pe = 1``), as scikit-learn's ``zero_division=0``.

Scores are computed once from counts accumulated over a whole split, never averaged over
batches (an average of per-batch F1 is not the F1 of the split). :class:`ThresholdSweep`
accumulates the counts at many thresholds at once from per-class histograms of the probability,
so its memory does not grow with the data. A pixel is predicted positive when its probability is
``>= threshold``; pixels with mask / sample weight ``<= 0`` (nodata) are not counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "SCORES",
    "ConfusionCounts",
    "ThresholdSweep",
    "evaluate",
    "scores_from_counts",
    "sweep_model",
]

#: Score names, in the column order of the paper's Table 3.
SCORES = ("pre", "rec", "f1", "kappa", "miou")


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else 0.0


def scores_from_counts(tp: int, fp: int, fn: int, tn: int) -> dict[str, float]:
    """The paper's five scores from confusion counts (zero division -> 0.0).

    Returns
    -------
    dict
        ``pre``, ``rec``, ``f1``, ``kappa``, ``miou``.
    """
    tp, fp, fn, tn = int(tp), int(fp), int(fn), int(tn)  # Python ints: no overflow in n^2
    n = tp + fp + fn + tn
    pre = _ratio(tp, tp + fp)
    rec = _ratio(tp, tp + fn)
    f1 = _ratio(2 * pre * rec, pre + rec)
    if n:
        po = (tp + tn) / n
        pe = ((tp + fn) * (tp + fp) + (fp + tn) * (fn + tn)) / n**2
        kappa = _ratio(po - pe, 1.0 - pe)
    else:
        kappa = 0.0
    miou = 0.5 * (_ratio(tp, tp + fn + fp) + _ratio(tn, tn + fn + fp))
    return {"pre": pre, "rec": rec, "f1": f1, "kappa": kappa, "miou": miou}


def _flatten(y_true: Any, y_prob: Any, valid: Any) -> tuple[np.ndarray, np.ndarray]:
    """Positive-label flags and probabilities (float64) of the valid pixels, 1-D."""
    yt = np.asarray(y_true).reshape(-1) >= 0.5
    # float64 on both sides of every comparison, so sweep and direct counts agree bit for bit.
    p = np.asarray(y_prob, dtype=np.float64).reshape(-1)
    if yt.size != p.size:
        raise ValueError(f"y_true has {yt.size} elements but y_prob has {p.size}")
    if valid is not None:
        keep = np.asarray(valid).reshape(-1)
        if keep.size != yt.size:
            raise ValueError(f"valid has {keep.size} elements but y_true has {yt.size}")
        keep = keep > 0
        yt, p = yt[keep], p[keep]
    return yt, p


@dataclass
class ConfusionCounts:
    """Pixel confusion counts, landslide = positive.

    Counts are Python ints (exact, JSON-serialisable with ``dataclasses.asdict``); they are
    accumulated with int64 numpy sums.
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def n(self) -> int:
        """Number of counted pixels."""
        return self.tp + self.fp + self.fn + self.tn

    def update(self, y_true: Any, y_prob: Any, threshold: float = 0.5,
               valid: Any = None) -> ConfusionCounts:
        """Add the pixels of one batch.

        Parameters
        ----------
        y_true
            Labels (1 = landslide), any shape.
        y_prob
            Probabilities, same number of elements.
        threshold
            A pixel is positive when ``y_prob >= threshold``.
        valid
            Boolean mask or sample weights of the same size; ``<= 0`` is not counted.

        Returns
        -------
        ConfusionCounts
            ``self``, for chaining.
        """
        yt, p = _flatten(y_true, y_prob, valid)
        yp = p >= float(threshold)
        tp = int(np.count_nonzero(yt & yp))
        fp = int(np.count_nonzero(~yt & yp))
        fn = int(np.count_nonzero(yt & ~yp))
        self.tp += tp
        self.fp += fp
        self.fn += fn
        self.tn += int(yt.size) - tp - fp - fn
        return self

    def __add__(self, other: ConfusionCounts) -> ConfusionCounts:
        if not isinstance(other, ConfusionCounts):
            return NotImplemented
        return ConfusionCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn,
                               self.tn + other.tn)

    def scores(self) -> dict[str, float]:
        """``pre``, ``rec``, ``f1``, ``kappa``, ``miou`` (see the module docstring)."""
        return scores_from_counts(self.tp, self.fp, self.fn, self.tn)

    def as_dict(self) -> dict[str, int]:
        """The four counts as a plain dict."""
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn}


def default_thresholds() -> np.ndarray:
    """0.01, 0.02, ..., 0.99 (each exactly equal to the Python literal ``k / 100``)."""
    return np.arange(1, 100) / 100.0


class ThresholdSweep:
    """Confusion counts at many thresholds at once, streamed over batches.

    Each valid pixel is binned by how many thresholds its probability reaches; one histogram per
    class is kept, so memory is ``O(len(thresholds))`` whatever the size of the split.

    Parameters
    ----------
    thresholds
        Increasing thresholds in (0, 1]; default :func:`default_thresholds` (99 values).

    Examples
    --------
    >>> sweep = ThresholdSweep()
    >>> sweep.update(np.array([0, 1, 1]), np.array([0.2, 0.7, 0.4]))  # doctest: +ELLIPSIS
    <...ThresholdSweep ...>
    >>> sweep.counts_at(0.5)
    ConfusionCounts(tp=1, fp=0, fn=1, tn=1)
    """

    def __init__(self, thresholds: Sequence[float] | np.ndarray | None = None) -> None:
        t = default_thresholds() if thresholds is None else np.asarray(thresholds, np.float64)
        t = np.unique(t.reshape(-1))
        if t.size == 0:
            raise ValueError("at least one threshold is needed")
        self.thresholds = t
        # hist[c, j]: pixels of class c (0 = stable, 1 = landslide) reaching exactly j thresholds.
        self.hist = np.zeros((2, t.size + 1), dtype=np.int64)

    def __repr__(self) -> str:
        return (f"<fcad_lib.evaluation.metrics.ThresholdSweep {self.thresholds.size} thresholds, "
                f"{int(self.hist.sum())} pixels>")

    def update(self, y_true: Any, y_prob: Any, valid: Any = None) -> ThresholdSweep:
        """Add one batch (same arguments as :meth:`ConfusionCounts.update`)."""
        yt, p = _flatten(y_true, y_prob, valid)
        # Number of thresholds t with t <= p, i.e. at which the pixel is predicted positive.
        reached = np.searchsorted(self.thresholds, p, side="right")
        size = self.thresholds.size + 1
        self.hist[1] += np.bincount(reached[yt], minlength=size)
        self.hist[0] += np.bincount(reached[~yt], minlength=size)
        return self

    def __add__(self, other: ThresholdSweep) -> ThresholdSweep:
        if not isinstance(other, ThresholdSweep):
            return NotImplemented
        if not np.array_equal(self.thresholds, other.thresholds):
            raise ValueError("cannot add sweeps over different thresholds")
        out = ThresholdSweep(self.thresholds)
        out.hist = self.hist + other.hist
        return out

    def _all_counts(self) -> np.ndarray:
        """``(len(thresholds), 4)`` int64 array of TP, FP, FN, TN per threshold."""
        # Pixels predicted positive at threshold k reach at least k + 1 thresholds.
        at_least = np.cumsum(self.hist[:, ::-1], axis=1)[:, ::-1][:, 1:]
        pos, neg = self.hist[1].sum(), self.hist[0].sum()
        tp, fp = at_least[1], at_least[0]
        return np.stack([tp, fp, pos - tp, neg - fp], axis=1)

    def _index(self, threshold: float) -> int:
        idx = np.flatnonzero(np.isclose(self.thresholds, threshold, rtol=0.0, atol=1e-9))
        if idx.size == 0:
            raise KeyError(f"threshold {threshold} is not one of the sweep's thresholds "
                           f"({self.thresholds[0]:g}..{self.thresholds[-1]:g}, "
                           f"{self.thresholds.size} values)")
        return int(idx[0])

    def counts_at(self, threshold: float) -> ConfusionCounts:
        """Confusion counts at one of the sweep's thresholds."""
        tp, fp, fn, tn = (int(v) for v in self._all_counts()[self._index(threshold)])
        return ConfusionCounts(tp, fp, fn, tn)

    def table(self) -> Any:
        """``pandas.DataFrame`` indexed by threshold: counts and the five scores."""
        import pandas as pd

        rows = []
        for t, (tp, fp, fn, tn) in zip(self.thresholds, self._all_counts(), strict=True):
            rows.append({"threshold": float(t), "tp": int(tp), "fp": int(fp), "fn": int(fn),
                         "tn": int(tn), **scores_from_counts(tp, fp, fn, tn)})
        return pd.DataFrame(rows).set_index("threshold")

    def best_threshold(self, metric: str = "f1", default: float = 0.5) -> float:
        """Threshold maximising ``metric`` (one of :data:`SCORES`).

        Ties are broken towards ``default`` (closest to it); when the metric is 0 at every
        threshold (e.g. no landslide pixel in the split) ``default`` is returned.
        """
        if metric not in SCORES:
            raise ValueError(f"unknown metric {metric!r}; expected one of {SCORES}")
        values = np.array([scores_from_counts(*c)[metric] for c in self._all_counts()])
        if not np.any(values > 0):
            return float(default)
        best = np.flatnonzero(values == values.max())
        return float(self.thresholds[best[np.argmin(np.abs(self.thresholds[best] - default))]])


def _batches(data: Any, batch_size: int) -> Iterable[tuple[Any, Any, Any]]:
    """``(x, y, w or None)`` batches from a dataset / iterable of tuples or from arrays."""
    if isinstance(data, tuple | list) and len(data) in (2, 3) and isinstance(data[0], np.ndarray):
        x, y = data[0], data[1]
        w = data[2] if len(data) == 3 else None
        for start in range(0, len(x), batch_size):
            stop = start + batch_size
            yield x[start:stop], y[start:stop], None if w is None else w[start:stop]
        return
    for batch in data:  # tf.data.Dataset or any iterable of (x, y[, w])
        if len(batch) == 2:
            yield batch[0], batch[1], None
        else:
            yield batch[0], batch[1], batch[2]


def sweep_model(model: Any, data: Any, thresholds: Sequence[float] | None = None,
                batch_size: int = 8) -> ThresholdSweep:
    """Stream ``model``'s probabilities over a whole split into a :class:`ThresholdSweep`.

    Parameters
    ----------
    model
        Keras model mapping ``(N, H, W, C)`` to probabilities ``(N, H, W, 1)``.
    data
        ``(X, y)`` or ``(X, y, sample_weight)`` arrays, or a ``tf.data.Dataset`` / iterable
        yielding such batches. Sample weights ``<= 0`` mark pixels that are not counted.
    thresholds
        Thresholds of the sweep; default :func:`default_thresholds`.
    batch_size
        Batch size when ``data`` are arrays (a dataset keeps its own batching).

    Returns
    -------
    ThresholdSweep
        Counts of the whole split at every threshold.
    """
    sweep = ThresholdSweep(thresholds)
    for x, y, w in _batches(data, batch_size):
        prob = model.predict_on_batch(x)
        sweep.update(np.asarray(y), np.asarray(prob), None if w is None else np.asarray(w))
    return sweep


def evaluate(model: Any, data: Any, thresholds: Sequence[float] = (0.5,),
             batch_size: int = 8) -> dict[float, dict[str, float]]:
    """Scores of ``model`` over a whole split, from counts accumulated batch by batch.

    Parameters
    ----------
    model, data, batch_size
        As in :func:`sweep_model`.
    thresholds
        Thresholds at which to score.

    Returns
    -------
    dict
        ``{threshold: {"pre", "rec", "f1", "kappa", "miou", "tp", "fp", "fn", "tn"}}``.
    """
    sweep = sweep_model(model, data, thresholds, batch_size)
    out = {}
    for t in thresholds:
        counts = sweep.counts_at(t)
        out[float(t)] = {**counts.scores(), **counts.as_dict()}
    return out
