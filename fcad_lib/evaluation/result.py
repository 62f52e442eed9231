"""One run's result, typed: a network or a baseline trained (or fitted) and scored on a split.

:func:`fcad_lib.training.experiments.run_experiment` and
:func:`fcad_lib.evaluation.baselines.run_baseline` write a run's record to
:func:`result_path` (``run_dir/experiments/<slug>/result.json``) and return it as an
:class:`ExperimentResult`. The record is the JSON on disk, unchanged:
:meth:`ExperimentResult.to_dict` gives it back key for key, so cached runs of earlier checkouts
still load and every file written from a result stays the same. The properties name what the
statistics, tables and figures read.

It lives in ``evaluation`` (below ``training``) because the baselines return it too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fcad_lib.data.geotiff import atomic_path
from fcad_lib.jsonio import dumps

__all__ = ["EXPERIMENTS_DIR", "RESULT_FILE", "ExperimentResult", "result_path", "run_folder"]

#: Folder of a run directory that holds one folder per run (its slug).
EXPERIMENTS_DIR = "experiments"
#: A run's record in its folder.
RESULT_FILE = "result.json"


def run_folder(run_dir: str | Path, slug: str) -> Path:
    """The folder of one run: ``run_dir/experiments/<slug>`` (bundle, history, result)."""
    return Path(run_dir) / EXPERIMENTS_DIR / slug


def result_path(run_dir: str | Path, slug: str) -> Path:
    """Where a run's record is cached: ``run_dir/experiments/<slug>/result.json``."""
    return run_folder(run_dir, slug) / RESULT_FILE


@dataclass(frozen=True)
class ExperimentResult:
    """A network's or a baseline's result: its spec, scores, curve and saved model.

    Attributes
    ----------
    record : dict
        The full JSON record, as ``result.json`` holds it (plus ``label`` / ``group`` where a
        grid names the run): ``spec``, ``slug``, ``threshold``, ``val``, ``test``,
        ``test_at_0.5``, counts, ``test_tile_counts``, ``ap``, convergence, ``curve``,
        ``bundle_dir`` ... (:func:`fcad_lib.training.experiments.run_experiment`). Treat it as
        read-only: :meth:`updated` returns a changed copy.
    """

    record: dict[str, Any]

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> ExperimentResult:
        """The result of a record (``result.json`` as read by :func:`json.loads`)."""
        return cls(dict(record))

    def to_dict(self) -> dict[str, Any]:
        """The record, key for key as written to ``result.json`` (a shallow copy)."""
        return dict(self.record)

    @classmethod
    def read(cls, path: str | Path) -> ExperimentResult:
        """Load a ``result.json``."""
        return cls.from_dict(json.loads(Path(path).read_text()))

    def write(self, path: str | Path) -> None:
        """Write the record to ``path`` atomically (undefined metrics as ``null``, not NaN)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_text(dumps(self.record, indent=2))

    def updated(self, **fields: Any) -> ExperimentResult:
        """A copy with ``fields`` set in the record (e.g. ``label``, ``group``)."""
        return ExperimentResult({**self.record, **fields})

    # ---- what the run was -----------------------------------------------------------------

    @property
    def spec(self) -> dict[str, Any]:
        """The spec as stored (:class:`~fcad_lib.training.experiments.ExperimentSpec` fields; a
        baseline's ``model`` is its name)."""
        return self.record["spec"]

    @property
    def model(self) -> str:
        """The network or baseline name of the spec."""
        return str(self.spec["model"])

    @property
    def split(self) -> str:
        """``random`` or ``blocked``."""
        return str(self.spec["split"])

    @property
    def seed(self) -> int:
        """The spec's seed."""
        return int(self.spec["seed"])

    @property
    def slug(self) -> str | None:
        """Folder name of the run under ``run_dir/experiments/``."""
        return self.record.get("slug")

    @property
    def label(self) -> str | None:
        """The name a table shows (a grid's label, or a baseline's own), if set."""
        return self.record.get("label")

    @property
    def group(self) -> str | None:
        """The factor group of an ablation's run, if set."""
        return self.record.get("group")

    @property
    def bundle_dir(self) -> Path | None:
        """The saved model (networks only)."""
        bundle = self.record.get("bundle_dir")
        return Path(bundle) if bundle else None

    @property
    def rule(self) -> dict[str, Any] | None:
        """The fitted threshold rule (that baseline only)."""
        return self.record.get("rule")

    # ---- scores ---------------------------------------------------------------------------

    @property
    def scores(self) -> dict[str, Any]:
        """Test scores at the validation-chosen threshold (``pre``, ``rec``, ``f1``, ``ap`` ...)."""
        return self.scores_of("test")

    def scores_of(self, which: str = "test") -> dict[str, Any]:
        """The scores of ``which``: ``test``, ``test_at_0.5``, ``val``, ``test_calibrated``
        (empty when the record has none)."""
        return self.record.get(which) or {}

    @property
    def val_scores(self) -> dict[str, Any]:
        """Validation scores (``ap`` beside them for networks)."""
        return self.scores_of("val")

    @property
    def threshold(self) -> float | None:
        """The threshold chosen on validation (or fitted, for the rule)."""
        t = self.record.get("threshold")
        return None if t is None else float(t)

    @property
    def ap(self) -> float | None:
        """Test average precision (the record's ``ap``, else the test scores')."""
        return self.record.get("ap", self.scores.get("ap"))

    @property
    def test_counts(self) -> dict[str, int]:
        """TP, FP, FN, TN of the test split at the threshold (empty without)."""
        return self.record.get("test_counts") or {}

    @property
    def test_counts_at_05(self) -> dict[str, int] | None:
        """The same at the fixed threshold 0.5."""
        return self.record.get("test_counts_at_0.5")

    @property
    def tile_counts(self) -> np.ndarray | None:
        """``(n_tiles, 4)`` int64 TP, FP, FN, TN per test tile (the bootstrap's unit)."""
        tiles = self.record.get("test_tile_counts")
        return None if tiles is None else np.asarray(tiles, dtype=np.int64)

    @property
    def n_patches(self) -> dict[str, int]:
        """Patches per split (``train``, ``val``, ``test``)."""
        return self.record.get("n_patches") or {}

    @property
    def test_prevalence(self) -> float | None:
        """Landslide share of the valid test pixels, as recorded."""
        return self.record.get("test_prevalence")

    @property
    def calibration(self) -> dict[str, Any] | None:
        """Calibration detail: ``temperature``, ``raw`` (and ``calibrated``) tile tables."""
        return self.record.get("calibration")

    # ---- training -------------------------------------------------------------------------

    @property
    def curve(self) -> dict[str, list[Any]] | None:
        """The learning curve (column -> values per evaluation); ``None`` for a baseline."""
        return self.record.get("curve")

    @property
    def best_epoch(self) -> int | None:
        """0-based evaluation whose weights were kept; ``None`` for a baseline."""
        return self.record.get("best_epoch")

    @property
    def epochs_run(self) -> int | None:
        """Evaluations run."""
        return self.record.get("epochs_run")

    @property
    def converged(self) -> bool | None:
        """Whether training converged by the book's rule (``None``: not recorded)."""
        return self.record.get("converged")

    @property
    def unconverged(self) -> bool | None:
        """The older flag: best epoch = last epoch (``None``: not recorded)."""
        return self.record.get("unconverged")
