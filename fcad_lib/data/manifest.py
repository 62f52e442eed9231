"""Parse ``data_manifest.yml``: study areas, their layers, checksums and generators.

The manifest is the single truth of what a study area is (see ``book/architecture.md``). Paths
are relative to the manifest file's directory; a path starting with ``{shared}/`` resolves to
``$FCAD_SHARED_DATA`` or else ``<the manifest's folder>/../shared/data``. The library knows no
checkout: the manifest is the one passed in, else ``$FCAD_MANIFEST``, else the first
``data_manifest.yml`` in the working directory or one of its parents (:func:`find_manifest`).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fcad_lib.data.checksums import (
    CHECKSUM_FILE,
    read_checksum_file,
    sha256_file,
    verify_area,
    verify_layer,
)
from fcad_lib.errors import ManifestError, MissingFileError
from fcad_lib.factors import CATEGORICAL_ROLES, ROLES

log = logging.getLogger(__name__)

# The checksum helpers live in fcad_lib.data.checksums; manifest users import them from here too.
__all__ = [
    "CHECKSUM_FILE",
    "Generator",
    "Layer",
    "Manifest",
    "StudyArea",
    "get_area",
    "load_manifest",
    "read_checksum_file",
    "find_manifest",
    "resolve_path",
    "sha256_file",
    "shared_data_dir",
    "verify_area",
    "verify_layer",
]

#: The file name :func:`find_manifest` looks for in the working directory and its parents.
MANIFEST_NAME = "data_manifest.yml"

#: "GDAL": any other raster GDAL reads (.img, .asc ...); "OGR": any other vector file.
RASTER_FORMATS = ("GTiff", "MintPy-HDF5", "GDAL")
VECTOR_FORMATS = ("ESRI Shapefile", "GPKG", "GeoJSON", "OGR")
RESAMPLINGS = ("bilinear", "nearest")

_LAYER_KEYS = {
    "name", "role", "path", "format", "dataset", "band", "count", "units", "crs", "nodata",
    "resampling", "sha256", "source", "licence", "classes",
}
_AREA_KEYS = {"description", "crs", "resolution_m", "bounds", "generator", "layers"}


@dataclass(frozen=True)
class Layer:
    """One file of a study area, as declared in the manifest.

    ``path`` is absolute (resolved). ``sha256`` is ``None`` only for generated files, which are
    verified against the generator's ``checksums.sha256``.
    """

    name: str
    role: str
    path: Path
    format: str
    units: str | None = None
    crs: str | None = None
    nodata: float | None = None
    resampling: str = "bilinear"
    sha256: str | None = None
    source: str = ""
    licence: str = ""
    band: int = 1
    count: int | None = None
    dataset: str | None = None
    #: Class code -> name, for categorical rasters (e.g. land cover).
    classes: dict[int, str] | None = None

    @property
    def is_raster(self) -> bool:
        """True for GeoTIFF and MintPy layers, False for vector inventories."""
        return self.format in RASTER_FORMATS


@dataclass(frozen=True)
class Generator:
    """``module:function`` that writes a generated area's files, and its keyword parameters."""

    function: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StudyArea:
    """A study area: target CRS and pixel size, optional bounds, its layers."""

    name: str
    crs: str
    layers: tuple[Layer, ...]
    resolution_m: float | None = None
    description: str = ""
    bounds: tuple[float, float, float, float] | None = None
    generator: Generator | None = None
    manifest_path: Path | None = None

    @property
    def roles(self) -> tuple[str, ...]:
        """Roles provided by this area, in manifest order."""
        return tuple(layer.role for layer in self.layers)

    @property
    def raster_layers(self) -> tuple[Layer, ...]:
        """The raster layers (everything except the inventory)."""
        return tuple(layer for layer in self.layers if layer.is_raster)

    def has(self, role: str) -> bool:
        """Whether the area provides a layer with this role."""
        return role in self.roles

    def layer(self, role: str) -> Layer:
        """Return the layer with ``role``; ``ManifestError`` if unknown or absent."""
        if role not in ROLES:
            raise ManifestError(self.manifest_path, f"unknown role {role!r}; known: {ROLES}")
        for layer in self.layers:
            if layer.role == role:
                return layer
        raise ManifestError(
            self.manifest_path, f"area {self.name!r} has no layer with role {role!r}"
        )


@dataclass(frozen=True)
class Manifest:
    """The parsed manifest file: version and areas by name."""

    path: Path
    version: int
    areas: dict[str, StudyArea]

    def __getitem__(self, name: str) -> StudyArea:
        if name not in self.areas:
            raise ManifestError(
                self.path, f"unknown study area {name!r}; known: {sorted(self.areas)}"
            )
        return self.areas[name]

    @property
    def names(self) -> list[str]:
        """Area names in manifest order."""
        return list(self.areas)


def find_manifest(start: str | os.PathLike[str] | None = None) -> Path:
    """The manifest to read when none is passed in.

    Parameters
    ----------
    start : str or PathLike, optional
        Folder where the search begins; default the current working directory.

    Returns
    -------
    Path
        ``$FCAD_MANIFEST`` when set, else the first ``data_manifest.yml`` found in ``start`` or
        one of its parents.

    Raises
    ------
    MissingFileError
        Neither is there.
    """
    env = os.environ.get("FCAD_MANIFEST")
    if env:
        return Path(env)
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MANIFEST_NAME).is_file():
            return folder / MANIFEST_NAME
    raise MissingFileError(
        here, f"no data manifest: pass its path (manifest= or --manifest), set $FCAD_MANIFEST, "
        f"or run in a folder that holds {MANIFEST_NAME} (or below one)")


def shared_data_dir(manifest: str | os.PathLike[str] | None = None) -> Path:
    """Directory that ``{shared}/`` stands for.

    Parameters
    ----------
    manifest : str or PathLike, optional
        The manifest file whose ``{shared}/`` paths are meant; default :func:`find_manifest`.

    Returns
    -------
    Path
        ``$FCAD_SHARED_DATA`` when set, else ``<the manifest's folder>/../shared/data``.
    """
    env = os.environ.get("FCAD_SHARED_DATA")
    if env:
        return Path(env)
    manifest = Path(manifest) if manifest is not None else find_manifest()
    return manifest.resolve().parent.parent / "shared" / "data"


def resolve_path(raw: str, base_dir: Path) -> Path:
    """Resolve a manifest path: ``{shared}/...``, or relative to ``base_dir`` (the manifest's
    folder)."""
    prefix = "{shared}/"
    if raw.startswith(prefix):
        return (shared_data_dir(Path(base_dir) / MANIFEST_NAME) / raw[len(prefix):]).resolve()
    path = Path(raw)
    return path if path.is_absolute() else (base_dir / path).resolve()


def _parse_nodata(value: Any, where: Path, layer: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in {"nan", ".nan"}:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ManifestError(where, f"layer {layer!r}: nodata {value!r} is not a number") from None


def _parse_layer(raw: Any, area: str, base_dir: Path, where: Path) -> Layer:
    if not isinstance(raw, Mapping):
        raise ManifestError(where, f"area {area!r}: each layer must be a mapping, got {raw!r}")
    missing = {"name", "role", "path", "format"} - set(raw)
    if missing:
        raise ManifestError(where, f"area {area!r}: layer lacks keys {sorted(missing)}")
    unknown = set(raw) - _LAYER_KEYS
    if unknown:
        raise ManifestError(where, f"layer {raw['name']!r}: unknown keys {sorted(unknown)}")
    role, fmt = raw["role"], raw["format"]
    if role not in ROLES:
        raise ManifestError(where, f"layer {raw['name']!r}: unknown role {role!r}; known {ROLES}")
    if fmt not in RASTER_FORMATS + VECTOR_FORMATS:
        raise ManifestError(where, f"layer {raw['name']!r}: unknown format {fmt!r}")
    if (role == "inventory") != (fmt in VECTOR_FORMATS):
        raise ManifestError(where, f"layer {raw['name']!r}: role {role!r} cannot be a {fmt}")
    resampling = raw.get("resampling") or ("nearest" if role in CATEGORICAL_ROLES else "bilinear")
    if resampling not in RESAMPLINGS:
        raise ManifestError(
            where, f"layer {raw['name']!r}: resampling must be one of {RESAMPLINGS}"
        )
    sha = raw.get("sha256")
    return Layer(
        name=str(raw["name"]),
        role=role,
        path=resolve_path(str(raw["path"]), base_dir),
        format=fmt,
        units=raw.get("units"),
        crs=raw.get("crs"),
        nodata=_parse_nodata(raw.get("nodata"), where, raw["name"]),
        resampling=resampling,
        sha256=None if sha is None else str(sha).lower(),
        source=str(raw.get("source", "")),
        licence=str(raw.get("licence", "")),
        band=int(raw.get("band", 1)),
        count=None if raw.get("count") is None else int(raw["count"]),
        dataset=raw.get("dataset", "velocity" if fmt == "MintPy-HDF5" else None),
        classes=({int(k): str(v) for k, v in raw["classes"].items()}
                 if isinstance(raw.get("classes"), Mapping) else None),
    )


def _parse_area(name: str, raw: Any, base_dir: Path, where: Path) -> StudyArea:
    if not isinstance(raw, Mapping):
        raise ManifestError(where, f"area {name!r} must be a mapping")
    unknown = set(raw) - _AREA_KEYS
    if unknown:
        raise ManifestError(where, f"area {name!r}: unknown keys {sorted(unknown)}")
    if "crs" not in raw or not raw.get("layers"):
        raise ManifestError(where, f"area {name!r} needs 'crs' and a non-empty 'layers' list")
    layers = tuple(_parse_layer(item, name, base_dir, where) for item in raw["layers"])
    roles = [layer.role for layer in layers]
    duplicated = sorted({r for r in roles if roles.count(r) > 1})
    if duplicated:
        raise ManifestError(where, f"area {name!r}: roles declared twice: {duplicated}")
    bounds = raw.get("bounds")
    if bounds is not None:
        if len(bounds) != 4 or not (bounds[0] < bounds[2] and bounds[1] < bounds[3]):
            raise ManifestError(where, f"area {name!r}: bounds must be [xmin, ymin, xmax, ymax]")
        bounds = tuple(float(b) for b in bounds)
    generator = None
    if raw.get("generator") is not None:
        gen = raw["generator"]
        if not isinstance(gen, Mapping) or ":" not in str(gen.get("function", "")):
            raise ManifestError(where, f"area {name!r}: generator.function must be module:function")
        generator = Generator(function=str(gen["function"]), params=dict(gen.get("params") or {}))
    resolution = raw.get("resolution_m")
    return StudyArea(
        name=name,
        crs=str(raw["crs"]),
        layers=layers,
        resolution_m=None if resolution is None else float(resolution),
        description=str(raw.get("description", "")).strip(),
        bounds=bounds,
        generator=generator,
        manifest_path=where,
    )


def load_manifest(path: str | os.PathLike[str] | None = None) -> Manifest:
    """Read and validate a manifest file.

    Parameters
    ----------
    path : str or PathLike, optional
        The YAML file. Default: :func:`find_manifest` (``$FCAD_MANIFEST``, else the first
        ``data_manifest.yml`` in the working directory or one of its parents).

    Returns
    -------
    Manifest
        Areas by name, with absolute layer paths.

    Raises
    ------
    MissingFileError
        The manifest file does not exist, or none was given or found.
    ManifestError
        Bad YAML or bad schema.
    """
    if path is None:
        path = find_manifest()
    path = Path(path).resolve()
    if not path.is_file():
        raise MissingFileError(path, "manifest file does not exist")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ManifestError(path, yaml_problem(exc)) from None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("areas"), Mapping):
        raise ManifestError(path, "top level must be a mapping with an 'areas' mapping")
    stray = sorted(str(k) for k in raw if k not in ("version", "areas"))
    if stray:
        # an area entry pasted at column 0 is a top-level key, silently outside `areas:`
        raise ManifestError(path, f"unknown top-level key(s) {stray}: an area entry must be "
                            "indented under 'areas:'")
    version = raw.get("version", 1)
    if version != 1:
        raise ManifestError(path, f"unsupported manifest version {version!r} (expected 1)")
    areas = {
        str(name): _parse_area(str(name), area, path.parent, path)
        for name, area in raw["areas"].items()
    }
    return Manifest(path=path, version=int(version), areas=areas)


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML parse error in one line: where, what, and the fix for the usual tab indent."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
    hint = "; indent with spaces, YAML does not allow tabs" if "\\t" in problem else ""
    return f"not valid YAML{where}: {problem}{hint}"


def get_area(name: str, manifest: Manifest | str | os.PathLike[str] | None = None) -> StudyArea:
    """Return the study area ``name`` from ``manifest`` (a ``Manifest``, a path or the default)."""
    if not isinstance(manifest, Manifest):
        manifest = load_manifest(manifest)
    return manifest[name]
