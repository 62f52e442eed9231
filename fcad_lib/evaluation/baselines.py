"""Non-learned and per-pixel baselines, scored like the networks (rows of Tables 3 and 4).

A network earns its place only by beating what a simpler method does on the same tiles:

* **threshold rule** (:func:`fit_threshold_rule`): one factor, one direction and one threshold
  (``x >= t`` or ``x <= t``; ``|x|`` as well for the deformation rate, whose sign only says
  towards or away from the satellite), chosen to maximise F1 on the training + validation
  pixels. No learning beyond one number; if it matches the networks, the data make the answer.
* **per-pixel gradient boosting** (:func:`fit_pixel_gbt`): scikit-learn's
  ``HistGradientBoostingClassifier`` on the same channels, pixel by pixel (no spatial context),
  fitted on a subsample of the training pixels with balanced class weights; its probability
  threshold is chosen on the validation pixels, as the networks' is.
* **contextual gradient boosting** (``context_gbt``): the same classifier on multi-scale context
  features of the z-scored channels (:mod:`fcad_lib.evaluation.context`): each channel smoothed
  at three scales plus its local standard deviation. It shows how much of the networks' gain
  smoothed neighbourhoods alone give.

:func:`run_baseline` scores either on the **test patches of a prepared split**
(:class:`fcad_lib.samples.prepared.PreparedData`) with :mod:`fcad_lib.evaluation.metrics`
and returns an :class:`~fcad_lib.evaluation.result.ExperimentResult` shaped like
:func:`fcad_lib.training.experiments.run_experiment`'s, plus per-tile counts for
:mod:`fcad_lib.evaluation.stats` and the average precision ``ap``.
Raw (not z-scored) factor values are used: a threshold in mm/yr can be read.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fcad_lib.evaluation.calibration import tile_calibration
from fcad_lib.evaluation.metrics import ThresholdSweep, scores_from_counts
from fcad_lib.evaluation.result import ExperimentResult, result_path
from fcad_lib.evaluation.stats import tile_counts
from fcad_lib.samples.prepared import PreparedData

__all__ = [
    "BASELINE_DISPLAY_NAMES",
    "BASELINE_NAMES",
    "ThresholdRule",
    "baseline_slug",
    "fit_pixel_gbt",
    "context_pixels",
    "fit_threshold_rule",
    "resolution_ceiling",
    "run_baseline",
]

BASELINE_NAMES: tuple[str, ...] = ("threshold_rule", "pixel_gbt", "context_gbt")
BASELINE_DISPLAY_NAMES: dict[str, str] = {
    "threshold_rule": "Threshold rule",
    "pixel_gbt": "Pixel GBT",
    "context_gbt": "Context GBT",
}
#: Factors whose absolute value is also tried by the threshold rule.
ABSOLUTE_FACTORS: tuple[str, ...] = ("deformation_rate",)


@dataclass(frozen=True)
class ThresholdRule:
    """``landslide = sign * f(channel) >= sign * threshold``, ``f`` identity or ``abs``.

    Attributes
    ----------
    channel
        Channel name (raw units).
    absolute
        Whether the rule reads ``|x|``.
    direction
        ``">="`` or ``"<="``.
    threshold
        Threshold in the channel's units.
    f1_fit
        F1 on the pixels it was fitted on.
    """

    channel: str
    absolute: bool
    direction: str
    threshold: float
    f1_fit: float

    def score(self, x: np.ndarray, channels: Sequence[str]) -> np.ndarray:
        """Decision score (larger = more landslide) of ``x[..., C]`` raw channels."""
        v = np.asarray(x[..., list(channels).index(self.channel)], dtype=np.float64)
        v = np.abs(v) if self.absolute else v
        return v if self.direction == ">=" else -v

    def predict(self, x: np.ndarray, channels: Sequence[str]) -> np.ndarray:
        """Boolean landslide prediction of ``x[..., C]``."""
        cut = self.threshold if self.direction == ">=" else -self.threshold
        return self.score(x, channels) >= cut

    def describe(self) -> str:
        """The rule in words, e.g. ``|deformation_rate| >= 8.5``."""
        name = f"|{self.channel}|" if self.absolute else self.channel
        return f"{name} {self.direction} {self.threshold:.4g}"


def best_cut(score: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """Exact F1-maximising cut ``score >= c`` over all distinct values.

    Returns
    -------
    cut, f1
        The cut (a value of ``score``) and its F1; ``(inf, 0)`` without positives.
    """
    order = np.argsort(-score, kind="stable")
    s, y = score[order], positive[order]
    n_pos = int(y.sum())
    if n_pos == 0:
        return float("inf"), 0.0
    tp = np.cumsum(y)
    k = np.arange(1, len(s) + 1)  # pixels predicted positive when cutting after position k-1
    # only cut between distinct values: ties go together
    last_of_value = np.r_[s[1:] != s[:-1], True]
    f1 = np.where(last_of_value, 2 * tp / (k + n_pos), -1.0)
    i = int(np.argmax(f1))
    return float(s[i]), float(f1[i])


def fit_threshold_rule(x: np.ndarray, positive: np.ndarray, channels: Sequence[str],
                       absolute: Sequence[str] = ABSOLUTE_FACTORS) -> ThresholdRule:
    """The single-channel threshold rule with the highest F1 on ``(x, positive)``.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_pixels, C)`` raw channel values (finite).
    positive : numpy.ndarray
        ``(n_pixels,)`` bool labels.
    channels : sequence of str
        Channel names.
    absolute : sequence of str
        Channels whose absolute value is tried too.
    """
    best: ThresholdRule | None = None
    positive = np.asarray(positive, dtype=bool)
    for c, name in enumerate(channels):
        v = np.asarray(x[:, c], dtype=np.float64)
        for use_abs in (False, True) if name in absolute else (False,):
            w = np.abs(v) if use_abs else v
            for direction, sign in ((">=", 1.0), ("<=", -1.0)):
                cut, f1 = best_cut(sign * w, positive)
                if best is None or f1 > best.f1_fit:
                    best = ThresholdRule(name, use_abs, direction, sign * cut, f1)
    if best is None:
        raise ValueError("no channel to fit a threshold rule on")
    return best


def pixels(data: PreparedData, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw channel values, labels and tile index of the valid pixels of one split.

    Returns
    -------
    x, positive, tile
        ``(n, C)`` float32, ``(n,)`` bool and ``(n,)`` int (position within the split).
    """
    sub = data.patches.subset(data.splits[split])
    keep = sub.valid[..., 0]
    x = sub.X[keep]
    tile = np.broadcast_to(np.arange(len(sub))[:, None, None], keep.shape)[keep]
    return x, sub.y[..., 0][keep] > 0, tile


def context_pixels(data: PreparedData, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`pixels`, with the context features of the z-scored patches as ``x``."""
    from fcad_lib.evaluation.context import context_features

    x, y, w = data.arrays[split]
    keep = w[..., 0] > 0
    feats = context_features(x)[keep]
    tile = np.broadcast_to(np.arange(len(x))[:, None, None], keep.shape)[keep]
    return feats, y[..., 0][keep] > 0, tile


def fit_pixel_gbt(x: np.ndarray, positive: np.ndarray, n_pixels: int = 20000,
                  seed: int = 0) -> Any:
    """Per-pixel ``HistGradientBoostingClassifier`` on a random subsample of pixels.

    Every landslide pixel is kept up to half of ``n_pixels``; the rest are background pixels
    drawn at random. Class weights are balanced, so the rare class is not ignored.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(positive), np.flatnonzero(~positive)
    pos = rng.choice(pos, min(len(pos), n_pixels // 2), replace=False)
    neg = rng.choice(neg, min(len(neg), n_pixels - len(pos)), replace=False)
    idx = np.concatenate([pos, neg])
    clf = HistGradientBoostingClassifier(max_iter=200, class_weight="balanced",
                                         random_state=seed)
    return clf.fit(x[idx], positive[idx])


def _scores(positive: np.ndarray, predicted: np.ndarray) -> tuple[dict, dict]:
    tp = int(np.sum(positive & predicted))
    fp = int(np.sum(~positive & predicted))
    fn = int(np.sum(positive & ~predicted))
    tn = int(positive.size) - tp - fp - fn
    return scores_from_counts(tp, fp, fn, tn), {"tp": tp, "fp": fp, "fn": fn, "tn": tn}


def _per_tile(data: PreparedData, split: str, predicted_valid: np.ndarray) -> np.ndarray:
    sub = data.patches.subset(data.splits[split])
    keep = sub.valid[..., 0]
    pred = np.zeros(keep.shape, dtype=bool)
    pred[keep] = predicted_valid
    return tile_counts(sub.y[..., 0], pred, keep)


def _spec_dict(spec: Any, name: str, extra: dict[str, Any]) -> dict[str, Any]:
    d = asdict(spec) if is_dataclass(spec) else dict(spec)
    d = {**d, "model": name, **extra}
    d["factors"] = list(d.get("factors", ()))
    return d


def _spec_and_slug(name: str, spec: Any, n_pixels: int) -> tuple[dict[str, Any], str]:
    if name not in BASELINE_NAMES:
        raise ValueError(f"unknown baseline {name!r}; choose one of {BASELINE_NAMES}")
    extra = {"n_pixels": n_pixels} if name != "threshold_rule" else {}
    spec_d = _spec_dict(spec, name, extra)
    digest = hashlib.sha1(json.dumps(spec_d, sort_keys=True).encode()).hexdigest()[:8]
    return spec_d, f"{name}_{spec_d['split']}_seed{spec_d['seed']}_{digest}"


def baseline_slug(name: str, spec: Any, n_pixels: int = 20000) -> str:
    """Folder name of a baseline's cached result under ``run_dir/experiments/``.

    Parameters
    ----------
    name : str
        One of :data:`BASELINE_NAMES`.
    spec : ExperimentSpec or dict
        The networks' spec whose data the baseline is fitted on.
    n_pixels : int
        Training pixels of the gradient boosting (ignored by the threshold rule).
    """
    return _spec_and_slug(name, spec, n_pixels)[1]


def run_baseline(name: str, data: PreparedData, spec: Any, run_dir: str | Path | None = None,
                 n_pixels: int = 20000, reuse: bool = True) -> ExperimentResult:
    """Fit one baseline on a prepared split and score it on the test patches.

    Parameters
    ----------
    name : str
        ``"threshold_rule"``, ``"pixel_gbt"`` or ``"context_gbt"``.
    data : PreparedData
        Patches and splits of the networks' experiment (same test tiles).
    spec : ExperimentSpec or dict
        The networks' spec; its split, seed, factors and tag are recorded.
    run_dir : str or Path, optional
        When given, the result is cached in ``run_dir/experiments/<slug>/result.json``
        (:func:`fcad_lib.evaluation.result.result_path`).
    n_pixels : int
        Training pixels of the gradient boosting.
    reuse : bool
        Read a cached result instead of refitting.

    Returns
    -------
    ExperimentResult
        Its record holds ``spec`` (model = ``name``), ``threshold``, ``val`` (on the fitting
        pixels for the rule), ``test``, ``test_at_0.5``, counts, ``test_tile_counts``, ``ap``,
        ``rule`` (threshold rule only), ``best_epoch`` = ``None`` (no ``curve``, no
        ``bundle_dir``).
    """
    spec_d, slug = _spec_and_slug(name, spec, n_pixels)
    path = result_path(run_dir, slug) if run_dir else None
    if reuse and path is not None and path.exists():
        return ExperimentResult.read(path)

    from sklearn.metrics import average_precision_score

    t0 = time.perf_counter()
    channels = list(data.patches.channels)
    # the contextual GBT reads z-scored context features; the others the raw values
    split_pixels = context_pixels if name == "context_gbt" else pixels
    x_te, y_te, tile_te = split_pixels(data, "test")
    extra_out: dict[str, Any] = {}
    if name == "threshold_rule":
        x_tr, y_tr = (np.concatenate(v) for v in zip(pixels(data, "train")[:2],
                                                     pixels(data, "val")[:2], strict=True))
        rule = fit_threshold_rule(x_tr, y_tr, channels)
        score_te = rule.score(x_te, channels)
        pred_te = rule.predict(x_te, channels)
        val, _ = _scores(y_tr, rule.predict(x_tr, channels))
        threshold, pred_05 = rule.threshold, pred_te
        extra_out["rule"] = {**asdict(rule), "text": rule.describe()}
    else:
        x_tr, y_tr, _ = split_pixels(data, "train")
        clf = fit_pixel_gbt(x_tr, y_tr, n_pixels=n_pixels, seed=int(spec_d["seed"]))
        x_va, y_va, _ = split_pixels(data, "val")
        sweep = ThresholdSweep().update(y_va, clf.predict_proba(x_va)[:, 1])
        threshold = sweep.best_threshold("f1")
        val = sweep.counts_at(threshold).scores()
        score_te = clf.predict_proba(x_te)[:, 1]
        pred_te, pred_05 = score_te >= threshold, score_te >= 0.5
    test, counts = _scores(y_te, pred_te)
    test_05, counts_05 = _scores(y_te, pred_05)
    ap = float(average_precision_score(y_te, score_te)) if y_te.any() else 0.0
    if name != "threshold_rule":  # a probability: its calibration is measured as the networks'
        calib = tile_calibration(score_te, y_te, tile_te, len(data.splits["test"]))
        test = {**test, "ece": calib.ece, "brier": calib.brier}
        extra_out["calibration"] = {"temperature": None, "raw": calib.to_dict()}
    result = ExperimentResult({
        "spec": spec_d, "slug": slug, "label": BASELINE_DISPLAY_NAMES[name],
        "channels": channels, "threshold": float(threshold), "val": val,
        "test": {**test, "ap": ap}, "test_at_0.5": test_05,
        "test_counts": counts, "test_counts_at_0.5": counts_05,
        "test_tile_counts": _per_tile(data, "test", pred_te).tolist(),
        "ap": ap, **extra_out,
        "n_patches": {k: int(len(v)) for k, v in data.splits.items()},
        "n_positive_test_px": int(y_te.sum()),
        "best_epoch": None, "epochs_run": None, "unconverged": None,
        "train_seconds": time.perf_counter() - t0,
    })
    if path is not None:
        result.write(path)
    return result


def resolution_ceiling(label: np.ndarray, valid: np.ndarray, stride: int) -> float:
    """Best F1 of the label itself seen at ``1/stride`` resolution and bilinearly upsampled.

    FCN-8s predicts at 1/8 of the input resolution and upsamples (Long et al. 2015); this
    oracle (block means of the true label, upsampled, F1-optimal threshold) bounds what any
    such prediction can reach on an area whose landslides are a few pixels across.

    Parameters
    ----------
    label, valid : numpy.ndarray
        2-D landslide mask and validity mask of the area.
    stride : int
        Output stride of the network (8 for FCN-8s).
    """
    from scipy import ndimage

    y = np.asarray(label, dtype=np.float64)
    h, w = (s - s % stride for s in y.shape)
    y, keep = y[:h, :w], np.asarray(valid, dtype=bool)[:h, :w]
    coarse = y.reshape(h // stride, stride, w // stride, stride).mean(axis=(1, 3))
    up = ndimage.zoom(coarse, stride, order=1)[:h, :w]
    return best_cut(up[keep], y[keep] > 0.5)[1]
