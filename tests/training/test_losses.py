"""Tests of fcad_lib.training.losses: Keras / textbook forms and masking by weight 0."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from fcad_lib.training import losses


@pytest.fixture
def batch() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = (rng.random((2, 8, 8, 1)) < 0.3).astype("float32")
    p = rng.uniform(0.02, 0.98, size=y.shape).astype("float32")
    w = (rng.random(y.shape) < 0.7).astype("float32")
    return y, p, w


def _value(loss: keras.losses.Loss, y, p, w=None) -> float:
    return float(keras.ops.convert_to_numpy(loss(y, p, sample_weight=w)))


def test_bce_equals_keras(batch):
    y, p, w = batch
    assert _value(losses.get_loss("bce"), y, p) == pytest.approx(
        _value(keras.losses.BinaryCrossentropy(), y, p), rel=1e-6)
    # With weights: the weighted mean over valid pixels.
    ref = keras.losses.BinaryCrossentropy(reduction="mean_with_sample_weight")
    assert _value(losses.get_loss("bce"), y, p, w) == pytest.approx(_value(ref, y, p, w), rel=1e-6)


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_weight_zero_pixels_do_not_count(batch, name):
    y, p, w = batch
    loss = losses.get_loss(name)
    before = _value(loss, y, p, w)
    # Change labels and predictions only where the weight is 0.
    masked = w == 0
    y2, p2 = y.copy(), p.copy()
    y2[masked] = 1.0 - y2[masked]
    p2[masked] = 1.0 - p2[masked]
    assert _value(loss, y2, p2, w) == pytest.approx(before, rel=1e-6, abs=1e-7)
    # Same as dropping the masked pixels altogether (1-D batch of the valid pixels).
    keep = ~masked
    dropped = _value(loss, y[keep].reshape(1, -1, 1), p[keep].reshape(1, -1, 1))
    assert before == pytest.approx(dropped, rel=1e-5, abs=1e-7)


def test_focal_reduces_to_bce(batch):
    y, p, w = batch
    focal = losses.get_loss("focal", gamma=0.0, alpha=None)
    assert _value(focal, y, p, w) == pytest.approx(_value(losses.get_loss("bce"), y, p, w),
                                                    rel=1e-6)
    # gamma > 0 down-weights easy pixels, so the loss can only shrink.
    assert _value(losses.get_loss("focal", alpha=None), y, p) < _value(focal, y, p)


def test_weighted_bce(batch):
    y, p, _ = batch
    assert _value(losses.get_loss("weighted_bce", pos_weight=1.0), y, p) == pytest.approx(
        _value(losses.get_loss("bce"), y, p), rel=1e-6)
    pw = 5.0
    ref = -(pw * y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    assert _value(losses.get_loss("weighted_bce", pos_weight=pw), y, p) == pytest.approx(
        ref, rel=1e-5)


def test_dice_perfect_and_formula(batch):
    y, p, _ = batch
    assert _value(losses.get_loss("dice"), y, y) == pytest.approx(0.0, abs=1e-6)
    inter = (y * p).sum()
    ref = 1 - (2 * inter + 1.0) / (y.sum() + p.sum() + 1.0)
    assert _value(losses.get_loss("dice"), y, p) == pytest.approx(ref, rel=1e-5)


def test_tversky_half_half_is_dice(batch):
    y, p, w = batch
    tversky = losses.get_loss("tversky", alpha=0.5, beta=0.5, smooth=0.0)
    dice = losses.get_loss("dice", smooth=0.0)
    assert _value(tversky, y, p, w) == pytest.approx(_value(dice, y, p, w), rel=1e-6)
    # Smoothing s in Tversky's form is 2 s in Dice's form.
    assert _value(losses.get_loss("tversky", alpha=0.5, beta=0.5, smooth=1.0), y, p) == (
        pytest.approx(_value(losses.get_loss("dice", smooth=2.0), y, p), rel=1e-6))


def test_bce_dice_is_sum(batch):
    y, p, w = batch
    total = _value(losses.get_loss("bce_dice"), y, p, w)
    parts = _value(losses.get_loss("bce"), y, p, w) + _value(losses.get_loss("dice"), y, p, w)
    assert total == pytest.approx(parts, rel=1e-6)


def test_unknown_loss():
    with pytest.raises(ValueError, match="unknown loss"):
        losses.get_loss("hinge")


def test_pos_weight_from_labels():
    y = np.array([1, 0, 0, 0, 1, 0, 0])
    valid = np.array([1, 1, 1, 1, 1, 0, 0], bool)
    assert losses.pos_weight_from_labels(y, valid) == pytest.approx(1.5)
    assert losses.pos_weight_from_labels(y) == pytest.approx(2.5)
    assert losses.pos_weight_from_labels(np.zeros(4)) == 1.0
    assert losses.pos_weight_from_labels(y, max_weight=2.0) == 2.0


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_config_round_trip(name):
    loss = losses.get_loss(name)
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(clone) is type(loss)
