"""The preprocessing a model was trained with: channels, z-score, patch size, threshold, grid.

:class:`Preprocessing` turns raw factor rasters into a model's input (:meth:`Preprocessing.encode`)
and :class:`TrainingGrid` records the grid the model learnt on. Both are saved in a model bundle
(:mod:`fcad_lib.bundle`, the one module that names the bundle's files); they live here, with the
other sample-preparation steps, because training builds them from the patches.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from fcad_lib.factors import FACTOR_UNITS
from fcad_lib.jsonio import dumps
from fcad_lib.samples.normalize import Normalizer, scale
from fcad_lib.samples.patches import LithologyEncoding, Patches, encode_channels, valid_of

__all__ = ["Preprocessing", "TrainingGrid"]


@dataclass
class TrainingGrid:
    """The grid a model was trained on, recorded in its bundle.

    A network learns its features at the scale of its training pixels (a slope at 30 m is not a
    slope at 10 m, a 20 px landslide at 12.5 m is 8 px at 30 m), so the predictor compares a
    target grid's pixel size with ``resolution_m`` (:mod:`fcad_lib.predict.resolution`).
    """

    resolution_m: float
    crs: str | None
    factor_units: dict[str, str]
    patch_size: int
    profile: str | None = None

    @classmethod
    def of_stack(cls, ds: Any, factors: Sequence[str], patch_size: int,
                 profile: str | None = None) -> TrainingGrid | None:
        """The grid of an aligned stack (``load_study_area``'s); None if it states no pixel size.

        Parameters
        ----------
        ds : xarray.Dataset
            The stack: ``attrs["resolution_m"]`` / ``attrs["crs"]``, else its ``rio`` transform
            and CRS.
        factors : sequence of str
            The factors the model is trained on.
        patch_size : int
            Training patch side in pixels.
        profile : str, optional
            Name of the ``profiles.yml`` profile whose budget trained the model.
        """
        resolution = ds.attrs.get("resolution_m")
        crs = ds.attrs.get("crs")
        try:  # a stack without a transform (a test's toy) has no rio georeference
            resolution = resolution or abs(float(ds.rio.resolution()[0]))
            crs = crs or (ds.rio.crs.to_string() if ds.rio.crs is not None else None)
        except Exception:  # rioxarray raises several types for a missing georeference
            pass
        if not resolution:
            return None
        units = {f: str(ds[f].attrs.get("units") or FACTOR_UNITS.get(f, "")) for f in factors}
        return cls(float(resolution), crs, units, int(patch_size), profile)


@dataclass
class Preprocessing:
    """Everything needed to turn raw factor rasters into a saved model's input.

    Saved as ``preprocessing.json`` beside ``model.keras`` in a bundle, so a model can be
    applied to any window of any stack with the same factors (:meth:`encode`).
    """

    channels: list[str]
    factors: list[str]
    lithology_encoding: LithologyEncoding
    lithology_codes: list[int]
    mean: list[float]
    std: list[float]
    patch_size: int
    threshold: float = 0.5
    model_name: str | None = None
    #: The training grid; None in bundles written before it was recorded.
    grid: TrainingGrid | None = None
    #: Temperature of the calibrated probability ``sigmoid(logit(p) / T)``, fitted on the
    #: validation split (:mod:`fcad_lib.evaluation.calibration`); None: not calibrated.
    temperature: float | None = None

    @classmethod
    def from_patches(
        cls,
        patches: Patches,
        normalizer: Normalizer,
        threshold: float = 0.5,
        model_name: str | None = None,
        grid: TrainingGrid | None = None,
    ) -> Preprocessing:
        """Combine the patches' channel layout with a fitted normaliser (and the stack's grid)."""
        if list(normalizer.channels) != list(patches.channels):
            raise ValueError("normaliser and patches have different channels")
        return cls(
            channels=list(patches.channels),
            factors=list(patches.factors),
            lithology_encoding=patches.lithology_encoding,
            lithology_codes=[int(c) for c in patches.lithology_codes],
            mean=[float(v) for v in normalizer.mean],
            std=[float(v) for v in normalizer.std],
            patch_size=int(patches.X.shape[1]),
            threshold=float(threshold),
            model_name=model_name,
            grid=grid,
        )

    @property
    def normalizer(self) -> Normalizer:
        """The z-score as a :class:`Normalizer`."""
        return Normalizer(list(self.channels), np.asarray(self.mean), np.asarray(self.std))

    def encode(self, factor_arrays: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Raw factor rasters of one window -> normalised network input and validity mask.

        Parameters
        ----------
        factor_arrays : mapping of str to numpy.ndarray
            ``(H, W)`` raw rasters by factor name (e.g. ``{v: ds[v].values[win] ...}``); keys the
            model does not use are ignored.

        Returns
        -------
        x : numpy.ndarray
            ``(H, W, C)`` float32, z-scored, NaN and invalid pixels set to 0.
        valid : numpy.ndarray
            ``(H, W)`` bool, True where every factor the model uses is finite.
        """
        missing = [f for f in self.factors if f not in factor_arrays]
        if missing:
            raise ValueError(
                f"the model needs factors {self.factors}; missing from the input: {missing}"
            )
        raw = encode_channels(
            factor_arrays, self.factors, self.lithology_encoding, self.lithology_codes
        )
        if raw.shape[-1] != len(self.channels):
            raise ValueError(f"encoded {raw.shape[-1]} channels, expected {len(self.channels)}")
        valid = valid_of(factor_arrays, self.factors)
        return scale(raw, valid, np.asarray(self.mean), np.asarray(self.std)), valid

    def to_json(self, path: str | PathLike[str]) -> None:
        """Write as JSON (indented, so a bundle is readable)."""
        Path(path).write_text(dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def from_json(cls, path: str | PathLike[str]) -> Preprocessing:
        """Read what :meth:`to_json` wrote."""
        d = json.loads(Path(path).read_text())
        if isinstance(d.get("grid"), dict):
            d["grid"] = TrainingGrid(**d["grid"])
        return cls(**d)
