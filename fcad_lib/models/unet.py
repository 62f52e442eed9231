"""U-Net baseline (Ronneberger, Fischer & Brox 2015).

* Contracting path: ``depth`` stages of two 3x3 convolutions (``base_filters x 2**i`` maps) and a
  2x2 max pool; a bottom stage of two convolutions with ``base_filters x 2**depth`` maps, dropout.
* Expanding path: 2x2 transposed convolution (stride 2) halving the maps, concatenation with the
  contracting stage of the same size, two 3x3 convolutions.
* 1x1 convolution to one map, sigmoid.
* Deviations from the original: ``same`` padding (output size = input size, no crops), and batch
  normalisation after every convolution (``batch_norm=True``), which makes training from scratch
  with Adam reliable.  ``base_filters=64, depth=4`` is the original size (~31M parameters).
"""

from __future__ import annotations

import keras
from keras import layers

from fcad_lib.models.fcdensenet import check_patch_size


def double_conv(
    x: keras.KerasTensor, filters: int, batch_norm: bool = True, name: str = "conv"
) -> keras.KerasTensor:
    """Two 3x3 convolutions, each followed by [BN and] ReLU."""
    for j in range(2):
        x = layers.Conv2D(
            filters,
            3,
            padding="same",
            use_bias=not batch_norm,
            kernel_initializer="he_normal",
            name=f"{name}_conv{j}",
        )(x)
        if batch_norm:
            x = layers.BatchNormalization(name=f"{name}_bn{j}")(x)
        x = layers.ReLU(name=f"{name}_relu{j}")(x)
    return x


def build_unet(
    input_shape: tuple[int | None, int | None, int],
    base_filters: int = 64,
    depth: int = 4,
    dropout: float = 0.2,
    batch_norm: bool = True,
    name: str = "unet",
) -> keras.Model:
    """Build a U-Net with a sigmoid head.

    Parameters
    ----------
    input_shape : tuple
        ``(height, width, channels)``, height and width divisible by ``2**depth``.
    base_filters : int
        Maps of the first stage (64 in Ronneberger et al.; 8 for CPU tests).
    depth : int
        Number of poolings.
    dropout : float
        Dropout at the bottom of the contracting path (as in the original).
    batch_norm : bool
        Batch normalisation after every convolution.
    name : str
        Model name.

    Returns
    -------
    keras.Model
        Output ``(height, width, 1)`` float32 probabilities.
    """
    if depth < 1:
        raise ValueError(f"{name}: depth must be >= 1, got {depth}")
    check_patch_size(input_shape, depth, name)

    inputs = keras.Input(shape=input_shape, name="factors")
    x = inputs
    skips = []
    for i in range(depth):
        x = double_conv(x, base_filters * 2**i, batch_norm, name=f"down{i}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"down{i}_pool")(x)

    x = double_conv(x, base_filters * 2**depth, batch_norm, name="bottom")
    if dropout > 0:
        x = layers.Dropout(dropout, name="bottom_drop")(x)

    for i in reversed(range(depth)):
        x = layers.Conv2DTranspose(
            base_filters * 2**i, 2, strides=2, padding="same", name=f"up{i}_deconv"
        )(x)
        x = layers.Concatenate(name=f"up{i}_concat")([x, skips[i]])
        x = double_conv(x, base_filters * 2**i, batch_norm, name=f"up{i}")

    x = layers.Conv2D(1, 1, name="classifier_conv")(x)
    outputs = layers.Activation("sigmoid", dtype="float32", name="classifier_sigmoid")(x)
    return keras.Model(inputs, outputs, name=name)
