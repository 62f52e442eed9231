"""Segmentation losses for the sigmoid landslide map, all honouring per-pixel sample weights.

The paper trains with binary cross-entropy (Section 3.4). Landslide pixels are rare (1 : 224 in
the Baihetan area), so the alternatives usual for imbalanced segmentation are offered for
comparison:

========================  ========================================================================
name                      loss
========================  ========================================================================
``"bce"``                 binary cross-entropy (the paper)
``"weighted_bce"``        BCE with the positive term multiplied by ``pos_weight``
``"focal"``               focal loss (Lin et al. 2017), ``gamma=2``, ``alpha=0.25``
``"dice"``                soft Dice loss (Milletari et al. 2016)
``"tversky"``             Tversky loss (Salehi et al. 2017), ``alpha=0.3`` (FP), ``beta=0.7`` (FN)
``"bce_dice"``            BCE + soft Dice
========================  ========================================================================

Sample weights
    Masked (nodata) pixels are given sample weight 0 by :mod:`fcad_lib.samples`. Pixel-wise losses
    multiply each pixel's loss by its weight and, by default, divide by the **sum of the weights**
    (``reduction="mean_with_sample_weight"``), so a weight-0 pixel changes neither the numerator
    nor the denominator and a patch that is half nodata is not down-weighted. Region losses (Dice,
    Tversky) weight each pixel's contribution to the soft TP / FP / FN sums. Without sample
    weights every loss equals its unweighted textbook form; ``"bce"`` then equals
    :class:`keras.losses.BinaryCrossentropy`.

Region losses are computed over the whole batch (one soft TP / FP / FN sum per batch, not per
patch): most patches hold no landslide pixel, and a per-patch Dice would be undefined for them.

All arithmetic uses :mod:`keras.ops`, so the losses run on any Keras backend.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

__all__ = [
    "LOSSES",
    "BinaryCrossentropy",
    "BceDiceLoss",
    "DiceLoss",
    "FocalLoss",
    "TverskyLoss",
    "WeightedBinaryCrossentropy",
    "get_loss",
    "pos_weight_from_labels",
]

#: Default reduction of the pixel-wise losses: weighted mean over valid pixels.
DEFAULT_REDUCTION = "mean_with_sample_weight"


def _clip(y_pred: Any) -> Any:
    """Keep probabilities away from 0 and 1 so that the logarithms stay finite."""
    eps = keras.config.epsilon()
    return ops.clip(y_pred, eps, 1.0 - eps)


@keras.saving.register_keras_serializable(package="fcad_lib")
class BinaryCrossentropy(keras.losses.Loss):
    """Binary cross-entropy of sigmoid probabilities (the paper's loss).

    Parameters
    ----------
    reduction
        Keras reduction; the default divides by the sum of the sample weights.
    name
        Loss name shown in the training logs.
    """

    def __init__(self, reduction: str | None = DEFAULT_REDUCTION, name: str = "bce",
                 dtype: Any = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        # Mean over the channel axis (size 1) gives one value per pixel, as Keras' own BCE does.
        return ops.mean(ops.binary_crossentropy(y_true, y_pred), axis=-1)


@keras.saving.register_keras_serializable(package="fcad_lib")
class WeightedBinaryCrossentropy(keras.losses.Loss):
    """BCE with the landslide term scaled: ``-(w+ y log p + (1 - y) log(1 - p))``.

    Parameters
    ----------
    pos_weight
        Weight ``w+`` of positive pixels, e.g. :func:`pos_weight_from_labels` (negatives per
        positive). 1 gives plain BCE.
    """

    def __init__(self, pos_weight: float = 1.0, reduction: str | None = DEFAULT_REDUCTION,
                 name: str = "weighted_bce", dtype: Any = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.pos_weight = float(pos_weight)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        p = _clip(y_pred)
        loss = -(self.pos_weight * y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
        return ops.mean(loss, axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pos_weight": self.pos_weight}


@keras.saving.register_keras_serializable(package="fcad_lib")
class FocalLoss(keras.losses.Loss):
    """Binary focal loss ``-alpha_t (1 - p_t)^gamma log(p_t)`` (Lin et al. 2017).

    Parameters
    ----------
    gamma
        Focusing parameter; 0 gives (alpha-weighted) BCE.
    alpha
        Weight of the positive class (``1 - alpha`` for negatives); ``None`` disables the class
        balancing term. Lin et al. use 0.25 with ``gamma=2``.
    """

    def __init__(self, gamma: float = 2.0, alpha: float | None = 0.25,
                 reduction: str | None = DEFAULT_REDUCTION, name: str = "focal",
                 dtype: Any = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.gamma = float(gamma)
        self.alpha = None if alpha is None else float(alpha)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        ce = ops.binary_crossentropy(y_true, y_pred)
        p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
        loss = ops.power(1.0 - p_t, self.gamma) * ce
        if self.alpha is not None:
            loss = (y_true * self.alpha + (1.0 - y_true) * (1.0 - self.alpha)) * loss
        return ops.mean(loss, axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gamma": self.gamma, "alpha": self.alpha}


def _soft_counts(y_true: Any, y_pred: Any, sample_weight: Any) -> tuple[Any, Any, Any]:
    """Weighted soft TP, FP, FN summed over the whole batch."""
    if sample_weight is None:
        w = ops.ones_like(y_pred)
    else:
        w = ops.cast(sample_weight, y_pred.dtype)
        # Weights may come as (N, H, W) for (N, H, W, 1) predictions.
        if len(w.shape) == len(y_pred.shape) - 1:
            w = ops.expand_dims(w, axis=-1)
        w = ops.broadcast_to(w, ops.shape(y_pred))
    tp = ops.sum(w * y_true * y_pred)
    fp = ops.sum(w * (1.0 - y_true) * y_pred)
    fn = ops.sum(w * y_true * (1.0 - y_pred))
    return tp, fp, fn


class _RegionLoss(keras.losses.Loss):
    """Base of losses that are a function of batch-wide soft counts, not a sum over pixels.

    Keras' :meth:`Loss.__call__` multiplies a per-pixel loss by the weights; a region loss needs
    the weights inside its sums, so ``__call__`` is overridden.
    """

    def __init__(self, smooth: float = 1.0, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, reduction="none", dtype=dtype)
        self.smooth = float(smooth)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        y_true = ops.convert_to_tensor(y_true, dtype=self.dtype)
        return self.region_loss(*_soft_counts(y_true, y_pred, sample_weight))

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return self.region_loss(*_soft_counts(y_true, y_pred, None))

    def region_loss(self, tp: Any, fp: Any, fn: Any) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "smooth": self.smooth}


@keras.saving.register_keras_serializable(package="fcad_lib")
class DiceLoss(_RegionLoss):
    """Soft Dice loss ``1 - (2 TP + s) / (2 TP + FP + FN + s)`` over the batch.

    Parameters
    ----------
    smooth
        Additive smoothing ``s``; keeps the loss defined (0) for a batch without landslides
        and a prediction of all zeros.
    """

    def __init__(self, smooth: float = 1.0, name: str = "dice", dtype: Any = None) -> None:
        super().__init__(smooth=smooth, name=name, dtype=dtype)

    def region_loss(self, tp: Any, fp: Any, fn: Any) -> Any:
        return 1.0 - (2.0 * tp + self.smooth) / (2.0 * tp + fp + fn + self.smooth)


@keras.saving.register_keras_serializable(package="fcad_lib")
class TverskyLoss(_RegionLoss):
    """Tversky loss ``1 - (TP + s) / (TP + alpha FP + beta FN + s)`` over the batch.

    ``alpha = beta = 0.5`` is the Dice loss (with smoothing ``2 s`` in Dice's form);
    ``beta > alpha`` penalises missed landslides more than false alarms.
    """

    def __init__(self, alpha: float = 0.3, beta: float = 0.7, smooth: float = 1.0,
                 name: str = "tversky", dtype: Any = None) -> None:
        super().__init__(smooth=smooth, name=name, dtype=dtype)
        self.alpha = float(alpha)
        self.beta = float(beta)

    def region_loss(self, tp: Any, fp: Any, fn: Any) -> Any:
        return 1.0 - (tp + self.smooth) / (tp + self.alpha * fp + self.beta * fn + self.smooth)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha, "beta": self.beta}


@keras.saving.register_keras_serializable(package="fcad_lib")
class BceDiceLoss(keras.losses.Loss):
    """``bce_weight * BCE + dice_weight * Dice``, both weighted by the sample weights."""

    def __init__(self, bce_weight: float = 1.0, dice_weight: float = 1.0, smooth: float = 1.0,
                 name: str = "bce_dice", dtype: Any = None) -> None:
        super().__init__(name=name, reduction="none", dtype=dtype)
        self.bce_weight = float(bce_weight)
        self.dice_weight = float(dice_weight)
        self.smooth = float(smooth)
        self._bce = BinaryCrossentropy(dtype=dtype)
        self._dice = DiceLoss(smooth=smooth, dtype=dtype)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        return (self.bce_weight * self._bce(y_true, y_pred, sample_weight)
                + self.dice_weight * self._dice(y_true, y_pred, sample_weight))

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return self(y_true, y_pred)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "bce_weight": self.bce_weight,
                "dice_weight": self.dice_weight, "smooth": self.smooth}


#: Loss names accepted by :func:`get_loss`.
LOSSES: dict[str, type[keras.losses.Loss]] = {
    "bce": BinaryCrossentropy,
    "weighted_bce": WeightedBinaryCrossentropy,
    "focal": FocalLoss,
    "dice": DiceLoss,
    "tversky": TverskyLoss,
    "bce_dice": BceDiceLoss,
}


def get_loss(name: str = "bce", **kwargs: Any) -> keras.losses.Loss:
    """Loss instance by name.

    Parameters
    ----------
    name
        One of :data:`LOSSES` (``"bce"`` is the paper's).
    **kwargs
        Constructor arguments, e.g. ``pos_weight`` for ``"weighted_bce"``, ``gamma`` / ``alpha``
        for ``"focal"``, ``alpha`` / ``beta`` for ``"tversky"``, ``smooth`` for region losses.

    Returns
    -------
    keras.losses.Loss
        Callable as ``loss(y_true, y_pred, sample_weight=None)``.
    """
    try:
        cls = LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; expected one of {sorted(LOSSES)}") from None
    return cls(**kwargs)


def pos_weight_from_labels(y: np.ndarray, valid: np.ndarray | None = None,
                           max_weight: float | None = None) -> float:
    """Negatives per positive among valid pixels: the ``pos_weight`` that balances BCE.

    Parameters
    ----------
    y
        Labels, 1 = landslide (any shape).
    valid
        Boolean mask or sample weights of the same size; pixels with ``valid <= 0`` are ignored.
    max_weight
        Optional cap (a 1 : 224 ratio gives 224, which can make training unstable).

    Returns
    -------
    float
        ``n_negative / n_positive``; 1.0 when there is no positive pixel.
    """
    y = np.asarray(y).reshape(-1) >= 0.5
    if valid is not None:
        keep = np.asarray(valid).reshape(-1) > 0
        if keep.size != y.size:
            raise ValueError(f"valid has {keep.size} elements, labels have {y.size}")
        y = y[keep]
    n_pos = int(y.sum())
    if n_pos == 0:
        return 1.0
    weight = (y.size - n_pos) / n_pos
    return float(min(weight, max_weight) if max_weight is not None else weight)
