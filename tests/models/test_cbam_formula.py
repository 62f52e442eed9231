"""CBAM's gates against a hand (numpy) computation of Woo et al. (2018), equations 2 and 3."""

from __future__ import annotations

import keras
import numpy as np

from fcad_lib.models.cbam import cbam

H, W, C, R, K = 6, 5, 4, 2, 7


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _conv_same(x: np.ndarray, kernel: np.ndarray, bias: float) -> np.ndarray:
    """Cross-correlation with zero 'same' padding: (N, H, W, Cin) * (k, k, Cin, 1)."""
    k = kernel.shape[0]
    pad = k // 2
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    out = np.zeros(x.shape[:3])
    for i in range(x.shape[1]):
        for j in range(x.shape[2]):
            out[:, i, j] = np.einsum("nabc,abc->n", xp[:, i:i + k, j:j + k, :], kernel[..., 0])
    return out[..., None] + bias


def test_cbam_output_equals_the_hand_formula() -> None:
    rng = np.random.default_rng(3)
    inputs = keras.Input((H, W, C))
    model = keras.Model(inputs, cbam(inputs, reduction=R, kernel_size=K, name="att"))
    # non-trivial weights and biases everywhere (the initial biases are 0)
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                               for w in layer.get_weights()])
    x = rng.normal(size=(2, H, W, C)).astype("float32")

    w1, b1 = model.get_layer("att_mlp_hidden").get_weights()
    w2, b2 = model.get_layer("att_mlp_out").get_weights()
    kernel, bias = model.get_layer("att_spatial_gate").get_weights()

    def mlp(v: np.ndarray) -> np.ndarray:
        return np.maximum(v @ w1 + b1, 0.0) @ w2 + b2

    xd = x.astype(np.float64)
    # Mc(F) = sigmoid(MLP(AvgPool(F)) + MLP(MaxPool(F)))
    channel_gate = _sigmoid(mlp(xd.mean(axis=(1, 2))) + mlp(xd.max(axis=(1, 2))))
    refined = xd * channel_gate[:, None, None, :]
    # Ms(F') = sigmoid(conv7x7([AvgPool_c(F'); MaxPool_c(F')]))
    pooled = np.stack([refined.mean(axis=-1), refined.max(axis=-1)], axis=-1)
    spatial_gate = _sigmoid(_conv_same(pooled, kernel, bias[0]))
    expected = refined * spatial_gate

    gates = keras.Model(model.input, [model.get_layer("att_channel_gate").output,
                                      model.get_layer("att_spatial_gate").output])
    got_channel, got_spatial = (np.asarray(g) for g in gates(x))
    np.testing.assert_allclose(got_channel[:, 0, 0, :], channel_gate, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_spatial, spatial_gate, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(model(x)), expected, rtol=1e-5, atol=1e-5)
