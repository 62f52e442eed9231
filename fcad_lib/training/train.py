"""Training loop of the paper (Section 3.4); it writes the saved model bundle.

The paper trains with binary cross-entropy, Adam (learning rate 1e-4), batch 8, and keeps the
best model by a ModelCheckpoint on the loss. :func:`train_model` does the same with Keras
callbacks and adds what a reproducible, interruptible run needs:

* ``ModelCheckpoint`` on ``val_loss`` (``save_best_only``) -> ``out_dir/model.keras``;
* ``BackupAndRestore`` in ``out_dir/backup``: a killed run called again with the same
  ``out_dir`` resumes after the last finished epoch (weights, optimizer state, epoch counter);
* ``CSVLogger`` appending to ``out_dir/history.csv`` (rows of epochs that are re-run after a
  resume are dropped first, so the file has one row per epoch);
* a ``tqdm`` progress bar over epochs x steps, and ``TerminateOnNaN``.

After training the best model is reloaded, the probability threshold that maximises F1 on the
**validation** split is chosen with :class:`fcad_lib.evaluation.metrics.ThresholdSweep` (the
paper fixes 0.5), and the *bundle* (:mod:`fcad_lib.bundle`) is written: ``model.keras`` +
``preprocessing.json`` (channels, z-score, lithology encoding, patch size, threshold) +
``train_config.json``. :func:`fcad_lib.bundle.load_bundle` reads it back; prediction needs
nothing else.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from fcad_lib.bundle import (
    BACKUP_DIR,
    HISTORY_FILE,
    MODEL_FILE,
    Preprocessing,
    load_bundle,
    save_bundle,
)
from fcad_lib.evaluation import metrics
from fcad_lib.training import losses, reuse
from fcad_lib.training.recipe import WarmupPoly

__all__ = [
    "TrainConfig",
    "TrainResult",
    "TqdmProgress",
    "load_bundle",  # re-exported: the bundle contract lives in fcad_lib.bundle
    "set_reproducible",
    "train_model",
]

def set_reproducible(seed: int) -> None:
    """Seed every RNG and make TensorFlow ops deterministic.

    Call it before building the model and the datasets. Seeds Python, NumPy and the backend
    (:func:`keras.utils.set_random_seed`), enables TensorFlow op determinism and runs independent
    ops one at a time. The last step is only possible before TensorFlow has started its runtime;
    later it is skipped with a warning (op determinism still holds on CPU).

    Parameters
    ----------
    seed
        Seed of all generators.
    """
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    try:
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError as err:  # TF already initialised its thread pools
        if tf.config.threading.get_inter_op_parallelism_threads() != 1:
            warnings.warn(f"could not limit inter-op parallelism to 1 thread: {err}",
                          RuntimeWarning, stacklevel=2)


@dataclass
class TrainConfig:
    """Training hyper-parameters (defaults: the paper's).

    Attributes
    ----------
    epochs
        Number of epochs (the total, also when resuming).
    steps_per_epoch
        Optimiser steps per epoch; ``None`` = one full pass over a finite training dataset
        (needed as a number when the dataset repeats).
    batch_size
        Batch size the datasets were built with (recorded; batching is the dataset's).
    learning_rate
        Adam learning rate (paper: 1e-4).
    loss
        Name for :func:`fcad_lib.training.losses.get_loss` (paper: ``"bce"``).
    loss_kwargs
        Keyword arguments of the loss, e.g. ``{"pos_weight": 50.0}``.
    seed
        Seed of the run (recorded; call :func:`set_reproducible` before building the model).
    monitor
        Logged quantity that selects the best checkpoint.
    augment
        Whether the training dataset augments (recorded).
    verbose
        0 = silent, 1 = progress bar (only on a terminal).
    early_stopping_patience
        Stop after this many epochs without a better ``monitor`` (``None``: run every epoch).
        The best epoch's weights are kept either way (checkpoint).
    reduce_lr_patience
        Multiply the learning rate by ``reduce_lr_factor`` after this many epochs without a
        better ``monitor`` (``None``: constant rate, the paper's recipe).
    reduce_lr_factor
        Factor of the reduction (0.5 halves the rate).
    lr_schedule
        ``"constant"`` (the paper's) or ``"warmup_poly"``: :class:`WarmupPoly` over
        ``epochs x steps_per_epoch`` steps, peaking at ``learning_rate`` after
        ``warmup_fraction`` of them (``reduce_lr_patience`` is then ignored).
    warmup_fraction
        Share of the steps spent warming up.
    """

    epochs: int = 150
    steps_per_epoch: int | None = None
    batch_size: int = 8
    learning_rate: float = 1e-4
    loss: str = "bce"
    loss_kwargs: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    monitor: str = "val_loss"
    augment: bool = True
    verbose: int = 1
    early_stopping_patience: int | None = None
    reduce_lr_patience: int | None = None
    reduce_lr_factor: float = 0.5
    lr_schedule: str = "constant"
    warmup_fraction: float = 0.05

    def learning_rate_value(self) -> float | WarmupPoly:
        """The optimizer's learning rate: a number, or the schedule over the whole run."""
        if self.lr_schedule == "constant":
            return self.learning_rate
        if self.lr_schedule != "warmup_poly":
            raise ValueError(f"unknown lr_schedule {self.lr_schedule!r}: use 'constant' or "
                             "'warmup_poly'")
        if not self.steps_per_epoch:
            raise ValueError("a learning-rate schedule needs steps_per_epoch")
        total = self.epochs * self.steps_per_epoch
        return WarmupPoly(self.learning_rate, total, int(round(self.warmup_fraction * total)))


#: Tail of the evaluations, and relative gain in it, of the convergence rule (see `converged`).
CONVERGENCE_TAIL, CONVERGENCE_GAIN = 0.25, 0.05


def converged(history: pd.DataFrame, monitor: str, stopped_early: bool = False) -> bool:
    """Whether a run had stopped improving: the book's convergence rule.

    A run converged when early stopping ended it, or when the best ``monitor`` of its last
    quarter of evaluations (at least two) improves on the best of the evaluations before by
    less than 5 % of the latter (relative). A run with fewer than four evaluations has not
    shown a plateau and counts as not converged.

    Parameters
    ----------
    history
        One row per epoch (``history.csv``).
    monitor
        The selection quantity (``val_ap``: higher is better; a loss: lower is better).
    stopped_early
        Early stopping ended the run before its last epoch.
    """
    if stopped_early:
        return True
    if monitor not in history or len(history) < 4:
        return False
    values = history[monitor].to_numpy(dtype=float)
    tail = max(2, int(round(CONVERGENCE_TAIL * len(values))))
    before, last = values[:-tail], values[-tail:]
    if not len(before) or not np.isfinite(before).any():
        return False
    if _mode(monitor) == "max":
        ref = np.nanmax(before)
        return bool(np.nanmax(last) <= ref + CONVERGENCE_GAIN * abs(ref))
    ref = np.nanmin(before)
    return bool(np.nanmin(last) >= ref - CONVERGENCE_GAIN * abs(ref))


@dataclass
class TrainResult:
    """What :func:`train_model` returns.

    Attributes
    ----------
    history
        One row per epoch (``epoch`` is 0-based, as in ``history.csv``), including epochs run
        before a resume.
    bundle_dir
        Folder of ``model.keras``, ``preprocessing.json``, ``train_config.json``.
    threshold
        Threshold maximising F1 on the validation split.
    best_epoch
        0-based epoch of the saved model (best ``monitor``).
    val_counts
        Validation confusion counts of the best model at ``threshold``.
    initial_epoch
        Epoch this call started from (> 0 after a resume).
    epochs_run
        Epochs trained by this call.
    model
        The trained model, holding the weights of the best epoch (those of ``model.keras``).
    """

    history: pd.DataFrame
    bundle_dir: Path
    threshold: float
    best_epoch: int
    val_counts: metrics.ConfusionCounts
    initial_epoch: int = 0
    epochs_run: int = 0
    model: keras.Model | None = field(default=None, repr=False)
    converged: bool = False

    @property
    def val_scores(self) -> dict[str, float]:
        """The five validation scores at :attr:`threshold`."""
        return self.val_counts.scores()

    @property
    def last_epoch(self) -> int:
        """0-based index of the last epoch trained (over resumes too); -1 before any."""
        return int(self.history["epoch"].max()) if len(self.history) else -1

    @property
    def unconverged(self) -> bool:
        """The best epoch is the last one: the monitor was still improving when training ended.

        A longer run (more epochs, or patience for early stopping) might have done better.
        """
        return self.best_epoch >= 0 and self.best_epoch == self.last_epoch


class TqdmProgress(keras.callbacks.Callback):
    """One ``tqdm`` bar over all optimiser steps of a fit (epochs x steps).

    Parameters
    ----------
    initial_epoch
        Epoch the fit starts from (a resumed run starts the bar part-way).
    verbose
        0 disables the bar. Otherwise it is drawn on stderr, in a terminal and in a Jupyter
        kernel alike (the rendered book drops stderr, so executed pages stay clean).
    """

    def __init__(self, initial_epoch: int = 0, verbose: int = 1) -> None:
        super().__init__()
        self.initial_epoch = initial_epoch
        self.verbose = verbose
        self.bar: Any = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        # plain tqdm: a text bar that works in Jupyter without ipywidgets
        from tqdm import tqdm

        epochs, steps = self.params.get("epochs"), self.params.get("steps")
        total = epochs * steps if epochs and steps else None
        initial = self.initial_epoch * steps if steps else 0
        self.bar = tqdm(total=total, initial=initial, unit="step", desc="training",
                        disable=self.verbose == 0, dynamic_ncols=True, mininterval=1.0)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.bar.update(1)
        if logs and "loss" in logs:
            self.bar.set_postfix(loss=f"{float(logs['loss']):.4f}", refresh=False)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        shown = {k: f"{float(v):.4f}" for k, v in logs.items() if k in ("loss", "val_loss")}
        self.bar.set_postfix(epoch=epoch + 1, **shown)

    def on_train_end(self, logs: dict | None = None) -> None:
        self.bar.close()


def _resume_epoch(backup_dir: Path) -> int:
    """Epochs finished according to BackupAndRestore's metadata (0 = fresh run)."""
    meta = backup_dir / "training_metadata.json"
    if not meta.exists():
        return 0
    return int(json.loads(meta.read_text())["epoch"])


def _prepare_history(path: Path, initial_epoch: int) -> pd.DataFrame | None:
    """Keep the rows of epochs before ``initial_epoch``; start afresh on a fresh run."""
    if not path.exists():
        return None
    if initial_epoch == 0:
        path.unlink()
        return None
    old = pd.read_csv(path)
    old = old[old["epoch"] < initial_epoch]
    old.to_csv(path, index=False)
    return old


def _mode(monitor: str) -> str:
    return "min" if "loss" in monitor else "max"


def _best_epoch(history: pd.DataFrame, monitor: str) -> int:
    if history.empty or monitor not in history or history[monitor].isna().all():
        return int(history["epoch"].iloc[-1]) if not history.empty else -1
    values = history[monitor]
    row = values.idxmin() if _mode(monitor) == "min" else values.idxmax()
    return int(history.loc[row, "epoch"])


def train_model(
    model: keras.Model,
    train_ds: Any,
    val_ds: Any,
    out_dir: str | os.PathLike,
    config: TrainConfig | None = None,
    preprocessing: Preprocessing | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> TrainResult:
    """Train ``model``, keep the best epoch, choose the threshold, write the bundle.

    Parameters
    ----------
    model
        Built (uncompiled) Keras model with a sigmoid ``(H, W, 1)`` output.
    train_ds
        ``tf.data.Dataset`` of ``(x, y, sample_weight)`` batches (repeating when
        ``config.steps_per_epoch`` is set); weight 0 marks nodata pixels.
    val_ds
        Finite dataset of ``(x, y, sample_weight)`` batches: the checkpoint monitor and the
        threshold choice.
    out_dir
        Bundle folder. Calling again with the same folder after an interruption resumes from
        the last finished epoch; after a finished run it trains afresh.
    config
        Hyper-parameters; default :class:`TrainConfig`.
    preprocessing
        :class:`fcad_lib.bundle.Preprocessing` of the inputs; its ``threshold`` is set and it
        is saved as ``preprocessing.json``. Without it no ``preprocessing.json`` is written
        (and :func:`load_bundle` cannot read the bundle).
    callbacks
        Extra Keras callbacks, run after the built-in ones.

    Returns
    -------
    TrainResult
        History, bundle folder, threshold, best epoch, validation counts and ``model``, which is
        left with the weights of the best epoch.
    """
    config = config or TrainConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model_path, history_path, backup_dir = out / MODEL_FILE, out / HISTORY_FILE, out / BACKUP_DIR

    initial_epoch = _resume_epoch(backup_dir)
    previous = _prepare_history(history_path, initial_epoch)
    best_so_far = None
    if previous is not None and model_path.exists() and config.monitor in previous:
        # A fresh ModelCheckpoint would otherwise overwrite a better model of an earlier epoch.
        values = previous[config.monitor].dropna()
        if len(values):
            best_so_far = float(values.min() if _mode(config.monitor) == "min" else values.max())

    # A model this function compiled before (fcad_lib.training.reuse) keeps its traced steps:
    # its optimizer is reset instead, which costs nothing, where compiling again means tracing
    # again (40-50 s for a DenseNet on a 2-core CPU).
    schedule = config.learning_rate_value()
    compiled_for = (config.loss, json.dumps(config.loss_kwargs, sort_keys=True),
                    json.dumps(keras.saving.serialize_keras_object(schedule), sort_keys=True),
                    config.monitor)
    if getattr(model, "_fcad_compiled_for", None) == compiled_for:
        reuse.reset_optimizer(model.optimizer, schedule)
    else:
        # the validation AP (interpolated area under the precision-recall curve, valid pixels
        # only) is logged as `val_ap`, so that it can select the checkpoint
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=schedule),
            loss=losses.get_loss(config.loss, **config.loss_kwargs),
            weighted_metrics=[keras.metrics.AUC(curve="PR", num_thresholds=200, name="ap")]
            if config.monitor.endswith("ap") else None,
        )
        model._fcad_compiled_for = compiled_for
    # Order matters at epoch end: log and checkpoint before the backup records the epoch as
    # done, so a crash in between re-runs the epoch instead of losing its row.
    builtin = [
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.ModelCheckpoint(
            str(model_path), monitor=config.monitor, mode=_mode(config.monitor),
            save_best_only=True, initial_value_threshold=best_so_far,
        ),
        keras.callbacks.CSVLogger(str(history_path), append=True),
        TqdmProgress(initial_epoch=initial_epoch, verbose=config.verbose),
        keras.callbacks.BackupAndRestore(str(backup_dir)),
    ]
    mode = _mode(config.monitor)
    if config.reduce_lr_patience is not None and config.lr_schedule == "constant":
        builtin.insert(0, keras.callbacks.ReduceLROnPlateau(
            monitor=config.monitor, mode=mode, factor=config.reduce_lr_factor,
            patience=config.reduce_lr_patience, min_lr=config.learning_rate / 100))
    stopper = None
    if config.early_stopping_patience is not None:
        # no restore_best_weights: the checkpoint's weights are reloaded below in any case
        stopper = keras.callbacks.EarlyStopping(
            monitor=config.monitor, mode=mode, patience=config.early_stopping_patience)
        builtin.insert(0, stopper)
    fit = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=config.epochs,
        steps_per_epoch=config.steps_per_epoch,
        callbacks=[*builtin, *callbacks],
        shuffle=False,  # the dataset shuffles itself; Keras ignores it for tf.data with a warning
        verbose=0,
    )
    # BackupAndRestore leaves the restored start epoch on the model; a later fit() of the same
    # object would silently start there.
    model._initial_epoch = None
    epochs_run = len(fit.epoch)

    history = pd.read_csv(history_path) if history_path.exists() else pd.DataFrame(
        {"epoch": []})
    best_epoch = _best_epoch(history, config.monitor)
    if model_path.exists():
        model.load_weights(model_path)
    else:  # monitor never finite (e.g. NaN from the first epoch): keep the last weights
        warnings.warn(f"{config.monitor} never improved; saving the last weights to "
                      f"{model_path}", RuntimeWarning, stacklevel=2)
        save_bundle(out, model=model)

    # the model itself, not a reloaded copy: its prediction step is traced already
    sweep = metrics.sweep_model(model, val_ds)
    threshold = sweep.best_threshold("f1")
    val_counts = sweep.counts_at(threshold)

    if preprocessing is not None:
        try:
            preprocessing.threshold = threshold
        except AttributeError:  # frozen dataclass
            preprocessing = replace(preprocessing, threshold=threshold)
    else:
        warnings.warn("no preprocessing given: the bundle has no preprocessing.json",
                      RuntimeWarning, stacklevel=2)
    save_bundle(out, preprocessing=preprocessing, config=asdict(config))

    return TrainResult(history=history, bundle_dir=out, threshold=threshold,
                       best_epoch=best_epoch, val_counts=val_counts,
                       initial_epoch=initial_epoch, epochs_run=epochs_run, model=model,
                       converged=converged(history, config.monitor,
                                           bool(stopper is not None and stopper.stopped_epoch)))
