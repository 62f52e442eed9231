"""The output folder of a whole-area run: refuse to clobber it, stage, then publish together.

A run writes every output (``factors.tif``, ``probability.tif``, ``landslide_map.tif``,
``polygons.gpkg``) under ``OUT/.staging/`` and moves them into ``OUT`` only when all of them
are complete, so a failed run never leaves a new file beside an old one of another run. An
existing non-empty ``OUT`` is refused unless the caller says ``overwrite``; the staging folder
of a killed run is what a re-run of the same command resumes from (the factor stack of an area
is reused when the area and grid are unchanged, :func:`reuse_or_write_stack`).
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

from fcad_lib.data.manifest import StudyArea
from fcad_lib.errors import FcadDataError

#: Work folder of a run inside its output folder.
STAGING = ".staging"
#: Every file a run may publish (a file of a previous run not written again is removed).
OUTPUT_NAMES = ("factors.tif", "probability.tif", "landslide_map.tif", "polygons.gpkg")
#: Beside a staged ``factors.tif``: the key of the area and grid it was made from.
STACK_RECORD = "factors.json"


def check_out_dir(out_dir: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Refuse an output folder that holds anything but a staging folder, unless ``overwrite``.

    Raises
    ------
    FcadDataError
        ``out_dir`` is a file, or a non-empty folder and ``overwrite`` is False.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FcadDataError(out, "output path exists and is not a folder")
    if out.is_dir() and not overwrite:
        entries = sorted(p.name for p in out.iterdir() if p.name != STAGING)
        if entries:
            raise FcadDataError(out, f"output folder is not empty ({', '.join(entries[:3])}"
                                f"{' ...' if len(entries) > 3 else ''}); pass --overwrite to "
                                "replace its outputs, or choose another folder")
    return out


def staging_dir(out_dir: str | os.PathLike[str]) -> Path:
    """``out_dir/.staging``, created (with ``out_dir``) if needed."""
    staging = Path(out_dir) / STAGING
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
    """Move the finished ``names`` from ``staging`` into ``out_dir`` and drop ``staging``.

    Outputs of a previous run that this run did not write (e.g. its ``factors.tif``) are removed
    first, so the folder holds one run's files only.

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
    shutil.rmtree(staging, ignore_errors=True)
    return published
