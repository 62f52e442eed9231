"""File integrity: sha256 digests and ``sha256sum``-format checksum files.

Every layer of a study area is checked against the sha256 in the manifest, or, for generated
files, against the ``checksums.sha256`` the generator wrote beside them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Protocol

from fcad_lib.errors import ChecksumError, MissingFileError

__all__ = [
    "CHECKSUM_FILE",
    "ChecksummedFile",
    "read_checksum_file",
    "sha256_file",
    "verify_area",
    "verify_layer",
]

#: Checksums of generated files, beside them, in ``sha256sum`` format.
CHECKSUM_FILE = "checksums.sha256"


class ChecksummedFile(Protocol):
    """What :func:`verify_layer` reads of a layer (:class:`fcad_lib.data.manifest.Layer`)."""

    path: Path
    sha256: str | None


def sha256_file(path: str | os.PathLike[str], chunk_bytes: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks (``MissingFileError`` if absent)."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(path, "file does not exist")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def read_checksum_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """Parse a ``sha256sum``-format file into ``{filename: hex}``."""
    path = Path(path)
    if not path.is_file():
        raise ChecksumError(path, "checksum file does not exist")
    sums: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2:
            raise ChecksumError(path, f"malformed line {line!r}")
        # sha256sum marks binary mode with a leading '*' on the name.
        sums[parts[1].strip().lstrip("*")] = parts[0].lower()
    return sums


def verify_layer(layer: ChecksummedFile) -> str:
    """Check a layer's file against its sha256 and return the digest.

    Shapefiles: only the ``.shp`` is hashed; the ``.dbf``/``.shx``/``.prj`` sidecars are not.
    Layers with ``sha256: null`` are checked against ``checksums.sha256`` beside the file.

    Raises
    ------
    MissingFileError
        The file does not exist.
    ChecksumError
        Digest mismatch (naming the file, expected and actual), or for a ``null`` sha256 a
        missing ``checksums.sha256`` or a missing entry in it.
    """
    actual = sha256_file(layer.path)
    expected = layer.sha256
    if expected is None:
        sums_path = layer.path.parent / CHECKSUM_FILE
        sums = read_checksum_file(sums_path)
        if layer.path.name not in sums:
            raise ChecksumError(layer.path, f"no entry for {layer.path.name!r} in {sums_path}")
        expected = sums[layer.path.name]
    if actual != expected:
        raise ChecksumError(layer.path, f"sha256 mismatch: expected {expected}, actual {actual}")
    return actual


def verify_area(area: Any) -> dict[str, str]:
    """Verify every layer of ``area`` (a :class:`fcad_lib.data.manifest.StudyArea`).

    Returns
    -------
    dict
        ``{layer name: sha256}``.
    """
    return {layer.name: verify_layer(layer) for layer in area.layers}
