"""The output folder of a whole-area run: refuse to clobber it, stage, then publish together.

A run writes every output (``factors.tif``, ``probability.tif``, ``landslide_map.tif``,
``polygons.gpkg``) under its own ``OUT/.staging/<run key>/`` and moves them into ``OUT`` only
when all of them are complete, so a failed run never leaves a new file beside an old one of
another run, and runs with different settings never share staged tiles. An existing non-empty
``OUT`` is refused unless the caller says ``overwrite``. The run key hashes what the staged
files depend on (:func:`run_key`), so a re-run of the same command finds the folder of a killed
run and resumes from it (the factor stack of an area is reused when the area and grid are
unchanged, :func:`reuse_or_write_stack`; the predictor's checkpoint then checks the content).
The caller holds the folder's lock (:mod:`fcad_lib.predict.lock`) around all of this.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fcad_lib.data.checksums import sha256_file
from fcad_lib.data.manifest import StudyArea
from fcad_lib.errors import FcadDataError
from fcad_lib.predict.lock import LOCK_FILE

#: Work folder of a run inside its output folder.
STAGING = ".staging"
#: Every file a run may publish (a file of a previous run not written again is removed).
OUTPUT_NAMES = ("factors.tif", "probability.tif", "landslide_map.tif", "polygons.gpkg",
                "uncertainty.tif", "review.tif")
#: Beside a staged ``factors.tif``: the key of the area and grid it was made from.
STACK_RECORD = "factors.json"


def check_out_dir(out_dir: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Refuse an output folder holding more than staging and lock, unless ``overwrite``.

    Raises
    ------
    FcadDataError
        ``out_dir`` is a file, or a non-empty folder and ``overwrite`` is False.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FcadDataError(out, "output path exists and is not a folder")
    if out.is_dir() and not overwrite:
        entries = sorted(p.name for p in out.iterdir() if p.name not in (STAGING, LOCK_FILE))
        if entries:
            raise FcadDataError(out, f"output folder is not empty ({', '.join(entries[:3])}"
                                f"{' ...' if len(entries) > 3 else ''}); pass --overwrite to "
                                "replace its outputs, or choose another folder")
    return out


def run_key(bundle_files: Sequence[Path], source: str, **params: Any) -> str:
    """Staging folder name of a run: what its staged files depend on, hashed (16 hex digits).

    Parameters
    ----------
    bundle_files : sequence of pathlib.Path
        The model bundle's files, entering by content.
    source : str
        The input: :func:`stack_key` of an area, or a stack file's path and size (its content
        is checked by the predictor's checkpoint, so a touched stack still resumes).
    **params
        Every other setting of the run (tiling, threshold ...).
    """
    h = hashlib.sha256()
    for path in bundle_files:
        h.update(sha256_file(path).encode())
    h.update(json.dumps([source, params], sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def staging_dir(out_dir: str | os.PathLike[str], key: str) -> Path:
    """``out_dir/.staging/<key>``, created (with ``out_dir``) if needed."""
    staging = Path(out_dir) / STAGING / key
    staging.mkdir(parents=True, exist_ok=True)
    return staging


def stack_key(area: StudyArea, resolution_m: float | None) -> str:
    """sha256 of what determines an area's factor stack: its manifest entry and the grid.

    The entry holds every file's sha256 (generated areas: the generator's parameters), so
    the key changes when a file or the manifest does, and never with a modification time.
    """
    record = {"area": asdict(area), "resolution_m": resolution_m}
    text = json.dumps(record, sort_keys=True, default=str)  # hashed, never written: NaN ok
    return hashlib.sha256(text.encode()).hexdigest()


def reuse_or_write_stack(staging: Path, key: str, build: Callable[[Path], Any]) -> Path:
    """The staged ``factors.tif`` when it was made with ``key``; else ``build(path)`` writes it.

    Parameters
    ----------
    staging : pathlib.Path
        The run's staging folder.
    key : str
        :func:`stack_key` of the area and grid.
    build : callable
        Writes the factor stack to the path it is given, atomically (e.g.
        :func:`fcad_lib.data.stack_build.build_factor_stack`); only called when needed.
    """
    tif, record = staging / OUTPUT_NAMES[0], staging / STACK_RECORD
    if tif.is_file() and record.is_file():
        try:
            if json.loads(record.read_text()).get("key") == key:
                return tif  # a killed run's stack: not rewritten, so the checkpoint matches
        except (OSError, ValueError):
            pass
    record.unlink(missing_ok=True)
    build(tif)  # atomic: a killed write leaves no factors.tif
    record.write_text(json.dumps({"key": key}, allow_nan=False) + "\n")
    return tif


def publish(staging: Path, out_dir: Path, names: Sequence[str]) -> dict[str, Path]:
    """Move the finished ``names`` from ``staging`` into ``out_dir`` and drop all staging.

    Outputs of a previous run that this run did not write (e.g. its ``factors.tif``) are removed
    first, so the folder holds one run's files only; so is the staged work of killed runs with
    other settings (the caller holds the folder's lock: no other run is using it).

    Returns
    -------
    dict
        Name -> published path.
    """
    missing = [n for n in names if not (staging / n).exists()]
    if missing:
        raise FcadDataError(staging, f"run did not write {missing}: nothing published")
    for name in OUTPUT_NAMES:
        if name not in names and (out_dir / name).exists():
            (out_dir / name).unlink()
    published = {}
    for name in names:
        os.replace(staging / name, out_dir / name)
        published[name] = out_dir / name
    shutil.rmtree(out_dir / STAGING, ignore_errors=True)
    return published
