"""GeoTIFF creation options and write-to-temporary-then-rename, in one place.

Every raster this package writes is a tiled GeoTIFF with 256-pixel blocks (GDAL's COG default),
DEFLATE-compressed unless it is an intermediate file. Every file whose reader might otherwise
see it half-written (a crash, a parallel reader) is written under a temporary name in the same
folder and moved into place with :func:`os.replace`, which is atomic on one file system.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "BLOCK_SIZE", "CreationOptions", "atomic_path", "atomic_paths", "cog_options", "tiled_profile",
]

#: Block size of every GeoTIFF this package writes (pixels); 256 is GDAL's COG default.
BLOCK_SIZE = 256

K = TypeVar("K")


@dataclass(frozen=True)
class CreationOptions:
    """GDAL creation options of a tiled GeoTIFF (:func:`tiled_profile`).

    Parameters
    ----------
    block_size : int
        Side of the square internal tiles in pixels.
    compress : str or None
        Compression (``None`` for an uncompressed intermediate file).
    predictor : int or None
        DEFLATE predictor: 2 (horizontal differencing) for integers, 3 for floats.
    bigtiff : bool
        Add ``BIGTIFF="IF_SAFER"`` (BigTIFF when the file may pass 4 GB).
    """

    block_size: int = BLOCK_SIZE
    compress: str | None = "deflate"
    predictor: int | None = None
    bigtiff: bool = True


def tiled_profile(
    width: int,
    height: int,
    count: int,
    dtype: str,
    crs: Any,
    transform: Any,
    nodata: float | None,
    *,
    options: CreationOptions | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A rasterio profile of a tiled GeoTIFF.

    Parameters
    ----------
    width, height, count : int
        Raster size in pixels and number of bands.
    dtype : str
        Numpy dtype name of the bands.
    crs, transform
        Coordinate reference system and affine transform (anything rasterio accepts).
    nodata : float or None
        The nodata value (``NaN`` for floats).
    options : CreationOptions, optional
        Block size, compression, predictor and BigTIFF; default ``CreationOptions()``
        (256-pixel blocks, DEFLATE, no predictor, BigTIFF if safer).
    **extra
        Further creation options (e.g. ``interleave="band"``).

    Returns
    -------
    dict
        Keyword arguments for ``rasterio.open(path, "w", **profile)``.

    Raises
    ------
    TypeError
        If ``extra`` names one of the :class:`CreationOptions`.
    """
    grouped = sorted(set(extra) & {f.name for f in fields(CreationOptions)})
    if grouped:  # e.g. predictor=3 would silently skip the options' handling
        raise TypeError(f"tiled_profile: pass {grouped} in options=CreationOptions(...)")
    options = CreationOptions() if options is None else options
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": count,
        "dtype": dtype,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": options.block_size,
        "blockysize": options.block_size,
    }
    if options.compress is not None:
        profile["compress"] = options.compress
    if options.predictor is not None:
        profile["predictor"] = options.predictor
    profile.update(extra)
    if options.bigtiff:
        profile["BIGTIFF"] = "IF_SAFER"
    return profile


def cog_options(predictor: int, block_size: int = BLOCK_SIZE) -> dict[str, Any]:
    """Creation options of a DEFLATE-compressed Cloud-Optimised GeoTIFF (``driver="COG"``)."""
    return {"driver": "COG", "COMPRESS": "DEFLATE", "PREDICTOR": predictor,
            "BLOCKSIZE": block_size, "BIGTIFF": "IF_SAFER"}


def _temporary(path: Path) -> Path:
    # Same folder (os.replace is atomic only within one file system), hidden, unique per
    # process, and the same extension (drivers such as GPKG or numpy's savez go by it).
    return path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")


@contextmanager
def atomic_paths(paths: Mapping[K, str | os.PathLike]) -> Iterator[dict[K, Path]]:
    """Temporary paths to write to; moved onto ``paths`` (in order) when the block succeeds.

    Parameters
    ----------
    paths : mapping
        Final paths by key. Their folders must exist.

    Yields
    ------
    dict
        A temporary path per key, in the final path's folder. When the ``with`` block ends
        without an exception every temporary file is moved onto its final path with
        :func:`os.replace`; in any case no temporary file is left behind.
    """
    final = {key: Path(p) for key, p in paths.items()}
    tmp = {key: _temporary(p) for key, p in final.items()}
    try:
        yield tmp
        for key, p in final.items():
            os.replace(tmp[key], p)
    finally:
        for p in tmp.values():
            p.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """One temporary path to write to, moved onto ``path`` when the block succeeds.

    Examples
    --------
    >>> with atomic_path(out / "result.json") as tmp:  # doctest: +SKIP
    ...     tmp.write_text(text)
    """
    with atomic_paths({0: path}) as tmp:
        yield tmp[0]
