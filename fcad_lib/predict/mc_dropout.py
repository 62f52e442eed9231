"""Monte Carlo dropout without batch statistics: the model's Dropout layers swapped for seeded ones.

Calling a Keras model with ``training=True`` would switch on its Dropout layers but also make
BatchNormalization normalise with the batch's statistics (and update its moving ones). Instead
the model is cloned with every ``Dropout`` replaced by a :class:`PassDropout` that always drops
(all other layers are the original ones, weights shared) and the clone is called with
``training=False``, so BatchNormalization keeps its moving statistics.
"""

from __future__ import annotations

from typing import Any

import keras


class PassDropout(keras.layers.Layer):
    """Dropout that always drops, with one seed per batch row (set in :attr:`row_seeds`).

    Stands in for a model's ``keras.layers.Dropout`` during Monte Carlo passes: the mask of a
    row depends on its seed and this layer's index only, not on the other rows of the batch.
    """

    def __init__(self, rate: float, noise_shape: Any = None, index: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        self.rate, self.noise_shape, self.index = float(rate), noise_shape, index
        self.row_seeds: list[int] = []

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def call(self, inputs: Any) -> Any:
        if self.rate == 0:
            return inputs
        shape = None if self.noise_shape is None else (1, *self.noise_shape[1:])
        rows = [keras.random.dropout(inputs[r : r + 1], self.rate, noise_shape=shape,
                                     seed=(s * 1_000_003 + self.index) & 0xFFFFFFFF)
                for r, s in enumerate(self.row_seeds)]
        return keras.ops.concatenate(rows, axis=0)


def mc_model(model: keras.Model) -> tuple[keras.Model, list[PassDropout]]:
    """The model with every Dropout replaced by a :class:`PassDropout` (weights shared).

    Call the result with ``training=False``: BatchNormalization then normalises with its moving
    statistics and updates nothing, while the :class:`PassDropout` layers drop regardless.

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
