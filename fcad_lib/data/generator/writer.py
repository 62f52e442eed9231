"""Write the generated area as a real area's files: GeoTIFFs, a GeoPackage, ``checksums.sha256``.

The rasters are tiled and deflate-compressed (:func:`fcad_lib.data.geotiff.tiled_profile`); every
file is written under a temporary name and moved into place (:func:`~fcad_lib.data.geotiff.
atomic_paths`), so a crash never leaves a half-written file under a final name.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.transform import Affine

from fcad_lib.data.checksums import CHECKSUM_FILE, sha256_file
from fcad_lib.data.generator.params import GeneratorParams
from fcad_lib.data.generator.scene import generate_scene
from fcad_lib.data.geotiff import CreationOptions, atomic_paths, tiled_profile

RASTER_FILES = ("deformation_rate", "B2", "B3", "B4", "B8", "dem", "lithology")
INVENTORY_FILE = "landslides.gpkg"
UNITS = {
    "deformation_rate": "mm/yr",
    "B2": "1",
    "B3": "1",
    "B4": "1",
    "B8": "1",
    "dem": "m",
    "lithology": "unit code",
}


def _write_geotiff(
    path: Path, array: np.ndarray, transform: Affine, crs: str, name: str, tags: dict
) -> None:
    is_int = np.issubdtype(array.dtype, np.integer)
    block = 256 if array.shape[0] >= 256 and array.shape[1] >= 256 else 128
    profile = tiled_profile(
        array.shape[1], array.shape[0], 1, array.dtype.name, crs, transform,
        -1 if is_int else np.nan,
        options=CreationOptions(block_size=block, predictor=2 if is_int else 3),
    )
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
        dst.update_tags(**tags)
        dst.update_tags(1, units=UNITS[name])
        dst.set_band_description(1, name)


def _output_paths(out: Path, overwrite: bool) -> dict[str, Path]:
    paths = {name: out / f"{name}.tif" for name in RASTER_FILES}
    paths["landslides"] = out / INVENTORY_FILE
    paths["checksums"] = out / CHECKSUM_FILE
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"generate_study_area: refusing to overwrite {', '.join(existing)} "
            "(pass overwrite=True)"
        )
    return paths


def generate_study_area(
    out_dir: str | os.PathLike,
    seed: int = 42,
    size_px: int = 1024,
    resolution_m: float = 12.5,
    landslide_ratio: float = 1 / 224,
    crs: str = "EPSG:32647",
    overwrite: bool = False,
    confounders: Mapping[str, Any] | GeneratorParams | None = None,
) -> dict[str, Path]:
    """Generate the synthetic study area and write it to ``out_dir``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Directory to write into (created if missing).
    seed : int
        Seed of every random choice; the same seed gives identical arrays and polygons.
    size_px : int
        Width and height of the square grid in pixels (>= 64).
    resolution_m : float
        Pixel size in metres.
    landslide_ratio : float
        Landslide pixels : other land (non-water) pixels, as the paper's 1 : 224.
    crs : str
        Projected CRS (metres) of every output.
    overwrite : bool
        Replace existing files; otherwise an existing output raises ``FileExistsError``.
    confounders : mapping or GeneratorParams, optional
        Overrides of :class:`~fcad_lib.data.generator.params.GeneratorParams` defaults (the
        manifest's ``generator: params: confounders:`` block).

    Returns
    -------
    dict[str, Path]
        Paths keyed ``deformation_rate``, ``B2``, ``B3``, ``B4``, ``B8``, ``dem``,
        ``lithology``, ``landslides`` and ``checksums``.

    Raises
    ------
    FileExistsError
        If an output file exists and ``overwrite`` is False (nothing is written then).
    ValueError
        On an out-of-range parameter.
    """
    if size_px < 64:
        raise ValueError(f"size_px must be >= 64, got {size_px}")
    if not resolution_m > 0:
        raise ValueError(f"resolution_m must be positive, got {resolution_m}")
    if not 0 < landslide_ratio < 0.2:
        raise ValueError(f"landslide_ratio must be in (0, 0.2), got {landslide_ratio}")
    params = GeneratorParams.from_mapping(confounders)
    out = Path(out_dir)
    paths = _output_paths(out, overwrite)
    scene = generate_scene(seed, size_px, resolution_m, landslide_ratio, crs, params)
    layers, inventory, transform = scene.layers, scene.inventory, scene.transform
    out.mkdir(parents=True, exist_ok=True)
    tags = {
        "generator": "fcad_lib.data.generator.generate_study_area",
        "seed": str(seed),
        "size_px": str(size_px),
        "resolution_m": str(resolution_m),
        "landslide_ratio": repr(landslide_ratio),
        "confounders": json.dumps(params.to_dict(), sort_keys=True),
    }
    with atomic_paths(paths) as tmp:
        for name in RASTER_FILES:
            _write_geotiff(tmp[name], layers[name], transform, crs, name, tags)
        inventory.to_file(tmp["landslides"], driver="GPKG", layer="landslides", engine="pyogrio")
        keys = (*RASTER_FILES, "landslides")
        tmp["checksums"].write_text(
            "".join(f"{sha256_file(tmp[k])}  {paths[k].name}\n" for k in keys)
        )
    return paths


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m fcad_lib.data.generator OUT_DIR --seed 42 --size 1024``."""
    parser = argparse.ArgumentParser(description="Generate the synthetic default study area.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--size", type=int, default=1024, help="grid width/height in pixels")
    parser.add_argument("--resolution", type=float, default=12.5, help="pixel size in metres")
    parser.add_argument("--ratio", type=float, default=1 / 224, help="landslide : other land")
    parser.add_argument("--crs", default="EPSG:32647")
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--confounders", type=json.loads, default=None,
                        help="JSON object of GeneratorParams overrides")
    args = parser.parse_args(argv)
    paths = generate_study_area(
        args.out_dir,
        seed=args.seed,
        size_px=args.size,
        resolution_m=args.resolution,
        landslide_ratio=args.ratio,
        crs=args.crs,
        overwrite=args.overwrite,
        confounders=args.confounders,
    )
    for key, path in paths.items():
        print(f"{key}: {path}")
