"""Convolutional Block Attention Module (CBAM, Woo et al. 2018).

``cbam(x) = spatial_attention(channel_attention(x))``:

* :func:`channel_attention`: global average- and max-pooled descriptors (1 x 1 x C) go through one
  **shared** MLP (Dense ``max(C // r, 1)`` - ReLU - Dense ``C``); the two outputs are summed,
  squashed by a sigmoid and multiply the input channel-wise.
* :func:`spatial_attention`: channel-wise mean and max (H x W x 2) -> 7x7 conv to one map ->
  sigmoid, multiplying the input pixel-wise.  As in the paper's description (and unlike the
  authors' PyTorch code, which adds a BatchNorm) the conv is followed directly by the sigmoid.

The gates are layers named ``{name}_channel_gate`` and ``{name}_spatial_gate``, so a sub-model
``keras.Model(model.input, model.get_layer(f"{name}_spatial_gate").output)`` reads them.
"""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="fcad_lib")
class ChannelPool(layers.Layer):
    """Channel-wise mean and max of a ``(..., C)`` tensor, concatenated to ``(..., 2)``.

    A layer (rather than raw ``keras.ops`` calls in the functional graph) so that models holding
    it save to and load from ``.keras`` files on every backend.
    """

    def call(self, x: keras.KerasTensor) -> keras.KerasTensor:
        mean = ops.mean(x, axis=-1, keepdims=True)
        peak = ops.max(x, axis=-1, keepdims=True)
        return ops.concatenate([mean, peak], axis=-1)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], 2)


def channel_attention(
    x: keras.KerasTensor, reduction: int = 8, name: str = "cbam"
) -> keras.KerasTensor:
    """Refine ``x`` with CBAM's channel attention.

    Parameters
    ----------
    x : KerasTensor
        Feature map ``(N, H, W, C)``.
    reduction : int
        ``r``: the shared MLP's hidden layer has ``max(C // r, 1)`` units.
    name : str
        Prefix of the layer names; the gate is ``{name}_channel_gate``.
    """
    channels = x.shape[-1]
    hidden = max(channels // reduction, 1)
    avg = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_channel_avgpool")(x)
    peak = layers.GlobalMaxPooling2D(keepdims=True, name=f"{name}_channel_maxpool")(x)
    # one pair of Dense layers called on both descriptors: the MLP's weights are shared
    squeeze = layers.Dense(hidden, activation="relu", name=f"{name}_mlp_hidden")
    excite = layers.Dense(channels, name=f"{name}_mlp_out")
    logits = layers.Add(name=f"{name}_channel_sum")([excite(squeeze(avg)), excite(squeeze(peak))])
    gate = layers.Activation("sigmoid", name=f"{name}_channel_gate")(logits)
    return layers.Multiply(name=f"{name}_channel_refined")([x, gate])


def spatial_attention(
    x: keras.KerasTensor, kernel_size: int = 7, name: str = "cbam"
) -> keras.KerasTensor:
    """Refine ``x`` with CBAM's spatial attention.

    Parameters
    ----------
    x : KerasTensor
        Feature map ``(N, H, W, C)``.
    kernel_size : int
        Size of the convolution over the pooled ``(H, W, 2)`` map (7 in Woo et al.).
    name : str
        Prefix of the layer names; the gate is ``{name}_spatial_gate``.
    """
    pooled = ChannelPool(name=f"{name}_spatial_pool")(x)
    gate = layers.Conv2D(
        1, kernel_size, padding="same", activation="sigmoid", name=f"{name}_spatial_gate"
    )(pooled)
    return layers.Multiply(name=f"{name}_spatial_refined")([x, gate])


def cbam(
    x: keras.KerasTensor, reduction: int = 8, kernel_size: int = 7, name: str | None = None
) -> keras.KerasTensor:
    """Channel attention followed by spatial attention (Woo et al. 2018, Fig. 1).

    Parameters
    ----------
    x : KerasTensor
        Feature map ``(N, H, W, C)``.
    reduction : int
        Reduction ratio ``r`` of the shared MLP.
    kernel_size : int
        Spatial attention convolution size.
    name : str, optional
        Prefix of the layer names (unique per module in one model); default ``"cbam"``.

    Returns
    -------
    KerasTensor
        The refined map, same shape as ``x``.
    """
    name = name or "cbam"
    x = channel_attention(x, reduction, name=name)
    return spatial_attention(x, kernel_size, name=name)
