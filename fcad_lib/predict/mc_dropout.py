"""Monte Carlo dropout without batch statistics: the model's Dropout layers swapped for seeded ones.

Calling a Keras model with ``training=True`` would switch on its Dropout layers but also make
BatchNormalization normalise with the batch's statistics (and update its moving ones). Instead
the model is cloned with every ``Dropout`` replaced by a :class:`PassDropout` that always drops
(all other layers are the original ones, weights shared) and the clone is run in inference
mode, so BatchNormalization keeps its moving statistics.

The masks come from a counter-based hash of (row seed, layer, position) in ``keras.ops``, and
the row seeds sit in a non-trainable variable: the clone is traced once by ``predict_on_batch``
and every pass reuses that graph (an eager call per pass was about 17x slower than a plain one).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

#: Most batch rows a pass can seed (the seeds variable is padded to this length).
MAX_ROWS = 4096
_MIX = 0x045D9F3B  # the multiplier of a well-known 32-bit integer hash (fits in int32)


def _mix(x: Any) -> Any:
    """A 32-bit integer hash in wrapping ``int32`` arithmetic (logical shifts by masking)."""
    for _ in range(2):
        x = keras.ops.bitwise_xor(x, keras.ops.bitwise_and(keras.ops.right_shift(x, 16), 0xFFFF))
        x = keras.ops.multiply(x, _MIX)
    return keras.ops.bitwise_xor(x, keras.ops.bitwise_and(keras.ops.right_shift(x, 16), 0xFFFF))


class PassDropout(keras.layers.Layer):
    """Dropout that always drops, with one seed per batch row.

    Stands in for a model's ``keras.layers.Dropout`` during Monte Carlo passes (seeded by
    :func:`set_row_seeds`): the mask of a row depends on its seed, this layer's index and the
    position only, not on the other rows of the batch, so a tile gets the same masks whichever
    batch or engine it runs in.
    """

    def __init__(self, rate: float, noise_shape: Any = None, index: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        self.rate, self.noise_shape, self.index = float(rate), noise_shape, index
        self.seeds = self.add_weight(shape=(MAX_ROWS,), dtype="int32", trainable=False,
                                     initializer="zeros", name="row_seeds")

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def call(self, inputs: Any) -> Any:
        if self.rate == 0:
            return inputs
        shape = keras.ops.shape(inputs)
        mask_shape = [1, *shape[1:]] if self.noise_shape is None else [
            1, *(shape[i + 1] if d is None else d for i, d in enumerate(self.noise_shape[1:]))]
        positions = keras.ops.reshape(
            keras.ops.arange(keras.ops.prod(mask_shape[1:]), dtype="int32"), mask_shape)
        rows = keras.ops.reshape(self.seeds[: shape[0]], [-1] + [1] * (len(mask_shape) - 1))
        key = _mix(keras.ops.add(_mix(rows), self.index * 0x3C6EF372 % 0x7FFFFFFF))
        bits = _mix(keras.ops.bitwise_xor(key, _mix(positions)))
        uniform = keras.ops.cast(keras.ops.bitwise_and(bits, 0x7FFFFF), "float32") / 2.0**23
        keep = keras.ops.cast(uniform >= self.rate, inputs.dtype)
        return inputs * keep / (1.0 - self.rate)


def set_row_seeds(layers: list[PassDropout], seeds: list[int]) -> None:
    """Seed the rows of the next batch in every layer (32-bit seeds; later rows get 0)."""
    if len(seeds) > MAX_ROWS:
        raise ValueError(f"at most {MAX_ROWS} rows per Monte Carlo batch, got {len(seeds)}")
    row = np.zeros(MAX_ROWS, "uint32")
    row[: len(seeds)] = np.asarray(seeds, "uint64") & 0xFFFFFFFF
    for layer in layers:
        layer.seeds.assign(row.view("int32"))


def mc_model(model: keras.Model) -> tuple[keras.Model, list[PassDropout]]:
    """The model with every Dropout replaced by a :class:`PassDropout` (weights shared).

    Run the result in inference mode (``predict_on_batch``): BatchNormalization then normalises
    with its moving statistics and updates nothing, while the :class:`PassDropout` layers drop
    regardless.

    Raises
    ------
    ValueError
        The model has no Dropout layer (nothing to sample), or one of a kind not handled here.
    """
    swapped: list[PassDropout] = []

    def swap(layer: keras.layers.Layer) -> keras.layers.Layer:
        if isinstance(layer, keras.layers.Dropout) and type(layer) is not keras.layers.Dropout:
            raise ValueError(f"mc handles plain Dropout layers only, not {type(layer).__name__}")
        if type(layer) is keras.layers.Dropout:
            swapped.append(PassDropout(layer.rate, layer.noise_shape, len(swapped),
                                       name=f"{layer.name}_mc"))
            return swapped[-1]
        return layer  # the same layer: the clone shares every weight

    clone = keras.models.clone_model(model, clone_function=swap)
    if not swapped:
        raise ValueError("the model has no Dropout layer, so --uncertainty mc has nothing to "
                         "sample; use none (or tta for a geometry-free stack)")
    return clone, swapped
