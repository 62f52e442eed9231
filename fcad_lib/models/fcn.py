"""FCN-8s baseline (Long, Shelhamer & Darrell 2015), scaled to the input.

* Encoder: VGG16-like, five stages of 2, 2, 3, 3, 3 3x3 convolutions with ``width x (1, 2, 4, 8,
  8)`` maps, each stage ending in a 2x2 max pool (pool1 .. pool5, strides 2 .. 32).  ``width=64`` is
  VGG16.  No ImageNet weights exist for 10-channel inputs (and none can be downloaded offline), so
  the encoder is trained from scratch; each convolution is therefore followed by batch
  normalisation (``batch_norm=True``), which VGG lacks but which makes training from scratch with
  Adam reliable.
* "fc6/fc7" as convolutions: 3x3 then 1x1 with ``fc_filters`` maps (default ``16 x width``,
  1024 for width 64; the original 7x7x4096 layers were sized for 224x224 ImageNet), dropout.
* Score layers: 1x1 convolutions to one map at pool3, pool4 and fc7.  The fc7 score is upsampled
  2x (learned 4x4 transposed conv) and added to the pool4 score, upsampled 2x again and added to
  the pool3 score, then upsampled 8x (16x16 transposed conv) to the input size; sigmoid head.
  As in FCN, score layers start at zero and upsampling layers at bilinear interpolation.
* ``same`` padding throughout instead of the original 100-pixel padding and crops, so the patch
  size must be divisible by 32.

**Why it scores low on small landslides.** The finest score map is at stride 8 (pool3), so a
landslide a few pixels across is at most a fraction of one output cell:
:func:`fcad_lib.evaluation.baselines.resolution_ceiling` bounds the F1 of any stride-8
prediction by that of the true mask seen at stride 8 (notebook 05). On the quick generated area
its BCE training stalls near the loss of predicting the base rate, and it predicts no landslide
pixel at 0.5. Random instead of zero score-layer initialisation did not change that.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from fcad_lib.models.fcdensenet import check_patch_size

#: Convolutions per VGG16 stage and their width multipliers.
VGG16_STAGES: tuple[tuple[int, int], ...] = ((2, 1), (2, 2), (3, 4), (3, 8), (3, 8))


def _conv(
    x: keras.KerasTensor, filters: int, kernel: int, batch_norm: bool, name: str
) -> keras.KerasTensor:
    """conv [BN] ReLU."""
    x = layers.Conv2D(
        filters,
        kernel,
        padding="same",
        use_bias=not batch_norm,
        kernel_initializer="he_normal",
        name=f"{name}_conv",
    )(x)
    if batch_norm:
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def vgg_stage(
    x: keras.KerasTensor, n_convs: int, filters: int, batch_norm: bool = True, name: str = "stage"
) -> keras.KerasTensor:
    """``n_convs`` x (3x3 conv [BN] ReLU), then a 2x2 max pool."""
    for j in range(n_convs):
        x = _conv(x, filters, 3, batch_norm, name=f"{name}_{j}")
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


@keras.saving.register_keras_serializable(package="fcad_lib")
class BilinearUpsampling(keras.initializers.Initializer):
    """Initialise a transposed-conv kernel ``(k, k, C, C)`` as bilinear interpolation.

    FCN initialises its learned upsampling layers this way so that training starts from a
    smooth, correctly centred upsampling rather than random weights.
    """

    def __call__(self, shape: tuple[int, ...], dtype: str | None = None) -> keras.KerasTensor:
        size, _, out_ch, in_ch = shape
        factor = (size + 1) // 2
        centre = factor - 1 if size % 2 == 1 else factor - 0.5
        grid = np.arange(size)
        profile = 1 - np.abs(grid - centre) / factor
        kernel = np.zeros(shape, dtype="float32")
        for c in range(min(out_ch, in_ch)):  # channel c only feeds channel c
            kernel[:, :, c, c] = np.outer(profile, profile)
        return keras.ops.convert_to_tensor(kernel, dtype=dtype or "float32")

    def get_config(self) -> dict:
        return {}


def score(x: keras.KerasTensor, name: str) -> keras.KerasTensor:
    """1x1 convolution to one class score map (a logit)."""
    return layers.Conv2D(1, 1, kernel_initializer="zeros", name=name)(x)


def upsample(x: keras.KerasTensor, factor: int, name: str) -> keras.KerasTensor:
    """Learned ``factor`` x upsampling: transposed conv with a ``2 * factor`` kernel.

    Initialised to bilinear interpolation, as in FCN.
    """
    return layers.Conv2DTranspose(
        1,
        2 * factor,
        strides=factor,
        padding="same",
        use_bias=False,
        kernel_initializer=BilinearUpsampling(),
        name=name,
    )(x)


def build_fcn(
    input_shape: tuple[int | None, int | None, int],
    width: int = 64,
    fc_filters: int | None = None,
    dropout: float = 0.5,
    batch_norm: bool = True,
    name: str = "fcn8s",
) -> keras.Model:
    """Build an FCN-8s with a sigmoid head.

    Parameters
    ----------
    input_shape : tuple
        ``(height, width, channels)``, height and width divisible by 32.
    width : int
        Maps of the first VGG stage (64 = VGG16; 8 for CPU tests).
    fc_filters : int, optional
        Maps of the fc6/fc7 convolutions; default ``16 * width``.
    dropout : float
        Dropout after fc6 and fc7 (0.5 in FCN).
    batch_norm : bool
        Batch normalisation after every encoder convolution (see the module docstring).
    name : str
        Model name.

    Returns
    -------
    keras.Model
        Output ``(height, width, 1)`` float32 probabilities.
    """
    check_patch_size(input_shape, 5, name)
    fc_filters = fc_filters or 16 * width

    inputs = keras.Input(shape=input_shape, name="factors")
    x = inputs
    pools = []
    for i, (n_convs, mult) in enumerate(VGG16_STAGES, start=1):
        x = vgg_stage(x, n_convs, width * mult, batch_norm, name=f"block{i}")
        pools.append(x)
    pool3, pool4 = pools[2], pools[3]

    x = _conv(x, fc_filters, 3, batch_norm, name="fc6")
    x = layers.Dropout(dropout, name="fc6_drop")(x)
    x = _conv(x, fc_filters, 1, batch_norm, name="fc7")
    x = layers.Dropout(dropout, name="fc7_drop")(x)

    # 32s -> 16s -> 8s -> full resolution, summing the skip scores on the way
    x = upsample(score(x, "score_fr"), 2, "upscore2")
    x = layers.Add(name="fuse_pool4")([x, score(pool4, "score_pool4")])
    x = upsample(x, 2, "upscore_pool4")
    x = layers.Add(name="fuse_pool3")([x, score(pool3, "score_pool3")])
    x = upsample(x, 8, "upscore8")
    outputs = layers.Activation("sigmoid", dtype="float32", name="classifier_sigmoid")(x)
    return keras.Model(inputs, outputs, name=name)
