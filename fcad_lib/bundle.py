"""The saved-model bundle: one folder that is everything prediction needs.

A bundle holds ``model.keras`` (the best epoch's weights, written by the training checkpoint),
``preprocessing.json`` (:class:`Preprocessing`: factors, channels, lithology encoding, z-score,
patch size, threshold) and ``train_config.json`` (the hyper-parameters, for the record). This
module is the one place that names those files, reads and writes them, and checks a bundle
against a factor stack (:func:`check_compatible`). Training writes bundles
(:mod:`fcad_lib.training.train`); prediction, plots and evaluation read them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from fcad_lib.errors import MissingFileError
from fcad_lib.factors import FACTOR_UNITS
from fcad_lib.jsonio import dumps
from fcad_lib.samples.normalize import Normalizer, scale
from fcad_lib.samples.patches import LithologyEncoding, Patches, encode_channels, valid_of

__all__ = [
    "BACKUP_DIR",
    "CONFIG_FILE",
    "HISTORY_FILE",
    "MODEL_FILE",
    "PREPROCESSING_FILE",
    "Preprocessing",
    "TrainingGrid",
    "check_compatible",
    "load_bundle",
    "needed_factors",
    "save_bundle",
]

#: The Keras model (best epoch).
MODEL_FILE = "model.keras"
#: :class:`Preprocessing` as JSON.
PREPROCESSING_FILE = "preprocessing.json"
#: The training hyper-parameters as JSON (a record; not read back).
CONFIG_FILE = "train_config.json"
#: One row per epoch, written by training (not needed to predict).
HISTORY_FILE = "history.csv"
#: Keras ``BackupAndRestore`` state of an unfinished run (not needed to predict).
BACKUP_DIR = "backup"


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


def save_bundle(
    bundle_dir: str | PathLike[str],
    model: Any = None,
    preprocessing: Preprocessing | None = None,
    config: Mapping[str, Any] | None = None,
) -> Path:
    """Write the parts of a bundle that are given.

    Parameters
    ----------
    bundle_dir : str or PathLike
        The bundle folder (created if needed).
    model : keras.Model, optional
        Saved as ``model.keras`` (training's checkpoint usually wrote it already).
    preprocessing : Preprocessing, optional
        Saved as ``preprocessing.json``.
    config : mapping, optional
        JSON-ready hyper-parameters, saved as ``train_config.json``.

    Returns
    -------
    pathlib.Path
        The bundle folder.
    """
    out = Path(bundle_dir)
    out.mkdir(parents=True, exist_ok=True)
    if model is not None:
        model.save(out / MODEL_FILE)
    if preprocessing is not None:
        preprocessing.to_json(out / PREPROCESSING_FILE)
    if config is not None:
        (out / CONFIG_FILE).write_text(dumps(dict(config), indent=2) + "\n")
    return out


def check_bundle_files(bundle_dir: str | PathLike[str]) -> Path:
    """The bundle folder as a ``Path``, once it holds the model and its preprocessing.

    Raises
    ------
    MissingFileError
        (a ``FileNotFoundError``) naming the missing folder or file.
    """
    bundle = Path(bundle_dir)
    if not bundle.is_dir():
        raise MissingFileError(bundle, "model bundle folder does not exist")
    for name in (MODEL_FILE, PREPROCESSING_FILE):
        if not (bundle / name).is_file():
            raise MissingFileError(bundle / name, f"model bundle {bundle} has no {name}")
    return bundle


def load_bundle(bundle_dir: str | PathLike[str],
                preprocessing_cls: Any = None) -> tuple[Any, Any]:
    """Read a bundle written by :func:`fcad_lib.training.train.train_model`.

    Parameters
    ----------
    bundle_dir : str or PathLike
        Folder with ``model.keras`` and ``preprocessing.json``.
    preprocessing_cls : type, optional
        Class with a ``from_json(path)`` classmethod; default :class:`Preprocessing`.

    Returns
    -------
    model, preprocessing
        The model (not compiled: for prediction) and its input preprocessing.

    Raises
    ------
    MissingFileError
        (a ``FileNotFoundError``) naming the missing folder or file.
    """
    bundle = check_bundle_files(bundle_dir)
    # Keras (and TensorFlow, seconds to import) only when a model is read: the rest of this
    # module serves code that never runs a network. fcad_lib.models registers the custom layers.
    import keras

    import fcad_lib.models  # noqa: F401

    model = keras.saving.load_model(bundle / MODEL_FILE, compile=False)
    cls = Preprocessing if preprocessing_cls is None else preprocessing_cls
    return model, cls.from_json(bundle / PREPROCESSING_FILE)


def needed_factors(preprocessing: Any) -> list[str]:
    """Raw factors the preprocessing reads (``factors``; falls back to ``channels``)."""
    factors = getattr(preprocessing, "factors", None) or preprocessing.channels
    return list(factors)


def _model_channels(model: Any) -> int | None:
    shape = model.input_shape
    if isinstance(shape, list):
        shape = shape[0]
    return shape[-1]


def check_compatible(model: Any, preprocessing: Any, stack_factors: Sequence[str]) -> list[int]:
    """Check model, preprocessing and stack agree; return the 1-based band of each needed factor.

    Parameters
    ----------
    model : keras.Model
        The model; its input channel count is checked.
    preprocessing : Preprocessing
        The bundle's preprocessing (``channels``, ``factors``).
    stack_factors : sequence of str
        Band descriptions of the factor stack, in band order.

    Returns
    -------
    list of int
        1-based band index of each factor the preprocessing needs.

    Raises
    ------
    ValueError
        If the model's input channel count differs from ``len(preprocessing.channels)``, or the
        stack lacks a factor the preprocessing needs. Bands are mapped by name, so a stack in
        another order is fine.
    """
    channels = list(preprocessing.channels)
    n_in = _model_channels(model)
    if n_in is not None and n_in != len(channels):
        raise ValueError(
            f"model expects {n_in} input channels but the preprocessing defines "
            f"{len(channels)}: {channels}"
        )
    needed = needed_factors(preprocessing)
    missing = [f for f in needed if f not in stack_factors]
    if missing:
        raise ValueError(
            f"factor stack lacks factor(s) {missing} needed by the model (channels {channels}); "
            f"stack has {list(stack_factors)}"
        )
    return [list(stack_factors).index(f) + 1 for f in needed]
