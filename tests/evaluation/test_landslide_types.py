import geopandas as gpd
import keras
import numpy as np
import rioxarray  # noqa: F401  (registers .rio)
import xarray as xr
from affine import Affine
from shapely.geometry import box

from fcad_lib.evaluation.landslide_types import recall_by_type, type_raster
from fcad_lib.samples import Normalizer, extract_patches


def _stack_and_inventory():
    size, res = 32, 10.0
    x0, y0 = 500_000.0, 3_000_000.0
    ds = xr.Dataset(
        {"elevation": (("y", "x"), np.zeros((size, size), np.float32))},
        coords={"y": y0 - res * (np.arange(size) + 0.5), "x": x0 + res * (np.arange(size) + 0.5)},
        attrs={"factors": ["elevation"], "area": "t", "resolution_m": res},
    )
    ds = ds.rio.write_crs("EPSG:32647").rio.write_transform(Affine(res, 0, x0, 0, -res, y0))
    inv = gpd.GeoDataFrame(
        {"type": ["fresh", "old"]},
        geometry=[box(x0 + 20, y0 - 60, x0 + 60, y0 - 20),  # rows 2..5, cols 2..5
                  box(x0 + 200, y0 - 240, x0 + 240, y0 - 200)],  # rows 20..23, cols 20..23
        crs="EPSG:32647",
    )
    return ds, inv


def test_type_raster_burns_one_code_per_category():
    ds, inv = _stack_and_inventory()
    codes, categories = type_raster(ds, inv)
    assert categories == ["fresh", "old"]
    assert (codes == 1).sum() == 16 and codes[2:6, 2:6].min() == 1
    assert (codes == 2).sum() == 16 and codes[20:24, 20:24].min() == 2


def test_recall_by_type_counts_only_the_detected_type():
    ds, inv = _stack_and_inventory()
    codes, categories = type_raster(ds, inv)
    ds["label"] = (("y", "x"), (codes > 0).astype(np.uint8))
    ds["valid"] = (("y", "x"), np.ones((32, 32), bool))
    # a "model" that fires only on the fresh landslide's pixels: input channel = fresh mask
    ds["elevation"] = (("y", "x"), (codes == 1).astype(np.float32))
    patches = extract_patches(ds, size=32, stride=32)
    norm = Normalizer(["elevation"], np.zeros(1), np.ones(1))
    model = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Identity()])
    table = recall_by_type(model, norm, patches, [0], codes, categories, threshold=0.5)
    assert table.loc["fresh", "recall"] == 1.0
    assert table.loc["old", "recall"] == 0.0
    assert table["landslide_px"].tolist() == [16, 16]
