"""The target grid's pixel size against the one the model was trained on.

A network learns its features at the scale of its training pixels: slope and curvature of a
30 m DEM are not those of a 10 m one, and a landslide of 20 pixels at 12.5 m is 8 pixels at
30 m. The bundle records its training grid (:class:`fcad_lib.bundle.TrainingGrid`); a target
grid more than :data:`MAX_RESOLUTION_RATIO` times finer or coarser is refused unless the user
allows it (``--allow-resolution-mismatch``), and the run's record says so. A bundle written
before grids were recorded is warned about once and used as it is.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import rasterio
from pyproj import CRS

from fcad_lib.data.manifest import StudyArea
from fcad_lib.errors import FcadDataError, ResolutionMismatchError

#: Largest accepted ratio between target and training pixel size, either way.
MAX_RESOLUTION_RATIO = 1.5


class NoTrainingGridWarning(UserWarning):
    """The bundle records no training grid: the target's pixel size cannot be checked."""


def target_resolution_m(area: StudyArea | None, stack: Path,
                        resolution_m: float | None = None) -> float | None:
    """Pixel size (m) of the grid a run predicts on: the area's (or ``resolution_m``), or the
    stack's (on the ground, for a stack in degrees); None when the area states none."""
    if area is not None:
        return resolution_m if resolution_m is not None else area.resolution_m
    with rasterio.open(stack) as src:
        crs, res = src.crs, abs(float(src.res[0]))
    if crs is not None and CRS.from_user_input(crs).is_geographic:
        from fcad_lib.data.new_area import projected_crs_for
        from fcad_lib.data.readers import native_pixel_size

        return native_pixel_size(stack, projected_crs_for(stack))
    return res


def check_resolution(preprocessing: Any, target_m: float | None,
                     where: str | os.PathLike[str] | None, allow: bool = False,
                     hint: str = "--resolution-m") -> dict[str, Any]:
    """Refuse a target grid far from the training grid; the record of the comparison.

    Parameters
    ----------
    preprocessing : Preprocessing
        The bundle's; its ``grid`` (None in old bundles) holds the training pixel size.
    target_m : float or None
        Pixel size of the target grid in metres.
    where : path or str
        The area's manifest or the stack, named in the error.
    allow : bool
        Go on despite a mismatch (the record says so).
    hint : str
        How the user sets the target pixel size, named in the error.

    Returns
    -------
    dict
        ``training_resolution_m``, ``target_resolution_m``, ``ratio`` (coarser / finer, >= 1),
        ``mismatch`` and ``allow_resolution_mismatch``; JSON-ready.

    Raises
    ------
    ResolutionMismatchError
        ``ratio > MAX_RESOLUTION_RATIO`` and not ``allow``.

    Warns
    -----
    NoTrainingGridWarning
        The bundle records no training grid.
    """
    grid = getattr(preprocessing, "grid", None)
    trained = None if grid is None else float(grid.resolution_m)
    record: dict[str, Any] = {"training_resolution_m": trained, "target_resolution_m": target_m,
                              "ratio": None, "mismatch": False,
                              "allow_resolution_mismatch": bool(allow)}
    if trained is None:
        warnings.warn("the model bundle records no training grid (written before grids were "
                      "recorded): the target's pixel size is not checked", NoTrainingGridWarning,
                      stacklevel=2)
        return record
    if target_m is None or target_m <= 0:
        raise FcadDataError(where, "the target grid states no pixel size")
    ratio = max(trained, target_m) / min(trained, target_m)
    record.update(ratio=round(ratio, 4), mismatch=ratio > MAX_RESOLUTION_RATIO)
    if record["mismatch"] and not allow:
        side = "coarser" if target_m > trained else "finer"
        raise ResolutionMismatchError(
            where, f"target grid has {target_m:g} m pixels, {ratio:.2f}x {side} than the "
            f"{trained:g} m the model was trained on (more than {MAX_RESOLUTION_RATIO:g}x "
            f"either way); use {hint} {trained:g}, or pass --allow-resolution-mismatch")
    return record
