"""Uncertainty of the predictor: several forward passes per tile, their mean and spread.

Two ways to get several passes of the same trained network (``--uncertainty``):

- ``tta`` (test-time augmentation): the 8 dihedral transforms (4 rotations x flip) of each
  tile, each output transformed back before averaging. Only for *geometry-free* stacks
  (:func:`fcad_lib.samples.geometry_free`): rotating or flipping a raster does not rotate the
  line of sight of InSAR deformation, the aspect angle or the sun direction of optical bands, so
  for those stacks a flipped tile is not a plausible input and TTA is refused.
- ``mc`` (Monte Carlo dropout, Gal & Ghahramani 2016; :mod:`~fcad_lib.predict.mc_dropout`):
  the network's own Dropout layers are kept active while every other layer runs in inference
  mode (BatchNormalization uses its moving statistics and updates nothing). Each tile's
  dropout masks are seeded from the run's seed and the tile's position, never from the
  processing order, so a resumed or Dask run gives the same numbers bit for bit.

The probability is the mean over the passes; the uncertainty is their standard deviation
(population, ``ddof=0``), both per pixel before blending.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from fcad_lib.samples import DIRECTIONAL_FACTORS, geometry_free

#: ``--uncertainty`` choices.
METHODS = ("none", "tta", "mc")
#: Default number of Monte Carlo dropout passes.
MC_PASSES = 20
#: The dihedral group of the square: 4 rotations x (no flip, flip).
TTA_PASSES = 8

#: ``forward(batch, origins) -> (bands, B, tile, tile)`` float64: mean (and std) of the passes.
Forward = Callable[[np.ndarray, Sequence[tuple[int, int]]], np.ndarray]


def check_method(method: str, channels: Sequence[str]) -> None:
    """Refuse an unknown method, and TTA on a stack whose meaning changes under flips.

    Raises
    ------
    ValueError
        One line naming the directional channels and suggesting ``mc``.
    """
    if method not in METHODS:
        raise ValueError(f"uncertainty must be one of {METHODS}, got {method!r}")
    if method == "tta" and not geometry_free(channels):
        directional = [c for c in channels if c in DIRECTIONAL_FACTORS]
        raise ValueError(f"--uncertainty tta flips and rotates tiles, which changes the meaning of "
                         f"the directional channel(s) {directional}; use --uncertainty mc")


def method_passes(method: str, passes: int | None) -> int:
    """Number of passes of ``method``: 1 for none, 8 for tta, ``passes`` (default 20) for mc."""
    if method not in METHODS:
        raise ValueError(f"uncertainty must be one of {METHODS}, got {method!r}")
    if method == "none":
        return 1
    if method == "tta":
        if passes not in (None, TTA_PASSES):
            raise ValueError(f"tta always makes the {TTA_PASSES} dihedral passes, got passes="
                             f"{passes}")
        return TTA_PASSES
    passes = MC_PASSES if passes is None else int(passes)
    if passes < 2:
        raise ValueError(f"mc needs at least 2 passes for a standard deviation, got {passes}")
    return passes


def dihedral(x: np.ndarray, i: int) -> np.ndarray:
    """Transform ``i`` (0..7) of a batch ``(B, H, W, ...)``: flip if ``i >= 4``, then rotate."""
    if i >= 4:
        x = x[:, :, ::-1]
    return np.rot90(x, i % 4, axes=(1, 2))


def undo_dihedral(y: np.ndarray, i: int) -> np.ndarray:
    """Inverse of :func:`dihedral` (rotate back, then flip back)."""
    y = np.rot90(y, -(i % 4), axes=(1, 2))
    return y[:, :, ::-1] if i >= 4 else y


def pass_seed(seed: int, origin: tuple[int, int], i: int) -> int:
    """Seed of pass ``i`` of the tile whose top-left pixel is ``origin`` (row, column)."""
    return int(np.random.SeedSequence([seed, origin[0], origin[1], i]).generate_state(1)[0])


def make_forward(model: Any, method: str, passes: int, seed: int) -> Forward:
    """The tile forward of a run: probability (and uncertainty) of a batch of tiles.

    Parameters
    ----------
    model : keras.Model
        The trained network (sigmoid output ``(B, H, W, 1)``).
    method : str
        ``"none"``, ``"tta"`` or ``"mc"``.
    passes : int
        Passes per tile (:func:`method_passes`).
    seed : int
        Seed of the run (``mc``).

    Returns
    -------
    callable
        ``forward(batch, origins)``: ``(1, B, H, W)`` probability for ``none``, else ``(2, B, H,
        W)``: mean and standard deviation over the passes (``float64``). ``origins`` are the
        tiles' top-left pixels, which seed their dropout masks.
    """

    def one_pass(batch: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict_on_batch(batch), dtype="float64")[..., 0]

    if method == "none":
        return lambda batch, origins: one_pass(batch)[None]
    if method == "tta":
        def run(batch: np.ndarray, origins: Sequence[tuple[int, int]]) -> np.ndarray:
            outs = [undo_dihedral(one_pass(np.ascontiguousarray(dihedral(batch, i))), i)
                    for i in range(passes)]
            return pass_stats(np.stack(outs))
        return run
    from fcad_lib.predict.mc_dropout import (  # Keras only when mc is asked for
        mc_model,
        set_row_seeds,
    )

    clone, layers = mc_model(model)

    def run_mc(batch: np.ndarray, origins: Sequence[tuple[int, int]]) -> np.ndarray:
        outs = []
        for i in range(passes):
            set_row_seeds(layers, [pass_seed(seed, o, i) for o in origins])
            outs.append(np.asarray(clone.predict_on_batch(batch), dtype="float64")[..., 0])
        return pass_stats(np.stack(outs))
    return run_mc


def pass_stats(outputs: np.ndarray) -> np.ndarray:
    """``(2, ...)``: mean and population standard deviation of ``outputs`` over axis 0."""
    return np.stack([outputs.mean(axis=0), outputs.std(axis=0)])
