"""One experiment = train and evaluate one (model, factors, split, seed) on a study-area stack.

The comparison (notebook 05) and the ablation (notebook 06) are lists of
:class:`ExperimentSpec`; :func:`run_experiment` trains the model with the paper's recipe
(:mod:`fcad_lib.training.train`), chooses the threshold on the validation split, scores the
**test** split from streamed confusion counts at that threshold and at 0.5, and writes it into
``run_dir/experiments/<spec.slug>/`` (the model bundle and ``result.json``). A finished
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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from fcad_lib import samples
from fcad_lib.bundle import Preprocessing
from fcad_lib.data.geotiff import atomic_path
from fcad_lib.evaluation import stats
from fcad_lib.factors import FACTOR_GROUPS, LITHOLOGY, OPTICAL, TERRAIN
from fcad_lib.jsonio import dumps
from fcad_lib.models import build_model
from fcad_lib.training import train
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
                 "steps_per_epoch", "learning_rate")

#: The paper's Table 3 and Table 4 (Baihetan test split), for side-by-side display only.
PAPER_TABLE3 = pd.DataFrame(
    {
        "pre": [0.6870, 0.4653, 0.6312, 0.8381],
        "rec": [0.5354, 0.6908, 0.7043, 0.6972],
        "f1": [0.6018, 0.5561, 0.6658, 0.7611],
        "kappa": [0.6002, 0.5543, 0.6599, 0.7602],
        "miou": [0.7136, 0.6901, 0.7479, 0.8062],
    },
    index=pd.Index(["FCN", "U-Net", "FC-DenseNet", "FCADenseNet"], name="model"),
)
PAPER_TABLE4 = pd.DataFrame(
    {
        "pre": [0.6614, 0.8381],
        "rec": [0.6878, 0.6972],
        "f1": [0.6743, 0.7611],
        "kappa": [0.6729, 0.7602],
        "miou": [0.7529, 0.8062],
    },
    index=pd.Index(["RS", "RS-DR"], name="stack"),
)


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
        Epochs without a better validation loss before stopping / halving the rate (``None``).
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
    learning_rate: float = 1e-4
    loss: str = "bce"
    block_tiles: int = 3
    oversample: int = 2
    tag: str = ""
    buffer_tiles: int = 1
    augment: str = "physical"
    early_stopping_patience: int | None = 4
    reduce_lr_patience: int | None = 2

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
            :data:`BUDGET_FIELDS` are read, and those absent keep the spec's defaults.
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
        merged = {**budget, **fields}
        merged["factors"] = tuple(merged["factors"])
        return cls(**merged)

    @property
    def slug(self) -> str:
        """Directory name: readable prefix + hash of the full spec."""
        digest = hashlib.sha1(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:8]
        tag = f"{self.tag}_" if self.tag else ""
        return f"{self.model}_{tag}{self.split}_seed{self.seed}_{digest}"


@dataclass
class PreparedData:
    """Patches of one stack split three ways, with the normaliser fitted on training only."""

    patches: samples.Patches
    splits: dict[str, np.ndarray]
    preprocessing: Preprocessing
    arrays: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)


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
    if spec.split == "random":
        splits = samples.split_random(len(patches), seed=spec.seed, positive=patches.positive)
    elif spec.split == "blocked":
        splits = samples.split_blocked(patches.origins, spec.block_tiles * spec.patch_size,
                                       seed=spec.seed, positive=patches.positive,
                                       buffer_px=spec.buffer_tiles * spec.patch_size)
    else:
        raise ValueError(f"unknown split {spec.split!r}: use 'random' or 'blocked'")
    # Statistics of the training patches only: nothing of the test split leaks into the inputs.
    normalizer = samples.Normalizer().fit(patches.subset(splits["train"]))
    prep = Preprocessing.from_patches(patches, normalizer, model_name=spec.model)
    arrays = {}
    for name, idx in splits.items():
        sub = patches.subset(idx)
        x = normalizer.transform(sub.X, sub.valid)
        arrays[name] = (x, sub.y.astype("float32"), sub.valid.astype("float32"))
    return PreparedData(patches, splits, prep, arrays)


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


def split_footprint(data: PreparedData, split: str, transform: Any) -> Any:
    """The ground covered by one split's patches, as one shapely geometry in the stack's CRS.

    Parameters
    ----------
    data
        Prepared patches (their origins are rows / columns of the stack).
    split
        ``train``, ``val`` or ``test``.
    transform
        Affine transform of the stack (``ds.rio.transform()``).
    """
    import shapely
    from rasterio.windows import Window, bounds

    size = data.patches.X.shape[1]
    boxes = [shapely.box(*bounds(Window(int(c), int(r), size, size), transform))
             for r, c in data.patches.origins[data.splits[split]]]
    return shapely.union_all(boxes)


def run_experiment(
    ds: xr.Dataset,
    spec: ExperimentSpec,
    run_dir: str | Path,
    reuse: bool = True,
    prepared: PreparedData | None = None,
    verbose: int = 1,
) -> dict[str, Any]:
    """Train and evaluate one spec; write and return its ``result.json`` content.

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
    dict
        ``spec``, ``threshold`` (chosen on validation), ``test`` (scores at that threshold, and
        ``ap``), ``test_at_0.5``, ``val``, confusion counts, ``test_tile_counts`` (TP, FP, FN,
        TN per test tile) and their ``test_tile_origins``, ``best_epoch``, ``epochs_run``,
        ``unconverged``, ``augmented``, patch counts per split, ``train_seconds``,
        ``bundle_dir``.
    """
    out = Path(run_dir) / "experiments" / spec.slug
    result_path = out / "result.json"
    if reuse and result_path.exists():
        return json.loads(result_path.read_text())
    out.mkdir(parents=True, exist_ok=True)
    train.set_reproducible(spec.seed)
    data = prepared or prepare_data(ds, spec)
    x_tr, y_tr, w_tr = data.arrays["train"]
    if spec.oversample > 1:
        # The paper augments the rare class: patches with landslide pixels are repeated.
        positive = y_tr.reshape(len(y_tr), -1).max(axis=1) > 0
        rep = samples.oversample_positive(np.arange(len(x_tr)), positive, spec.oversample)
        x_tr, y_tr, w_tr = x_tr[rep], y_tr[rep], w_tr[rep]
    augment = samples.augmentation_allowed(spec.augment, data.preprocessing.channels)
    train_ds = samples.make_dataset(x_tr, y_tr, w_tr, batch_size=spec.batch_size, shuffle=True,
                                    augment=augment, seed=spec.seed, repeat=True)
    val_ds = samples.make_dataset(*data.arrays["val"], batch_size=spec.batch_size, shuffle=False,
                                  augment=False, seed=spec.seed)
    steps = spec.steps_per_epoch or max(1, int(np.ceil(len(x_tr) / spec.batch_size)))
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
        reduce_lr_patience=spec.reduce_lr_patience,
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
    # validation was scored at this threshold when train_model chose it
    val_scores = fit.val_scores
    result = {
        "spec": asdict(spec),
        "slug": spec.slug,
        "channels": data.preprocessing.channels,
        "threshold": threshold,
        "val": val_scores,
        "test": {**test_scores, "ap": scored["ap"]},
        "test_at_0.5": test_05,
        "ap": scored["ap"],
        "test_tile_counts": tiles[threshold].tolist(),
        "test_tile_origins": data.patches.origins[data.splits["test"]].tolist(),
        "test_counts": test_counts,
        "test_counts_at_0.5": counts_05,
        "n_patches": {k: int(len(v)) for k, v in data.splits.items()},
        "n_positive_test_px": int(data.arrays["test"][1].sum()),
        "best_epoch": int(fit.best_epoch),
        "epochs_run": int(fit.last_epoch + 1),
        "unconverged": bool(fit.unconverged),
        "augmented": bool(augment),
        "train_seconds": seconds,
        "bundle_dir": str(Path(fit.bundle_dir)),
    }
    with atomic_path(result_path) as tmp:
        tmp.write_text(dumps(result, indent=2))  # undefined metrics as null, not NaN
    return result


def results_frame(results: Sequence[dict[str, Any]], which: str = "test") -> pd.DataFrame:
    """One row per experiment: spec columns, the scores of ``which``, threshold, epochs.

    ``best_epoch`` (0-based) and ``epochs_run`` are empty for the non-learned baselines.
    """
    rows = []
    for r in results:
        spec = r["spec"]
        rows.append({
            "model": spec["model"], "tag": spec["tag"], "split": spec["split"],
            "seed": spec["seed"], "threshold": r["threshold"], **r[which],
            # networks only (baselines do not train by epochs): empty for a baseline
            "best_epoch": r.get("best_epoch"), "epochs_run": r.get("epochs_run"),
        })
    return pd.DataFrame(rows)


def summary_table(frame: pd.DataFrame, by: Sequence[str], metric_cols: Sequence[str] = (
        "pre", "rec", "f1", "kappa", "miou")) -> pd.DataFrame:
    """Mean and standard deviation over seeds, formatted ``mean ± std``.

    A group with a single seed has no spread: it shows the value alone, never a fake ``± 0``.
    """
    grouped = frame.groupby(list(by), sort=False)[list(metric_cols)]
    mean, std = grouped.mean(), grouped.std(ddof=1)
    n = grouped.size()
    table = mean.copy().astype(object)
    for col in metric_cols:
        table[col] = [f"{m:.4f} ± {s:.4f}" if k > 1 else f"{m:.4f}"
                      for m, s, k in zip(mean[col], std[col], n, strict=True)]
    table["seeds"] = n
    return table
