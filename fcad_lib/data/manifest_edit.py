"""Add an area entry to a manifest file: appended under ``areas:``, backed up, checked.

Used by :mod:`fcad_lib.data.new_area`. A block pasted at column 0 would sit outside ``areas:``;
these functions write it with the indentation the file already uses, keep the comments when
``areas:`` is the last top-level key, keep ``<manifest>.bak``, and load the result back.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from fcad_lib.data.geotiff import atomic_path
from fcad_lib.data.manifest import load_manifest, yaml_problem
from fcad_lib.errors import FcadDataError, ManifestError


def entry_block(entry: Mapping[str, Any], indent: int = 2) -> str:
    """The entry as YAML indented to sit under ``areas:`` (pastes as it is)."""
    text = yaml.safe_dump(dict(entry), sort_keys=False, width=100)
    return "".join(" " * indent + line if line.strip() else line
                   for line in text.splitlines(keepends=True))


def _children_indent(text: str) -> int:
    """Indentation of the first entry under ``areas:`` (2 when there is none)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"^areas\s*:", line))
    for line in lines[start + 1:]:
        if line.strip() and not line.lstrip().startswith("#"):
            return len(line) - len(line.lstrip()) or 2
    return 2


def append_to_manifest(entry: Mapping[str, Any], manifest: str | os.PathLike[str]) -> Path | None:
    """Add an area entry under ``areas:`` of ``manifest``, keeping a ``.bak`` copy.

    The text is appended when ``areas:`` is the file's last top-level key (comments kept); else
    the file is rewritten from its parsed YAML. The result is loaded back; if it does not load,
    the backup is restored. A new file gets ``version: 1`` and ``areas:``.

    Returns
    -------
    Path or None
        The backup (``<manifest>.bak``), None when the manifest was new.

    Raises
    ------
    ManifestError
        The area name exists already, the manifest is not valid YAML (one line), or it has no
        ``areas`` mapping.
    """
    path = Path(manifest)
    (name,) = entry
    if not path.exists():
        path.write_text("version: 1\nareas:\n" + entry_block(entry))
        load_manifest(path)
        return None
    text = path.read_text()
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:  # a parser message spans lines: say it in one
        raise ManifestError(path, yaml_problem(exc)) from None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("areas"), Mapping):
        raise ManifestError(path, "has no 'areas:' mapping to add the entry to")
    if name in raw["areas"]:
        raise ManifestError(path, f"area {name!r} exists already; choose another name or remove "
                            "it first")
    backup = path.with_name(path.name + ".bak")
    shutil.copy2(path, backup)
    top_keys = re.findall(r"^([A-Za-z_][\w-]*)\s*:", text, flags=re.MULTILINE)
    block_style = re.search(r"^areas\s*:\s*(#.*)?$", text, flags=re.MULTILINE)
    if top_keys and top_keys[-1] == "areas" and block_style:
        new_text = text + ("" if text.endswith("\n") else "\n") + entry_block(
            entry, _children_indent(text))
    else:
        new_text = yaml.safe_dump({**raw, "areas": {**raw["areas"], **entry}}, sort_keys=False,
                                  width=100)
    with atomic_path(path) as tmp:
        tmp.write_text(new_text)
    try:
        load_manifest(path)[name]
    except FcadDataError:
        shutil.copy2(backup, path)
        raise
    return backup
