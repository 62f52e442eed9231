"""One experiment = train and evaluate one (model, factors, split, seed) on a study-area stack.

The comparison (notebook 05) and the ablation (notebook 06) are lists of
:class:`ExperimentSpec`; :func:`run_experiment` trains the model with the paper's recipe
(:mod:`fcad_lib.training.train`), chooses the threshold on the validation split, scores the
**test** split from streamed confusion counts at that threshold and at 0.5, and writes it into
``run_dir/experiments/<spec.slug>/`` (the model bundle and ``result.json``, at
:func:`fcad_lib.evaluation.result.result_path`) and returns it as an
:class:`~fcad_lib.evaluation.result.ExperimentResult`. A finished
experiment with the same spec is read back instead of retrained, so notebooks share work and a
re-run after an interruption only trains what is missing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from fcad_lib import samples
from fcad_lib.bundle import save_bundle
from fcad_lib.evaluation import calibration, stats
from fcad_lib.evaluation.result import ExperimentResult, result_path, run_folder
from fcad_lib.factors import FACTOR_GROUPS, LITHOLOGY, OPTICAL, TERRAIN
from fcad_lib.models import build_model
from fcad_lib.paper_tables import PAPER_TABLE3, PAPER_TABLE4
from fcad_lib.samples.prepared import PreparedData
from fcad_lib.samples.preprocessing import Preprocessing, TrainingGrid
from fcad_lib.training import train
from fcad_lib.training.recipe import recipe_fields
from fcad_lib.training.report import results_frame, split_footprint, summary_table
from fcad_lib.training.reuse import ModelPool

log = logging.getLogger(__name__)

#: Compiled models of this process, one per architecture and input shape: each is traced once.
MODEL_POOL = ModelPool()

# The factor groups live in fcad_lib.factors; re-exported here for the notebooks.
__all__ = [
    "FACTOR_GROUPS",
    "MODEL_POOL",
    "OPTICAL",
    "PAPER_TABLE3",
    "PAPER_TABLE4",
    "TERRAIN",
    "BUDGET_FIELDS",
    "ExperimentSpec",
    "PreparedData",
    "available_factors",
    "channel_names",
    "prepare_data",
    "results_frame",
    "run_experiment",
    "split_footprint",
    "summary_table",
]

#: The :class:`ExperimentSpec` fields that a notebook's parameters set for every experiment.
BUDGET_FIELDS = ("model_config", "patch_size", "stride", "batch_size", "epochs",
                 "steps_per_epoch", "learning_rate", "val_fraction")

@dataclass(frozen=True)
class ExperimentSpec:
    """Everything that determines one training run.

    Attributes
    ----------
    model
        ``fcn``, ``unet``, ``fcdensenet`` or ``fcadensenet``.
    factors
        Factors fed to the network (lithology is one-hot encoded into several channels).
    split
        ``random`` (the paper's 7:3) or ``blocked`` (spatial blocks of ``block_tiles`` x
        ``block_tiles`` patches go whole into one split).
    seed
        Seeds the split, the weights, the augmentation and the data order.
    buffer_tiles
        Blocked split: train / val tiles this close (in tiles) to a test tile are left out.
    augment
        ``"physical"`` (flips / rotations only if :func:`fcad_lib.samples.geometry_free`),
        ``"dihedral"`` (always, the paper's; breaks aspect, line of sight, shadows), ``"none"``.
    early_stopping_patience, reduce_lr_patience
        Evaluations without a better ``monitor`` before stopping / halving the rate (``None``).
    loss, sampling, fg_fraction, lr_schedule, monitor, oversample
        The training recipe (:data:`fcad_lib.training.recipe.RECIPES`; the defaults are
        ``rare-foreground``'s). ``sampling``: ``"foreground"`` draws random crops of the
        training tiles, ``fg_fraction`` of each batch holding a landslide pixel; ``"grid"``
        trains on the fixed tiles, landslide tiles repeated ``oversample`` times (the paper's).
    val_fraction
        Share of the non-test tiles held out for validation, stratified by landslide content.
    """

    model: str
    factors: tuple[str, ...]
    split: str = "random"
    seed: int = 0
    model_config: str = "56"
    patch_size: int = 128
    stride: int = 128
    batch_size: int = 8
    epochs: int = 10
    steps_per_epoch: int | None = None
    learning_rate: float = 3e-3
    loss: str = "bce_dice"
    block_tiles: int = 3
    oversample: int = 1
    tag: str = ""
    buffer_tiles: int = 1
    augment: str = "physical"
    early_stopping_patience: int | None = 5
    reduce_lr_patience: int | None = None
    sampling: str = "foreground"
    fg_fraction: float = 0.5
    lr_schedule: str = "warmup_poly"
    monitor: str = "val_ap"
    val_fraction: float = 0.25

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ExperimentSpec:
        """Inverse of :func:`dataclasses.asdict` (as stored in ``result.json``)."""
        return cls(**{**d, "factors": tuple(d["factors"])})

    @classmethod
    def from_params(cls, params: Mapping[str, Any], **fields: Any) -> ExperimentSpec:
        """A spec with the training budget of a notebook's parameters.

        Parameters
        ----------
        params : mapping
            The notebook's papermill parameters (e.g. ``globals()``); only the keys in
            :data:`BUDGET_FIELDS` and ``recipe`` (a name of
            :data:`fcad_lib.training.recipe.RECIPES`) are read, and those absent keep the
            spec's defaults.
        **fields
            The fields that differ between experiments: ``model``, ``factors``, ``split``,
            ``seed``, ... (they win over ``params``).

        Returns
        -------
        ExperimentSpec
        """
        unknown = set(fields) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise TypeError(f"ExperimentSpec has no field(s) {sorted(unknown)}")
        budget = {k: params[k] for k in BUDGET_FIELDS if k in params and k not in fields}
        recipe = recipe_fields(params["recipe"]) if params.get("recipe") else {}
        merged = {**recipe, **budget, **fields}
        merged["factors"] = tuple(merged["factors"])
        return cls(**merged)

    @property
    def slug(self) -> str:
        """Directory name: readable prefix + hash of the full spec."""
        digest = hashlib.sha1(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:8]
        tag = f"{self.tag}_" if self.tag else ""
        return f"{self.model}_{tag}{self.split}_seed{self.seed}_{digest}"


#: Encoded whole stacks, by (stack object, channels): the six splits of a notebook share one.
_STACKS: dict[tuple[int, tuple[str, ...]], tuple[xr.Dataset, samples.EncodedStack]] = {}


def _encoded_stack(ds: xr.Dataset, patches: samples.Patches) -> samples.EncodedStack:
    key = (id(ds), tuple(patches.channels))
    if key not in _STACKS or _STACKS[key][0] is not ds:
        if len(_STACKS) >= 2:  # a notebook uses one or two channel sets at a time
            _STACKS.pop(next(iter(_STACKS)))
        _STACKS[key] = (ds, samples.encode_stack(ds, patches))
    return _STACKS[key][1]


def available_factors(ds: xr.Dataset, wanted: Iterable[str]) -> tuple[str, ...]:
    """The wanted factors that the stack has, in the stack's canonical order."""
    wanted = set(wanted)
    return tuple(f for f in ds.attrs["factors"] if f in wanted)


def channel_names(ds: xr.Dataset, wanted: Iterable[str]) -> list[str]:
    """Network input channels for the wanted factors (one-hot lithology gives one per unit)."""
    factors = available_factors(ds, wanted)
    codes = samples.lithology_codes(ds[LITHOLOGY].values) if LITHOLOGY in factors else []
    return samples.lithology_channels(list(factors), "onehot", codes)


def prepare_data(ds: xr.Dataset, spec: ExperimentSpec) -> PreparedData:
    """Tile the stack, split the patches and fit the normaliser on the training patches.

    Parameters
    ----------
    ds
        Aligned stack (:func:`fcad_lib.data.study_area.load_study_area`).
    spec
        Experiment spec: factors, patch size, stride, split and seed are used.

    Returns
    -------
    PreparedData
        ``arrays[split] = (X normalised, y float32, sample weight)`` for train / val / test.
    """
    factors = available_factors(ds, spec.factors)
    if not factors:
        raise ValueError(f"none of the factors {spec.factors} is in the stack {ds.attrs['area']}")
    patches = samples.extract_patches(ds, factors=list(factors), size=spec.patch_size,
                                      stride=spec.stride)
    # landslide pixels per tile: the validation split is stratified by landslide content, so
    # that it holds enough landslides of each size to choose a checkpoint and a threshold
    content = ((patches.y[..., 0] > 0) & patches.valid[..., 0]).sum(axis=(1, 2))
    if spec.split == "random":
        splits = samples.split_random(len(patches), val_fraction=spec.val_fraction,
                                      seed=spec.seed, strata=samples.content_strata(content))
    elif spec.split == "blocked":
        splits = samples.split_blocked(patches.origins, spec.block_tiles * spec.patch_size,
                                       val_fraction=spec.val_fraction, seed=spec.seed,
                                       positive=patches.positive, landslide_px=content,
                                       buffer_px=spec.buffer_tiles * spec.patch_size)
    else:
        raise ValueError(f"unknown split {spec.split!r}: use 'random' or 'blocked'")
    # Statistics of the training patches only: nothing of the test split leaks into the inputs.
    normalizer = samples.Normalizer().fit(patches.subset(splits["train"]))
    # the bundle records its training grid: the predictor refuses a much finer or coarser one
    grid = TrainingGrid.of_stack(ds, factors, spec.patch_size)
    prep = Preprocessing.from_patches(patches, normalizer, model_name=spec.model, grid=grid)
    arrays = {}
    for name, idx in splits.items():
        sub = patches.subset(idx)
        x = normalizer.transform(sub.X, sub.valid)
        arrays[name] = (x, sub.y.astype("float32"), sub.valid.astype("float32"))
    stack = _encoded_stack(ds, patches) if spec.sampling == "foreground" else None
    return PreparedData(patches, splits, prep, arrays, normalizer, stack)


@contextlib.contextmanager
def _quiet_tf_logger() -> Iterator[None]:
    """Silence TensorFlow's Python warnings for a moment.

    Scoring many freshly built models traces one predict function per model, and TensorFlow
    warns about "excessive retracing" each time: expected here, and noise in the notebooks.
    """
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    tf_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        tf_logger.setLevel(level)


def run_experiment(
    ds: xr.Dataset,
    spec: ExperimentSpec,
    run_dir: str | Path,
    reuse: bool = True,
    prepared: PreparedData | None = None,
    verbose: int = 1,
) -> ExperimentResult:
    """Train and evaluate one spec; write its ``result.json`` and return it.

    Parameters
    ----------
    ds
        Aligned stack.
    spec
        What to train.
    run_dir
        Run directory; results go to ``run_dir/experiments/<spec.slug>/``.
    reuse
        Read a finished result with the same spec instead of training again.
    prepared
        Patches prepared by :func:`prepare_data` for the same factors / split / seed (saves
        re-tiling when several models share them).
    verbose
        0 silences the progress bar.

    Returns
    -------
    ExperimentResult
        Its record (``result.json``) holds ``spec``, ``threshold`` (chosen on validation),
        ``test`` (scores at that threshold, and ``ap``), ``test_at_0.5``, ``val``, confusion
        counts, ``test_tile_counts`` (TP, FP, FN, TN per test tile) and their
        ``test_tile_origins``, ``best_epoch``, ``epochs_run``, ``unconverged``, ``converged``,
        ``curve``, ``augmented``, patch counts per split, ``train_seconds``, ``bundle_dir``.
    """
    out = run_folder(run_dir, spec.slug)
    path = result_path(run_dir, spec.slug)
    if reuse and path.exists():
        return ExperimentResult.read(path)
    out.mkdir(parents=True, exist_ok=True)
    train.set_reproducible(spec.seed)
    data = prepared or prepare_data(ds, spec)
    augment = samples.augmentation_allowed(spec.augment, data.preprocessing.channels)
    train_ds, steps = _training_batches(data, spec, augment)
    val_ds = samples.make_dataset(*data.arrays["val"], batch_size=spec.batch_size, shuffle=False,
                                  augment=False, seed=spec.seed)
    n_channels = len(data.preprocessing.channels)
    # built after set_reproducible: the initial weights are this seed's; the pool then lends
    # the already traced model of this architecture, holding these weights
    model = MODEL_POOL.adopt(
        (spec.model, spec.model_config, spec.patch_size, n_channels),
        build_model(spec.model, (spec.patch_size, spec.patch_size, n_channels),
                    config=spec.model_config))
    config = train.TrainConfig(
        epochs=spec.epochs, steps_per_epoch=steps, batch_size=spec.batch_size,
        learning_rate=spec.learning_rate, loss=spec.loss, seed=spec.seed, verbose=verbose,
        augment=augment, early_stopping_patience=spec.early_stopping_patience,
        reduce_lr_patience=spec.reduce_lr_patience, monitor=spec.monitor,
        lr_schedule=spec.lr_schedule,
    )
    t0 = time.perf_counter()
    with _quiet_tf_logger():
        fit = train.train_model(model, train_ds, val_ds, out, config,
                                preprocessing=data.preprocessing)
    seconds = time.perf_counter() - t0
    threshold = float(fit.threshold)
    # fit.model holds the best epoch's weights. One pass counts every test tile (the unit of
    # the bootstrap in fcad_lib.evaluation.stats) at both thresholds and gives the AP.
    with _quiet_tf_logger():
        scored = stats.model_tile_scores(fit.model, data.arrays["test"], (threshold, 0.5),
                                         spec.batch_size)
    tiles = scored["tile_counts"]
    (test_scores, test_counts), (test_05, counts_05) = (stats.pooled(tiles[t])
                                                        for t in (threshold, 0.5))
    # validation was scored at this threshold when train_model chose it; its AP (exact, as
    # the test's) is reported beside the test AP, and its probabilities fit the calibrator
    val_ap, temperature = None, 1.0
    if len(data.splits["val"]):
        with _quiet_tf_logger():
            val = stats.model_tile_scores(fit.model, data.arrays["val"], (threshold,),
                                          spec.batch_size)
        val_ap, temperature = val["ap"], calibration.fit_temperature(val["prob"], val["positive"])
    val_scores = {**fit.val_scores, "ap": val_ap}
    calib = _calibration(scored, len(data.splits["test"]), temperature)
    data.preprocessing.temperature = temperature
    save_bundle(fit.bundle_dir, preprocessing=data.preprocessing)
    y_te, w_te = data.arrays["test"][1], data.arrays["test"][2]
    result = ExperimentResult({
        "spec": asdict(spec),
        "slug": spec.slug,
        "channels": data.preprocessing.channels,
        "threshold": threshold,
        "val": val_scores,
        "test": {**test_scores, "ap": scored["ap"], **calib["raw_scores"]},
        "test_calibrated": calib["calibrated_scores"],
        "calibration": calib["detail"],
        "test_at_0.5": test_05,
        "ap": scored["ap"],
        "test_tile_counts": tiles[threshold].tolist(),
        "test_tile_origins": data.patches.origins[data.splits["test"]].tolist(),
        "test_counts": test_counts,
        "test_counts_at_0.5": counts_05,
        "n_patches": {k: int(len(v)) for k, v in data.splits.items()},
        "n_positive_test_px": int(y_te.sum()),
        "test_prevalence": float((y_te * w_te).sum() / max(w_te.sum(), 1.0)),
        "best_epoch": int(fit.best_epoch),
        "epochs_run": int(fit.last_epoch + 1),
        "unconverged": bool(fit.unconverged),
        "converged": bool(fit.converged),
        # the learning curve: training loss and validation loss / AP at each evaluation
        "curve": fit.history.to_dict(orient="list"),
        "augmented": bool(augment),
        "train_seconds": seconds,
        "bundle_dir": str(Path(fit.bundle_dir)),
    })
    result.write(path)  # undefined metrics as null, not NaN
    return result


def _calibration(scored: dict[str, Any], n_tiles: int, temperature: float) -> dict[str, Any]:
    """ECE and Brier of the test tiles before and after temperature scaling."""
    raw = calibration.tile_calibration(scored["prob"], scored["positive"], scored["tile"],
                                       n_tiles)
    cal = calibration.tile_calibration(
        calibration.apply_temperature(scored["prob"], temperature), scored["positive"],
        scored["tile"], n_tiles)
    return {"raw_scores": {"ece": raw.ece, "brier": raw.brier},
            "calibrated_scores": {"ece": cal.ece, "brier": cal.brier},
            "detail": {"temperature": temperature, "raw": raw.to_dict(),
                       "calibrated": cal.to_dict()}}


def _training_batches(data: PreparedData, spec: ExperimentSpec,
                      augment: bool) -> tuple[Any, int]:
    """The training dataset of a spec's recipe and its steps per epoch.

    Without ``steps_per_epoch``, an epoch is one pass over the training tiles (repeated ones
    included).
    """
    x_tr, y_tr, w_tr = data.arrays["train"]

    def steps(n_tiles: int) -> int:
        return spec.steps_per_epoch or max(1, int(np.ceil(n_tiles / spec.batch_size)))

    if spec.sampling == "foreground":
        if data.stack is None or data.normalizer is None:
            raise ValueError("foreground sampling needs PreparedData.stack and .normalizer: "
                             "prepare the data with a spec whose sampling is 'foreground'")
        sampler = samples.CropSampler(
            data.stack, data.patches.origins[data.splits["train"]], data.patches.X.shape[1],
            data.normalizer, spec.patch_size, fg_fraction=spec.fg_fraction, seed=spec.seed,
            augment=augment)
        return sampler.dataset(spec.batch_size), steps(len(x_tr))
    if spec.sampling != "grid":
        raise ValueError(f"unknown sampling {spec.sampling!r}: use 'foreground' or 'grid'")
    if spec.oversample > 1:
        # The paper augments the rare class: patches with landslide pixels are repeated.
        positive = y_tr.reshape(len(y_tr), -1).max(axis=1) > 0
        rep = samples.oversample_positive(np.arange(len(x_tr)), positive, spec.oversample)
        x_tr, y_tr, w_tr = x_tr[rep], y_tr[rep], w_tr[rep]
    train_ds = samples.make_dataset(x_tr, y_tr, w_tr, batch_size=spec.batch_size, shuffle=True,
                                    augment=augment, seed=spec.seed, repeat=True)
    return train_ds, steps(len(x_tr))
