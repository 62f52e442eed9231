"""Raster output of a prediction: GeoTIFF profile, binary map, COG finalisation, the result.

Work in progress lives in ``out_dir/.partial``; :func:`finish` thresholds the intermediate
probability raster into the binary map, copies both to their final Cloud-Optimised GeoTIFFs under
temporary names moved into place with :func:`os.replace`, and removes the work folder.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.enums
import rasterio.shutil
from rasterio.windows import Window

from fcad_lib.data.geotiff import (
    BLOCK_SIZE,
    CreationOptions,
    atomic_path,
    cog_options,
    tiled_profile,
)
from fcad_lib.predict.tiling import TilingPlan

#: Binary-map nodata value (``uint8``).
MAP_NODATA = 255
#: GDAL block cache while predicting (MB): bounds GDAL's share of memory whatever the raster size.
GDAL_CACHE_MB = 64
#: Work-in-progress folder inside ``out_dir``.
PARTIAL = ".partial"
#: The blended rasters, in band order of the sums (:attr:`TilingPlan.bands` of them).
BAND_FILES = ("probability.tif", "uncertainty.tif")


@dataclass(frozen=True)
class PredictionResult:
    """Paths written by :func:`~fcad_lib.predict.predict_raster` (and ``predict_area``)."""

    probability: Path
    landslide_map: Path
    threshold: float
    tiles: int
    polygons: Path | None = None
    stack: Path | None = None
    #: target grid against training grid (:func:`fcad_lib.predict.resolution.check_resolution`)
    grid: dict | None = None
    #: standard deviation of the probability over the passes (``None`` without a method)
    uncertainty: Path | None = None
    #: ``"none"``, ``"tta"`` or ``"mc"``, and the passes per tile
    method: str = "none"
    passes: int = 1
    #: four-class review map (:mod:`fcad_lib.predict.review`), written by ``predict_area``
    review: Path | None = None

    def uncertainty_summary(self) -> dict | None:
        """What the uncertainty outputs mean, for the command line's JSON (``None`` without)."""
        if self.uncertainty is None:
            return None
        return {"method": self.method, "passes": self.passes,
                "uncertainty": str(self.uncertainty),
                "review": None if self.review is None else str(self.review),
                "meaning": f"probability.tif is the mean and uncertainty.tif the standard "
                           f"deviation of the probability over {self.passes} {self.method} "
                           "passes"}


def gtiff_profile(src: rasterio.io.DatasetReader, dtype: str, nodata: float) -> dict:
    """Tiled, uncompressed (intermediate) one-band GeoTIFF profile on exactly ``src``'s grid."""
    return tiled_profile(src.width, src.height, 1, dtype, src.crs, src.transform, nodata,
                         options=CreationOptions(compress=None))


def band_descriptions(plan: TilingPlan) -> tuple[str, ...]:
    """What each band raster holds, in words (written as the GeoTIFF band description)."""
    if plan.uncertainty == "none":
        return ("landslide probability",)
    passes = f"{plan.passes} {plan.uncertainty} passes"
    return (f"landslide probability: mean over {passes}",
            f"uncertainty: standard deviation of the probability over {passes}")


@contextmanager
def band_rasters(partial: Path, src: rasterio.io.DatasetReader, plan: TilingPlan,
                 create: bool) -> Iterator[list[rasterio.io.DatasetWriter]]:
    """The intermediate band rasters of a run, created (``create``) or opened for update."""
    with ExitStack() as stack:
        dsts = []
        for name, text in zip(BAND_FILES[: plan.bands], band_descriptions(plan), strict=True):
            if create:
                dst = stack.enter_context(rasterio.open(
                    partial / name, "w", **gtiff_profile(src, "float32", np.nan)))
                if plan.uncertainty != "none":  # a plain run's bytes stay as they were
                    dst.set_band_description(1, text)
            else:
                dst = stack.enter_context(rasterio.open(partial / name, "r+"))
            dsts.append(dst)
        yield dsts


def _has_cog_driver() -> bool:
    with rasterio.Env() as env:
        return "COG" in env.drivers()


def finalise(src_tif: Path, final: Path, predictor: int) -> None:
    """Copy an intermediate GeoTIFF to its final DEFLATE-compressed COG, atomically."""
    with atomic_path(final) as tmp:
        if _has_cog_driver():
            rasterio.shutil.copy(src_tif, tmp, **cog_options(predictor))
        else:  # tiled GTiff with internal overviews
            shutil.copyfile(src_tif, tmp)
            with rasterio.open(tmp, "r+") as ds:
                ds.build_overviews([2, 4, 8, 16], rasterio.enums.Resampling.nearest)


def write_map(prob_tif: Path, map_tif: Path, threshold: float) -> None:
    """Threshold the probability raster block-row by block-row into a uint8 map."""
    with rasterio.open(prob_tif) as src:
        profile = gtiff_profile(src, "uint8", MAP_NODATA)
        with rasterio.open(map_tif, "w", **profile) as dst:
            for r0 in range(0, src.height, BLOCK_SIZE):
                win = Window(0, r0, src.width, min(BLOCK_SIZE, src.height - r0))
                p = src.read(1, window=win)
                m = np.where(np.isnan(p), MAP_NODATA, p >= threshold).astype("uint8")
                dst.write(m, 1, window=win)


def finish(partial: Path, out_dir: Path, plan: TilingPlan, tiles: int) -> PredictionResult:
    """The common ending of every predictor: map, COGs, clean-up.

    Parameters
    ----------
    partial : pathlib.Path
        Work folder holding the complete intermediate ``probability.tif`` (and
        ``uncertainty.tif`` when ``plan`` has an uncertainty method).
    out_dir : pathlib.Path
        Folder of the final ``probability.tif``, ``landslide_map.tif`` (and ``uncertainty.tif``).
    plan : TilingPlan
        Gives the probability threshold of the binary map and the uncertainty method.
    tiles : int
        Number of tiles predicted (reported in the result).

    Returns
    -------
    PredictionResult
        Paths of the final rasters.
    """
    prob_tif, map_tif = partial / "probability.tif", partial / "landslide_map.tif"
    write_map(prob_tif, map_tif, plan.threshold)
    prob_final, map_final = out_dir / "probability.tif", out_dir / "landslide_map.tif"
    finalise(prob_tif, prob_final, predictor=3)
    finalise(map_tif, map_final, predictor=2)
    unc_final = None
    if plan.bands > 1:
        unc_final = out_dir / BAND_FILES[1]
        finalise(partial / BAND_FILES[1], unc_final, predictor=3)
    shutil.rmtree(partial, ignore_errors=True)
    return PredictionResult(prob_final, map_final, plan.threshold, tiles, uncertainty=unc_final,
                            method=plan.uncertainty, passes=plan.passes)
