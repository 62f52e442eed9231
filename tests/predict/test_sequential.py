"""The sequential predictor (fcad_lib.predict.predict_raster): grid, nodata, bands, memory."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio

from fcad_lib.predict import predict_raster
from tests.predict.helpers import FakePreprocessing, read, run_child, tiny_model, write_stack


def test_outputs_on_input_grid_with_nodata(tmp_path):
    model, prep = tiny_model(), FakePreprocessing(threshold=0.6)
    stack = write_stack(tmp_path / "stack.tif", 90, 75, nan_frac=0.05)
    res = predict_raster(model, prep, stack, tmp_path / "out", overlap=8, progress=False)
    assert res.threshold == 0.6
    with rasterio.open(stack) as src:
        grid = (src.crs, src.transform, src.shape)
        invalid = ~np.isfinite(src.read()).all(axis=0)
    for path in (res.probability, res.landslide_map):
        with rasterio.open(path) as ds:
            assert (ds.crs, ds.transform, ds.shape) == grid
            assert ds.count == 1
    with rasterio.open(res.probability) as ds:
        assert ds.dtypes[0] == "float32" and np.isnan(ds.nodata)
        prob = ds.read(1)
    with rasterio.open(res.landslide_map) as ds:
        assert ds.dtypes[0] == "uint8" and ds.nodata == 255
        lmap = ds.read(1)
    assert invalid.any()
    np.testing.assert_array_equal(np.isnan(prob), invalid)
    np.testing.assert_array_equal(lmap == 255, invalid)
    np.testing.assert_array_equal(lmap[~invalid], (prob[~invalid] >= 0.6).astype("uint8"))
    assert not (tmp_path / "out" / ".partial").exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "landslide_map.tif", "probability.tif"]


def test_bands_mapped_by_name(tmp_path):
    model, prep = tiny_model(), FakePreprocessing()
    a = write_stack(tmp_path / "a.tif", 40, 40, seed=3)
    # Same data, bands in another order plus an extra factor.
    with rasterio.open(a) as src:
        data = {n: src.read(i + 1) for i, n in enumerate(src.descriptions)}
        profile = src.profile
    order = ["slope", "B2", "elevation", "deformation_rate"]
    data["B2"] = np.zeros((40, 40), "float32")
    profile.update(count=len(order))
    with rasterio.open(tmp_path / "b.tif", "w", **profile) as dst:
        for i, n in enumerate(order, start=1):
            dst.write(data[n], i)
            dst.set_band_description(i, n)
    ra = predict_raster(model, prep, a, tmp_path / "oa", overlap=8, progress=False)
    rb = predict_raster(model, prep, tmp_path / "b.tif", tmp_path / "ob", overlap=8,
                        progress=False)
    np.testing.assert_array_equal(read(ra.probability), read(rb.probability))


def test_channel_mismatch_is_clear(tmp_path):
    stack = write_stack(tmp_path / "stack.tif", 40, 40)
    with pytest.raises(ValueError, match=r"4 input channels.*deformation_rate"):
        predict_raster(tiny_model(channels=4), FakePreprocessing(), stack, tmp_path / "o",
                       overlap=8, progress=False)
    prep = FakePreprocessing(channels=["deformation_rate", "B8", "slope"],
                             factors=["deformation_rate", "B8", "slope"])
    with pytest.raises(ValueError, match=r"lacks factor\(s\) \['B8'\]"):
        predict_raster(tiny_model(), prep, stack, tmp_path / "o", overlap=8, progress=False)
    assert not (tmp_path / "o" / "probability.tif").exists()


def test_with_real_preprocessing(tmp_path):
    """The bundle's Preprocessing (lithology one-hot) drives predict_raster."""
    from fcad_lib.bundle import Preprocessing
    from fcad_lib.samples import lithology_channels

    factors = ["deformation_rate", "slope", "lithology"]
    channels = lithology_channels(factors, "onehot", [1, 2])
    prep = Preprocessing(
        channels=channels, factors=factors, lithology_encoding="onehot", lithology_codes=[1, 2],
        mean=[0.0] * len(channels), std=[1.0] * len(channels), patch_size=32, threshold=0.5,
    )
    stack = write_stack(tmp_path / "stack.tif", 45, 40, factors=factors)
    with rasterio.open(stack, "r+") as ds:  # lithology must hold unit codes
        lith = ds.read(3)
        ds.write(np.where(np.isnan(lith), np.nan, 1 + (lith > 1)).astype("float32"), 3)
    model = tiny_model(channels=len(channels))
    res = predict_raster(model, prep, stack, tmp_path / "out", overlap=8, progress=False)
    prob = read(res.probability)
    assert prob.shape == (45, 40)
    assert np.isfinite(prob).mean() > 0.9


@pytest.mark.slow
def test_memory_flat_as_area_grows(tmp_path):
    stats = {}
    for size in (512, 1536):
        proc = run_child("fast", tmp_path / f"o{size}", size)
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        stats[size] = json.loads(out.strip().splitlines()[-1])
    small, large = stats[512], stats[1536]
    # Area ratio is 9; whole-raster buffers would grow the peak with it.
    assert large["peak"] / small["peak"] < 1.5
    growth_small = small["peak"] - small["base"]
    growth_large = large["peak"] - large["base"]
    assert growth_large < 1.5 * growth_small + 32 * 2**20, stats


def test_column_chunks_change_nothing(tmp_path):
    """Strips taken in chunks of tiles: the same map bit for bit, and the blend formula."""
    from tests.predict.helpers import blend_reference, position_model

    model, prep = position_model(), FakePreprocessing()
    stack = write_stack(tmp_path / "stack.tif", 100, 230)  # 10 tiles of 32 px, stride 24
    whole = read(predict_raster(model, prep, stack, tmp_path / "w", overlap=8, batch_size=2,
                                chunk_tiles=1000, progress=False).probability)
    for chunk_tiles in (2, 4):
        chunked = read(predict_raster(model, prep, stack, tmp_path / f"c{chunk_tiles}",
                                      overlap=8, batch_size=2, chunk_tiles=chunk_tiles,
                                      progress=False).probability)
        np.testing.assert_array_equal(chunked, whole)
    np.testing.assert_allclose(whole, blend_reference(model, prep, stack, 32, 8), rtol=1e-5,
                               atol=1e-6)
