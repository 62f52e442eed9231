"""Whole-area landslide mapping: windowed, overlap-blended inference to GeoTIFF and GeoPackage.

The factor stack (one multi-band GeoTIFF, :mod:`fcad_lib.data.stack_io`) is read window by window
with rasterio and never as a whole. One module per job:

- :mod:`~fcad_lib.predict.tiling`: the :class:`TilingPlan` every engine takes, tile starts,
  blending weights, reflection, seam score;
- :mod:`~fcad_lib.predict.uncertainty` (with :mod:`~fcad_lib.predict.mc_dropout`): several
  passes per tile (tta, mc dropout), their mean and standard deviation;
- :mod:`~fcad_lib.predict.review`: the four-class review map and the error AUROC;
- :mod:`~fcad_lib.predict.tile_rows`: the model over one row of tiles, compatibility check;
- :mod:`~fcad_lib.predict.output`: GeoTIFF profile, binary map, COG finalisation, result;
- :mod:`~fcad_lib.predict.checkpoint`: checkpoint and resume;
- :mod:`~fcad_lib.predict.strips`: one strip blended from column chunks (memory bounded in width);
- :mod:`~fcad_lib.predict.sequential`: :func:`predict_raster`, strip by strip;
- :mod:`~fcad_lib.predict.distributed`: :func:`predict_raster_distributed`, blocks on a
  ``dask.distributed`` cluster, merged exactly;
- :mod:`~fcad_lib.predict.dask_path`: :func:`predict_raster_dask`, threaded Dask tasks;
- :mod:`~fcad_lib.predict.polygons`: :func:`vectorize` (by windows), :func:`write_polygons`;
- :mod:`~fcad_lib.predict.cli`: :func:`predict_area` (with its :class:`MapOptions`) and the
  ``fcad-predict`` command line.

See ``book/scaling.md``.
"""

from fcad_lib.bundle import check_compatible
from fcad_lib.predict.cli import MapOptions, main, predict_area
from fcad_lib.predict.dask_path import predict_raster_dask
from fcad_lib.predict.distributed import predict_raster_distributed
from fcad_lib.predict.output import GDAL_CACHE_MB, MAP_NODATA, PredictionResult
from fcad_lib.predict.polygons import vectorize, write_polygons
from fcad_lib.predict.sequential import predict_raster
from fcad_lib.predict.tiling import (
    WINDOW_FLOOR,
    TilingPlan,
    seam_score,
    tile_starts,
    weight_window,
)

__all__ = [
    "GDAL_CACHE_MB",
    "MAP_NODATA",
    "MapOptions",
    "WINDOW_FLOOR",
    "PredictionResult",
    "TilingPlan",
    "check_compatible",
    "main",
    "predict_area",
    "predict_raster",
    "predict_raster_dask",
    "predict_raster_distributed",
    "seam_score",
    "tile_starts",
    "vectorize",
    "weight_window",
    "write_polygons",
]
