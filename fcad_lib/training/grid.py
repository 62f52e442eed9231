"""One experiment grid: methods x factor groups x splits x seeds on one stack, cached.

Notebooks 05 (the four networks), 06 (FCADenseNet on several factor groups) and 09 (the real
Balakot inventory) all train networks over splits and seeds, fit the baselines on the same
samples and score every method on the same test tiles. :func:`grid_entries` lists those runs
and :func:`run_grid` runs them:

* every run is cached in ``run_dir/experiments/<slug>/`` (:func:`run_experiment`,
  :func:`fcad_lib.evaluation.baselines.run_baseline`; the record at
  :func:`fcad_lib.evaluation.result.result_path`), so a notebook that is run again, or a run
  that was interrupted, only computes what is missing, and notebooks share identical runs;
* the samples of a (factor group, split, seed) are prepared once and shared by its methods;
* with ``workers > 1`` the missing runs are computed by that many worker processes first, each
  limited to its share of the CPU threads; the grid then reads every result from the cache in
  the order of the entries. One small network keeps about one core busy between its steps
  (data sampling, evaluation, threshold sweeps), so two workers use a 2-core machine better
  than one process does (``benchmarks/train_workers.py``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import xarray as xr

from fcad_lib.evaluation.baselines import (
    BASELINE_DISPLAY_NAMES,
    BASELINE_NAMES,
    baseline_slug,
    run_baseline,
)
from fcad_lib.evaluation.result import ExperimentResult, result_path
from fcad_lib.evaluation.stats import attach_tile_scores
from fcad_lib.models import DISPLAY_NAMES
from fcad_lib.samples.prepared import PreparedData
from fcad_lib.training.experiments import ExperimentSpec, prepare_data, run_experiment

log = logging.getLogger(__name__)

__all__ = ["SPLITS", "GridEntry", "GridResults", "data_key", "grid_entries", "run_grid"]

#: The two splits of every comparison: the paper's random one and the spatially blocked one.
SPLITS: tuple[str, ...] = ("random", "blocked")

#: Relative cost of one run, to start the longest first when workers share them.
_COST = {"fcadensenet": 10, "fcdensenet": 9, "context_gbt": 3, "unet": 2, "fcn": 2,
         "pixel_gbt": 1, "threshold_rule": 0}


@dataclass(frozen=True)
class GridEntry:
    """One run of a grid: a network, or a baseline fitted on a network's samples.

    Attributes
    ----------
    spec
        The network's spec; for a baseline, the spec of the networks whose samples (and test
        tiles) it shares.
    label
        Method name in the tables (e.g. ``FCADenseNet``, ``RS``); ``None`` keeps the
        baseline's own label.
    group
        Factor group of the run (the ablation's column), or ``None``.
    baseline
        A name of :data:`fcad_lib.evaluation.baselines.BASELINE_NAMES`, or ``None`` for a
        network.
    """

    spec: ExperimentSpec
    label: str | None = None
    group: str | None = None
    baseline: str | None = None

    @property
    def method(self) -> str:
        """The network or baseline name."""
        return self.baseline or self.spec.model

    def slug(self, n_pixels: int) -> str:
        """Folder of the cached result under ``run_dir/experiments/``."""
        if self.baseline:
            return baseline_slug(self.baseline, self.spec, n_pixels)
        return self.spec.slug


def data_key(spec: ExperimentSpec) -> tuple[Any, ...]:
    """The spec fields that :func:`prepare_data` reads: equal keys share their samples."""
    return (tuple(spec.factors), spec.split, spec.seed, spec.patch_size, spec.stride,
            spec.val_fraction, spec.block_tiles, spec.buffer_tiles, spec.sampling == "foreground")


def grid_entries(
    params: Mapping[str, Any],
    models: Sequence[str],
    groups: Mapping[str, Sequence[str]],
    seeds: Iterable[int],
    baselines: Sequence[str] = BASELINE_NAMES,
    baseline_groups: Iterable[str] | None = None,
    label_by: str = "model",
    splits: Sequence[str] = SPLITS,
    **fields: Any,
) -> list[GridEntry]:
    """The runs of a comparison, in table order: split, seed, factor group, then methods.

    Parameters
    ----------
    params
        The notebook's parameters (the training budget and recipe, read by
        :meth:`ExperimentSpec.from_params`).
    models
        Networks trained on every (group, split, seed).
    groups
        Factor group name -> factors.
    seeds
        Seeds of every split.
    baselines
        Baselines fitted on the samples of each (group, split, seed), after its networks.
    baseline_groups
        The groups that get baselines (default: every group).
    label_by
        ``"model"``: the networks are labelled by name (``FCADenseNet``) and the baselines by
        their own; ``"group"`` (an ablation): the networks by factor group (``RS-DR``), the
        baselines ``"<baseline> (<group>)"``, and every run records its group.
    **fields
        Further spec fields of every network (e.g. ``epochs``, ``tag``).

    Returns
    -------
    list of GridEntry
    """
    if label_by not in ("model", "group"):
        raise ValueError(f"label_by must be 'model' or 'group', not {label_by!r}")
    seeds = list(seeds)
    by_group = label_by == "group"
    with_baselines = set(groups if baseline_groups is None else baseline_groups)
    entries = []
    for split in splits:
        for seed in seeds:
            for group, factors in groups.items():
                spec = None
                for model in models:
                    spec = ExperimentSpec.from_params(params, model=model, factors=factors,
                                                      split=split, seed=seed, **fields)
                    entries.append(GridEntry(spec, group if by_group else DISPLAY_NAMES[model],
                                             group if by_group else None))
                if spec is None or group not in with_baselines:
                    continue
                for name in baselines:
                    label = f"{BASELINE_DISPLAY_NAMES[name]} ({group})" if by_group else None
                    entries.append(GridEntry(spec, label, group if by_group else None, name))
    return entries


@dataclass
class GridResults:
    """What :func:`run_grid` returns.

    Attributes
    ----------
    results
        One result per entry, in the entries' order (``label`` and ``group`` set in the
        record where the entry has them).
    prepared
        ``(group, split, seed)`` -> the samples of those runs (for figures of test patches).
    """

    results: list[ExperimentResult]
    prepared: dict[tuple[str | None, str, int], PreparedData] = field(default_factory=dict)

    def data(self, split: str, seed: int, group: str | None = None) -> PreparedData:
        """The samples of a split and seed (of ``group``, else of the first group)."""
        for (g, s, sd), data in self.prepared.items():
            if s == split and sd == seed and (group is None or g == group):
                return data
        raise KeyError(f"no samples for group {group!r}, split {split!r}, seed {seed}")


def run_grid(
    ds: xr.Dataset,
    entries: Sequence[GridEntry],
    run_dir: str | Path,
    n_pixels: int = 20000,
    workers: int = 1,
    progress: bool = True,
) -> GridResults:
    """Run (or read from the cache) every entry of a grid.

    Parameters
    ----------
    ds
        The aligned stack.
    entries
        The runs (:func:`grid_entries`).
    run_dir
        Results go to ``run_dir/experiments/<slug>/``.
    n_pixels
        Training pixels of the gradient-boosting baselines.
    workers
        Processes that compute the missing runs; 1 computes them in this process.
    progress
        Show a bar of the runs done by the workers.

    Returns
    -------
    GridResults
    """
    run_dir = Path(run_dir)
    missing = [e for e in entries if not result_path(run_dir, e.slug(n_pixels)).exists()]
    if workers > 1 and len(missing) > 1:
        _compute_in_workers(ds, missing, run_dir, n_pixels, workers, progress)
    out = GridResults([])
    cache: dict[tuple[Any, ...], PreparedData] = {}
    for entry in entries:
        key = data_key(entry.spec)
        if key not in cache:
            cache[key] = prepare_data(ds, entry.spec)
        data = cache[key]
        out.prepared.setdefault((entry.group, entry.spec.split, entry.spec.seed), data)
        out.results.append(_run_entry(ds, entry, data, run_dir, n_pixels))
    return out


def _run_entry(ds: xr.Dataset, entry: GridEntry, data: PreparedData, run_dir: Path,
               n_pixels: int) -> ExperimentResult:
    """One entry's result, computed or read from the cache, with its label and group."""
    if entry.baseline:
        result = run_baseline(entry.baseline, data, entry.spec, run_dir, n_pixels=n_pixels)
    else:
        result = attach_tile_scores(
            run_experiment(ds, entry.spec, run_dir, prepared=data, verbose=0), data)
    extra = {k: v for k, v in (("label", entry.label), ("group", entry.group)) if v is not None}
    return result.updated(**extra)


# ---- worker processes -------------------------------------------------------------------------

#: State of a worker process: the stack, the run folder and its prepared samples.
_WORKER: dict[str, Any] = {}


def _compute_in_workers(ds: xr.Dataset, missing: Sequence[GridEntry], run_dir: Path,
                        n_pixels: int, workers: int, progress: bool) -> None:
    """Compute the missing runs in ``workers`` processes; their results land in the cache."""
    import multiprocessing

    from tqdm import tqdm  # text bar: works in Jupyter without ipywidgets

    threads = max(1, (os.cpu_count() or 1) // workers)
    # longest first, so that the last runs to finish are short ones
    order = sorted(missing, key=lambda e: -_COST.get(e.method, 1))
    ctx = multiprocessing.get_context("spawn")  # TensorFlow does not survive a fork
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(ds, str(run_dir), threads)) as pool:
        futures = [pool.submit(_worker_run, replace(e, label=None, group=None), n_pixels)
                   for e in order]
        with tqdm(total=len(futures), unit="run", desc=f"grid ({workers} workers)",
                  disable=not progress) as bar:
            for future in as_completed(futures):
                future.result()  # a failed run fails the grid, with its traceback
                bar.update()


def _init_worker(ds: xr.Dataset, run_dir: str, threads: int) -> None:
    """Start a worker: its share of the threads, the stack, and an empty sample cache."""
    import tensorflow as tf
    from threadpoolctl import threadpool_limits

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    _WORKER.update(ds=ds, run_dir=Path(run_dir), prepared={},
                   limits=threadpool_limits(threads))  # NumPy / scikit-learn threads


def _worker_run(entry: GridEntry, n_pixels: int) -> str:
    """Compute one run in a worker; returns its slug."""
    key = data_key(entry.spec)
    prepared = _WORKER["prepared"]
    if key not in prepared:
        prepared.clear()  # one set of samples at a time: a worker's memory stays bounded
        prepared[key] = prepare_data(_WORKER["ds"], entry.spec)
    _run_entry(_WORKER["ds"], entry, prepared[key], _WORKER["run_dir"], n_pixels)
    return entry.slug(n_pixels)
