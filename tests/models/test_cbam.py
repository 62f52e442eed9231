"""Tests of the CBAM module (fcad_lib.models.cbam)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from fcad_lib.models.cbam import ChannelPool, cbam, channel_attention, spatial_attention

H, W, C = 16, 16, 12


def _cbam_model(channels: int = C, reduction: int = 8) -> keras.Model:
    inputs = keras.Input((H, W, channels))
    return keras.Model(inputs, cbam(inputs, reduction=reduction, name="att"))


@pytest.fixture(scope="module")
def model() -> keras.Model:
    keras.utils.set_random_seed(0)
    return _cbam_model()


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(2, H, W, C)).astype("float32")


def test_output_shape_equals_input_shape(model: keras.Model, x: np.ndarray) -> None:
    assert model.output_shape == (None, H, W, C)
    assert model(x).shape == x.shape


def test_gates_lie_strictly_between_zero_and_one(model: keras.Model, x: np.ndarray) -> None:
    gates = keras.Model(
        model.input,
        [model.get_layer("att_channel_gate").output, model.get_layer("att_spatial_gate").output],
    )
    channel_gate, spatial_gate = (np.asarray(g) for g in gates(x))
    assert channel_gate.shape == (2, 1, 1, C)
    assert spatial_gate.shape == (2, H, W, 1)
    for gate in (channel_gate, spatial_gate):
        assert np.all(gate > 0) and np.all(gate < 1)


def test_zero_input_gives_zero_output(model: keras.Model) -> None:
    out = np.asarray(model(np.zeros((1, H, W, C), dtype="float32")))
    np.testing.assert_array_equal(out, 0.0)


def test_mlp_is_shared_between_avg_and_max_branches(model: keras.Model) -> None:
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [d.name for d in dense] == ["att_mlp_hidden", "att_mlp_out"]
    hidden = C // 8
    # one MLP's weights + the 7x7x2 -> 1 spatial conv, nothing duplicated per branch
    expected = (C * hidden + hidden) + (hidden * C + C) + (7 * 7 * 2 + 1)
    assert model.count_params() == expected
    # each Dense layer is called on both pooled descriptors
    for layer in dense:
        assert len(layer._inbound_nodes) == 2


def test_hidden_units_never_below_one() -> None:
    small = _cbam_model(channels=4, reduction=16)
    assert small.get_layer("att_mlp_hidden").units == 1


def test_channel_and_spatial_attention_alone() -> None:
    inputs = keras.Input((H, W, C))
    assert channel_attention(inputs, 4, name="c").shape == (None, H, W, C)
    assert spatial_attention(inputs, 3, name="s").shape == (None, H, W, C)


def test_channel_pool_is_mean_and_max(x: np.ndarray) -> None:
    pooled = np.asarray(ChannelPool()(x))
    np.testing.assert_allclose(pooled[..., 0], x.mean(-1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pooled[..., 1], x.max(-1))


def test_save_load_round_trip(model: keras.Model, x: np.ndarray, tmp_path) -> None:
    path = tmp_path / "cbam.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)
