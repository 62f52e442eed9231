"""Exception hierarchy of the data layer.

Every error names the file it concerns and the problem, so that a failing notebook cell says
which input to fix without a traceback dive.
"""

from __future__ import annotations

from os import PathLike


class FcadDataError(Exception):
    """Base class of every data error raised by ``fcad_lib``.

    Parameters
    ----------
    path : str or PathLike or None
        The file the problem concerns (kept as ``self.path``).
    problem : str
        What is wrong, in words.
    """

    def __init__(self, path: str | PathLike[str] | None, problem: str) -> None:
        self.path = None if path is None else str(path)
        self.problem = problem
        where = self.path if self.path is not None else "<no file>"
        super().__init__(f"{where}: {problem}")


class MissingFileError(FcadDataError, FileNotFoundError):
    """A file declared in the manifest (or passed in) does not exist."""


class ChecksumError(FcadDataError):
    """A file's sha256 differs from the manifest or from the generator's ``checksums.sha256``."""


class MissingCRSError(FcadDataError):
    """A raster or vector file has no coordinate reference system."""


class NoOverlapError(FcadDataError):
    """A layer's footprint does not intersect the target grid."""


class BandCountError(FcadDataError):
    """A raster has a different number of bands from the one the manifest requires."""


class InventoryError(FcadDataError):
    """A landslide inventory is empty or has no polygon inside the target grid."""


class ManifestError(FcadDataError):
    """The manifest has a bad schema, or names an unknown area or role."""


class TableError(FcadDataError):
    """A table of samples (CSV) is malformed: a missing column, a non-numeric value, a bad label."""


class OutputLockedError(FcadDataError):
    """Another run is writing to the output folder (its lock file names it)."""


class ResolutionMismatchError(FcadDataError):
    """The target grid's pixels are much finer or coarser than the model's training pixels."""
