"""The saved-model bundle: one folder that is everything prediction needs.

A bundle holds ``model.keras`` (the best epoch's weights, written by the training checkpoint),
``preprocessing.json`` (:class:`Preprocessing`: factors, channels, lithology encoding, z-score,
patch size, threshold) and ``train_config.json`` (the hyper-parameters, for the record). This
module is the one place that names those files, reads and writes them, and checks a bundle
against a factor stack (:func:`check_compatible`). Training writes bundles
(:mod:`fcad_lib.training.train`); prediction, plots and evaluation read them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

from fcad_lib.errors import MissingFileError
from fcad_lib.jsonio import dumps

# the preprocessing is defined with the samples; the bundle saves and reads it
from fcad_lib.samples.preprocessing import Preprocessing, TrainingGrid

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
