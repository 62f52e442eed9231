"""Augmentation and the ``tf.data`` pipeline of the training patches.

The paper augments the rare landslide class; here every training element gets one of the 8
dihedral transforms (flips x rot90), drawn from a stateless seed so a run is reproducible.
TensorFlow is imported inside the functions, so the rest of :mod:`fcad_lib.samples` (and the
bundle's :class:`fcad_lib.bundle.Preprocessing`) does not pay its import time.

**Which patches may be flipped or rotated** (:func:`geometry_free`). A dihedral transform is
physically true only for channels that do not depend on a direction in the map:

* ``aspect`` is a compass angle: a rotated slope faces another way, but the value stays;
* ``deformation_rate`` is measured along the radar line of sight, whose azimuth is fixed by the
  orbit: a slope rotated by 90 degrees would move across the look direction and show a
  different (often much smaller) rate, which cannot be recomputed from the rate alone;
* the optical bands hold shadows and illumination cast by a sun in one azimuth.

So the default (``ExperimentSpec.augment = "physical"``) augments only stacks free of these
(e.g. elevation, slope, curvature, lithology), and otherwise relies on repeating the landslide
patches (:func:`fcad_lib.samples.oversample_positive`). Transforming aspect with the patch would
fix one channel, but not the line-of-sight rate or the shadows, so it is not attempted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from fcad_lib.factors import DEFORMATION, OPTICAL

if TYPE_CHECKING:
    import tensorflow as tf

__all__ = [
    "DIRECTIONAL_FACTORS",
    "augment",
    "augmentation_allowed",
    "geometry_free",
    "make_dataset",
]

#: Factors whose value depends on a direction in the map (see the module docstring).
DIRECTIONAL_FACTORS: tuple[str, ...] = (*DEFORMATION, "aspect", *OPTICAL)


def geometry_free(channels: Sequence[str]) -> bool:
    """Whether flips and rotations keep every channel physically true.

    Parameters
    ----------
    channels : sequence of str
        Input channel names (one-hot lithology channels count as lithology).

    Returns
    -------
    bool
        False when any channel is one of :data:`DIRECTIONAL_FACTORS`.
    """
    return not any(c in DIRECTIONAL_FACTORS for c in channels)


def augmentation_allowed(mode: str, channels: Sequence[str]) -> bool:
    """Whether a training set of these channels gets dihedral transforms under ``mode``.

    Parameters
    ----------
    mode : {"physical", "dihedral", "none"}
        ``"physical"``: only if :func:`geometry_free`; ``"dihedral"``: always (the paper's
        augmentation); ``"none"``: never.
    channels : sequence of str
        Input channel names.
    """
    if mode not in ("physical", "dihedral", "none"):
        raise ValueError(f"augmentation mode must be 'physical', 'dihedral' or 'none', got "
                         f"{mode!r}")
    return mode == "dihedral" or (mode == "physical" and geometry_free(channels))


def augment(x: tf.Tensor, y: tf.Tensor, w: tf.Tensor, seed: Any) -> tuple[tf.Tensor, ...]:
    """Apply one of the 8 dihedral transforms (flips x rot90), the same to image, label, weight.

    Parameters
    ----------
    x, y, w : tf.Tensor
        ``(H, W, C)``, ``(H, W, 1)``, ``(H, W, 1)`` (square patches: rotation keeps the shape).
    seed : int or tf.Tensor
        Stateless seed, an int or a shape-``(2,)`` int tensor; the transform is a deterministic
        function of it, so this works inside ``tf.data.Dataset.map``.

    Returns
    -------
    tuple of tf.Tensor
        ``(x, y, w)`` float32, transformed alike.
    """
    import tensorflow as tf

    seed = tf.convert_to_tensor(seed, dtype=tf.int64)
    if seed.shape.rank == 0:
        seed = tf.stack([seed, tf.constant(0, tf.int64)])
    k = tf.random.stateless_uniform([], seed=seed, minval=0, maxval=8, dtype=tf.int32)
    x = tf.cast(x, tf.float32)
    n_x = tf.shape(x)[-1]
    # One stacked tensor, so every transform moves image, label and weight together.
    z = tf.concat([x, tf.cast(y, tf.float32), tf.cast(w, tf.float32)], axis=-1)
    z = tf.cond(k >= 4, lambda: tf.image.flip_left_right(z), lambda: z)
    z = tf.image.rot90(z, k=k % 4)
    return z[..., :n_x], z[..., n_x : n_x + 1], z[..., n_x + 1 : n_x + 2]


def make_dataset(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None = None,
    batch_size: int = 8,
    shuffle: bool = True,
    augment: bool = False,
    seed: int = 0,
    repeat: bool = False,
) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of ``(x, y, sample_weight)`` float32 batches.

    Parameters
    ----------
    X : numpy.ndarray
        ``(N, H, W, C)`` normalised inputs (no NaN: see :meth:`Normalizer.transform`).
    y : numpy.ndarray
        ``(N, H, W, 1)`` labels.
    w : numpy.ndarray, optional
        ``(N, H, W, 1)`` per-pixel weights, usually ``Patches.valid`` (0 = masked); default 1.
    batch_size : int
    shuffle : bool
        Reshuffle every epoch (seeded).
    augment : bool
        Random dihedral transform per element (:func:`augment`), a different one each epoch.
    seed : int
        The dataset is a deterministic function of its inputs and ``seed``.
    repeat : bool
        Repeat forever (for ``steps_per_epoch`` training).
    """
    import tensorflow as tf

    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == X.ndim - 1:
        y = y[..., None]
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=np.float32)
    if w.ndim == X.ndim - 1:
        w = w[..., None]
    if not len(X) == len(y) == len(w):
        raise ValueError(f"X, y, w lengths differ: {len(X)}, {len(y)}, {len(w)}")
    ds = tf.data.Dataset.from_tensor_slices((X, y, w))
    if shuffle:
        ds = ds.shuffle(len(X), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    if augment:
        # A running element counter makes each element's (and each epoch's) seed distinct.
        ds = ds.enumerate().map(
            lambda i, el: _augment_element(el, seed, i), num_parallel_calls=1, deterministic=True
        )
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _augment_element(el: tuple, seed: int, i: Any) -> tuple:
    import tensorflow as tf

    return augment(*el, tf.stack([tf.constant(seed, tf.int64), tf.cast(i, tf.int64)]))
