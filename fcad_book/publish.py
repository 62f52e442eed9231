"""Published results: the tables of one profile's run, with where and how they were made.

``python -m fcad_book.pipeline --profile default`` ends by calling :func:`publish`, which
copies the per-run tables of ``runs/<profile>/`` into ``results/<profile>/`` with fixed columns
(:data:`SCHEMAS`) and writes ``provenance.json`` (commit, profile hash, start and end, wall time,
machine, library versions). ``results/default/`` is committed; the pages read it back with
:func:`load_published` / :func:`published_summary`, and :func:`published_status` says whether
``profiles.yml`` has changed since (the profile hash differs: the tables are stale).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fcad_book.paths import ROOT
from fcad_book.profiles import PROFILES_FILE, Profile, is_publishing, load_profile
from fcad_lib.data.geotiff import atomic_path, atomic_paths
from fcad_lib.jsonio import dumps

log = logging.getLogger(__name__)

PUBLISHED_DIR = ROOT / "results" / "default"
SCORES = ("pre", "rec", "f1", "kappa", "miou", "ap")
_RUN = ("split", "seed", *SCORES, "threshold", "best_epoch", "epochs_run", "converged",
        "val_ap", "test_prevalence", "ece", "brier", "ece_calibrated", "brier_calibrated")
_HK = ("label_set", "factors", "split", "fold", *SCORES)
#: Published file -> (source file in the run folder, its columns in order).
SCHEMAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "comparison.csv": ("comparison.csv", ("model", *_RUN)),
    "ablation.csv": ("ablation.csv", ("group", *_RUN)),
    "balakot.csv": ("balakot.csv", ("model", *_RUN)),
    "hongkong.csv": ("hk_deformation_ablation.csv", _HK),
    # the augmented model scored on its test rows that did not come from InSAR (notebook 10)
    "hongkong_held_out.csv": ("hk_deformation_ablation.csv", _HK),
}
#: Copied as they are when the run wrote them.
EXTRA_FILES = ("comparison_verdicts.csv", "ablation_verdicts.csv", "comparison_calibration.csv",
               "comparison_calibration_intervals.csv", "balakot_calibration.csv", "hk_gains.csv",
               "comparison_largest_object.csv")
HK_LABEL_SETS = ("independent", "insar_augmented")
HK_FACTORS = ("with_dv", "without_dv", "dv_only")
PROVENANCE_KEYS = ("git_commit", "git_dirty", "profile", "profile_sha256", "started", "finished",
                   "wall_seconds", "notebook_seconds", "cpu_count", "machine", "python", "keras",
                   "tensorflow", "complete")
NO_RESULTS = "No published default-profile results in this checkout yet (`results/default/`)."


def profile_hash(profile: Profile) -> str:
    """SHA-256 of a profile's ``parameters`` and ``extra_runs`` (canonical JSON, sorted keys).

    The profile's other fields (``publishes``, ``smoke``, the banner's words) say what it is
    for, not what it computes: they stay out of the hash, so editing them leaves published
    results current.

    Parameters
    ----------
    profile : Profile
        From :func:`fcad_book.profiles.load_profile`.

    Returns
    -------
    str
        Hex digest; equal for equal settings whatever the order or comments in the YAML.
    """
    canonical = dumps({"parameters": profile.parameters, "extra_runs": profile.extra_runs},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def git_state(root: Path = ROOT) -> dict[str, Any]:
    """``{"git_commit": HEAD or None, "git_dirty": tracked files changed (bool or None)}``."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True,
                              capture_output=True, text=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                cwd=root, check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {"git_commit": None, "git_dirty": None}
    return {"git_commit": head, "git_dirty": bool(status.strip())}


def _version(*dists: str) -> str | None:
    for dist in dists:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def machine_description() -> str:
    """OS, architecture and CPU model (from ``/proc/cpuinfo`` on Linux); never the host name."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return ", ".join(p for p in (f"{platform.system()} {platform.machine()}", cpu) if p)


def _table(name: str, source: pd.DataFrame) -> pd.DataFrame:
    """``source`` with the published columns of ``name`` (missing ones NaN)."""
    columns = SCHEMAS[name][1]
    frame = source.copy()
    if name.startswith("hongkong"):
        held_out = frame["label_set"].astype(str).str.endswith("_tested_on_independent")
        frame = frame[held_out if name == "hongkong_held_out.csv" else ~held_out]
    for col in columns:
        if col not in frame:
            frame[col] = np.nan
    return frame[list(columns)].reset_index(drop=True)


@dataclass(frozen=True)
class RunRecord:
    """How one run of the notebooks went: the times ``provenance.json`` records.

    Attributes
    ----------
    started, finished : str
        UTC ISO times of the start and end of the notebooks.
    wall_seconds : float
        Seconds from start to end.
    notebook_seconds : dict
        Wall seconds per executed notebook (by output name).
    complete : bool
        False when only some notebooks ran (``--only``).
    sittings : list of dict, optional
        The sittings the run took (:class:`fcad_book.pipeline.Sittings`); their wall
        times are summed in ``wall_seconds``. Default: one sitting, this run.
    """

    started: str
    finished: str
    wall_seconds: float
    notebook_seconds: dict[str, float]
    complete: bool = True
    sittings: list[dict[str, Any]] | None = None


def publish(run_dir: Path, results_dir: Path, profile_name: str, run: RunRecord, *,
            git: dict[str, Any] | None = None, profiles_file: Path = PROFILES_FILE) -> dict:
    """Write the published tables and ``provenance.json`` of one run into ``results_dir``.

    Parameters
    ----------
    run_dir : Path
        Where the notebooks wrote their tables (``runs/<profile>``).
    results_dir : Path
        Destination (``results/<profile>``); created if missing. Published files this run has no
        source for are removed, so the folder never mixes two runs.
    profile_name : str
        Profile in ``profiles_file``.
    run : RunRecord
        Its times and whether every notebook ran; the provenance says ``complete: false`` also
        when a table is missing.
    git : dict, optional
        :func:`git_state` taken when the run started (default: now).
    profiles_file : Path
        The profiles file.

    Returns
    -------
    dict
        The provenance written.
    """
    run_dir, results_dir = Path(run_dir), Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    tables = {}
    for name, (source, _) in SCHEMAS.items():
        if (run_dir / source).exists():
            tables[name] = _table(name, pd.read_csv(run_dir / source))
        else:
            log.warning("publish: %s has no %s; %s not published", run_dir, source, name)
    if "hongkong_held_out.csv" in tables and tables["hongkong_held_out.csv"].empty:
        del tables["hongkong_held_out.csv"]
    copies = {n: pd.read_csv(run_dir / n) for n in EXTRA_FILES if (run_dir / n).exists()}
    required = [n for n in SCHEMAS if n != "hongkong_held_out.csv"]
    provenance = {
        **(git or git_state()),
        "profile": profile_name,
        "profile_sha256": profile_hash(load_profile(profile_name, profiles_file)),
        "started": run.started, "finished": run.finished,
        "wall_seconds": round(run.wall_seconds, 1),
        "notebook_seconds": {k: round(v, 1) for k, v in run.notebook_seconds.items()},
        "cpu_count": os.cpu_count(), "machine": machine_description(),
        "python": platform.python_version(), "keras": _version("keras"),
        "tensorflow": _version("tensorflow", "tensorflow-cpu", "tensorflow-macos"),
        "complete": bool(run.complete and all(n in tables for n in required)),
        "files": sorted([*tables, *copies]),
        "sittings": run.sittings or [{"started": run.started, "finished": run.finished,
                                      "wall_seconds": round(run.wall_seconds, 1)}],
    }
    frames = {**tables, **copies}
    with atomic_paths({n: results_dir / n for n in frames}) as tmp:
        for name, frame in frames.items():
            frame.to_csv(tmp[name], index=False)
    for name in (*SCHEMAS, *EXTRA_FILES):
        if name not in frames:
            (results_dir / name).unlink(missing_ok=True)
    with atomic_path(results_dir / "provenance.json") as tmp:
        tmp.write_text(dumps(provenance, indent=2) + "\n")
    return provenance


def load_published(name: str, results_dir: Path = PUBLISHED_DIR) -> pd.DataFrame | None:
    """A published table (``"comparison.csv"`` ...), or None when this checkout has none."""
    path = Path(results_dir) / name
    return pd.read_csv(path) if path.exists() else None


@dataclass
class PublishedStatus:
    """What ``results/<profile>/`` holds and whether ``profiles.yml`` still matches it."""

    exists: bool
    stale: bool = False
    complete: bool = False
    provenance: dict[str, Any] = field(default_factory=dict)
    banner: str = NO_RESULTS


def _hours(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def published_status(results_dir: Path = PUBLISHED_DIR, profiles_file: Path = PROFILES_FILE,
                     previous_run: bool = False) -> PublishedStatus:
    """Whether published results exist, are complete and match the current profile.

    Parameters
    ----------
    results_dir : Path
        ``results/<profile>`` with its ``provenance.json``.
    profiles_file : Path
        The profiles file whose profile of the same name is compared (``profile_sha256``).
    previous_run : bool
        The page is itself being run with that profile: call the tables the previous run's.

    Returns
    -------
    PublishedStatus
        With ``banner``: one Markdown paragraph naming commit, date, wall time (h:mm) and CPU
        count, and saying **STALE** when the profile changed since.
    """
    path = Path(results_dir) / "provenance.json"
    if not path.exists():
        return PublishedStatus(exists=False)
    prov = json.loads(path.read_text())
    try:
        current = profile_hash(load_profile(prov.get("profile", "default"), profiles_file))
    except KeyError:
        current = None
    stale = current != prov.get("profile_sha256") or bool(prov.get("superseded"))
    complete = bool(prov.get("complete"))
    commit = (prov.get("git_commit") or "unknown")[:10]
    where = f"`{Path(results_dir).parent.name}/{Path(results_dir).name}/`"
    text = (f"**Published `{prov.get('profile')}`-profile results** ({where}"
            f"{', previous run' if previous_run else ''}): commit `{commit}`"
            f"{' with uncommitted changes' if prov.get('git_dirty') else ''}, finished "
            f"{str(prov.get('finished', '?'))[:16].replace('T', ' ')} UTC, wall time "
            f"{_hours(prov.get('wall_seconds'))} (h:mm) on {prov.get('cpu_count', '?')} CPU "
            f"cores ({prov.get('machine', '?')}).")
    if not complete:
        text += " **Partial run:** not every notebook ran, or a table is missing."
    if prov.get("superseded"):
        text += (f" **SUPERSEDED:** {prov['superseded']}. These numbers come from code or "
                 "settings this checkout no longer has; the next default run replaces them.")
    elif stale:
        text += (" **STALE:** the profile in `profiles.yml` has changed since this run (its "
                 "hash differs from `profile_sha256`); these numbers come from the old settings.")
    return PublishedStatus(True, stale, complete, prov, text)


def mark_superseded(results_dir: Path, reason: str) -> None:
    """Mark published results as computed by code or settings this checkout no longer has.

    Between a change of the result code (e.g. a new training recipe) and the next default run,
    the old tables stay readable, and every page that shows them says **SUPERSEDED** with the
    reason. The next :func:`publish` writes a fresh ``provenance.json`` without the mark.
    """
    path = Path(results_dir) / "provenance.json"
    prov = json.loads(path.read_text())
    prov["superseded"] = str(reason)
    with atomic_path(path) as tmp:
        tmp.write_text(dumps(prov, indent=2) + "\n")


def superseded_reason(results_dir: Path = PUBLISHED_DIR) -> str | None:
    """Why the published results are superseded (:func:`mark_superseded`), or None."""
    path = Path(results_dir) / "provenance.json"
    return json.loads(path.read_text()).get("superseded") if path.exists() else None


def published_summary(name: str, results_dir: Path = PUBLISHED_DIR,
                      profiles_file: Path = PROFILES_FILE,
                      profile: str | None = None) -> tuple[str, pd.DataFrame | None]:
    """Banner and mean ± std summary of a published table, for a notebook's last section.

    Parameters
    ----------
    name : str
        ``comparison.csv``, ``ablation.csv``, ``balakot.csv`` or ``hongkong.csv``.
    results_dir, profiles_file : Path
        Published folder and profiles file.
    profile : str, optional
        The page's own profile; a publishing one (``publishes: true``) calls the tables the
        previous run's.

    Returns
    -------
    (str, pandas.DataFrame or None)
        Markdown banner (or :data:`NO_RESULTS`) and the summary: over seeds per split and model
        (``group`` for the ablation), over folds per label set, split and factors (Hong Kong).
    """
    frame = load_published(name, results_dir)
    if frame is None:
        return NO_RESULTS, None
    from fcad_lib.training.experiments import summary_table

    status = published_status(results_dir, profiles_file,
                              previous_run=is_publishing(profile, profiles_file))
    if name.startswith("hongkong"):
        by, count = ["label_set", "split", "factors"], "folds"
    else:
        by, count = ["split", "group" if name.startswith("ablation") else "model"], "seeds"
    order = {"random": 0, "blocked": 1}  # the paper's protocol first, each split together
    frame = frame.sort_values("split", key=lambda s: s.map(order).fillna(2), kind="stable")
    table = summary_table(frame, by, SCORES).rename(columns={"seeds": count})
    return status.banner, table


def record_book_seconds(results_dir: Path, seconds: float) -> None:
    """Add the book build's wall seconds to a published ``provenance.json``.

    ``wall_seconds`` covers the notebooks; ``wall_seconds_with_book`` adds the build, so the
    published run is timed end to end as the pipeline ran it.
    """
    path = Path(results_dir) / "provenance.json"
    provenance = json.loads(path.read_text())
    provenance["book_seconds"] = round(seconds, 1)
    provenance["wall_seconds_with_book"] = round(provenance["wall_seconds"] + seconds, 1)
    with atomic_path(path) as tmp:
        tmp.write_text(dumps(provenance, indent=2) + "\n")
