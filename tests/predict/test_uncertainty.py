"""Uncertainty of the predictor (fcad_lib.predict.uncertainty): tta, mc dropout, all engines."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import rasterio

from fcad_lib import predict
from fcad_lib.predict import predict_raster
from fcad_lib.predict.uncertainty import make_forward
from tests.predict.helpers import (
    GEOMETRY_FREE,
    FakePreprocessing,
    dropout_model,
    position_model,
    read,
    tiny_model,
    write_stack,
)


def _pointwise_model(channels: int = 3) -> keras.Model:
    """1x1 conv + sigmoid: commutes with every flip and rotation."""
    inp = keras.Input((None, None, channels))
    return keras.Model(inp, keras.layers.Conv2D(1, 1, activation="sigmoid")(inp))


def _dihedral_by_hand(model, x: np.ndarray) -> np.ndarray:
    """The 8 outputs of ``model`` over rotations x flips of ``x``, each turned back."""
    outs = []
    for flip in (False, True):
        for k in range(4):
            xt = np.rot90(x[:, :, ::-1] if flip else x, k, axes=(1, 2))
            y = np.rot90(np.asarray(model.predict_on_batch(np.ascontiguousarray(xt)))[..., 0],
                         -k, axes=(1, 2))
            outs.append(y[:, :, ::-1] if flip else y)
    return np.stack(outs).astype("float64")


def test_tta_mean_and_std_over_the_dihedral_passes(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 16, 16, 3)).astype("float32")
    # a pointwise model commutes with the transforms: each pass, turned back, is the plain output
    flat = _pointwise_model()
    out = make_forward(flat, "tta", 8, 0)(x, [(0, 0), (0, 16)])
    plain = np.asarray(flat.predict_on_batch(x), "float64")[..., 0]
    np.testing.assert_allclose(out[0], plain, atol=1e-6)
    assert np.abs(out[1]).max() < 1e-6
    # a model that looks down-right only: the passes differ; mean and std as computed by hand
    model = position_model()
    out = make_forward(model, "tta", 8, 0)(x, [(0, 0), (0, 16)])
    passes = _dihedral_by_hand(model, x)
    np.testing.assert_allclose(out[0], passes.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(out[1], np.sqrt(((passes - passes.mean(0)) ** 2).mean(0)),
                               rtol=1e-9, atol=1e-12)
    assert out[1].mean() > 0.01

    # through predict_raster: one tile, no overlap, so the rasters are that tile's mean and std
    prep = FakePreprocessing(channels=list(GEOMETRY_FREE), factors=list(GEOMETRY_FREE))
    stack = write_stack(tmp_path / "s.tif", 32, 32, factors=GEOMETRY_FREE, nan_frac=0)
    res = predict_raster(model, prep, stack, tmp_path / "o", overlap=0, uncertainty="tta",
                         progress=False)
    with rasterio.open(stack) as src:
        tile = np.moveaxis(src.read(), 0, -1)[None]
    passes = _dihedral_by_hand(model, tile)[:, 0]
    np.testing.assert_allclose(read(res.probability), passes.mean(0), rtol=1e-6)
    np.testing.assert_allclose(read(res.uncertainty), passes.std(0), rtol=1e-5, atol=1e-7)
    assert (res.method, res.passes) == ("tta", 8)


def test_tta_refused_for_directional_stacks(tmp_path):
    stack = write_stack(tmp_path / "s.tif", 40, 40)
    with pytest.raises(ValueError, match=r"directional channel\(s\) \['deformation_rate'\]; "
                                         r"use --uncertainty mc"):
        predict_raster(tiny_model(), FakePreprocessing(), stack, tmp_path / "o", overlap=8,
                       uncertainty="tta", progress=False)
    assert not (tmp_path / "o" / "probability.tif").exists()


def test_mc_mean_and_std_match_the_dropout_formula():
    """Dropout(0.5) then identity: each pass is 0 or 2x, so mean -> x and std -> x."""
    inp = keras.Input((None, None, 1))
    conv = keras.layers.Conv2D(1, 1, use_bias=False)
    model = keras.Model(inp, conv(keras.layers.Dropout(0.5)(inp)))
    conv.set_weights([np.ones((1, 1, 1, 1), "float32")])
    x = np.random.default_rng(1).uniform(1, 2, (2, 16, 16, 1)).astype("float32")
    out = make_forward(model, "mc", 400, 0)(x, [(0, 0), (0, 16)])
    xs = x[..., 0].astype("float64")
    assert abs((out[0] / xs).mean() - 1) < 0.02
    assert abs((out[1] / xs).mean() - 1) < 0.02
    assert abs((out[1] / xs).std()) < 0.1  # every pixel near x, not only on average


def test_mc_is_reproducible_and_seeded_by_tile_position():
    model = dropout_model()
    x = np.random.default_rng(2).standard_normal((3, 16, 16, 3)).astype("float32")
    forward = make_forward(model, "mc", 5, seed=7)
    origins = [(0, 0), (0, 12), (12, 0)]
    a = forward(x, origins)
    np.testing.assert_array_equal(a, forward(x, origins))
    # the third tile alone, in a batch of its own: the same numbers
    np.testing.assert_array_equal(forward(x[2:], origins[2:]), a[:, 2:])
    assert a[1].mean() > 0  # dropout did drop
    assert not np.array_equal(make_forward(model, "mc", 5, seed=8)(x, origins), a)


def test_mc_batchnorm_uses_its_moving_statistics():
    inp = keras.Input((None, None, 3))
    bn = keras.layers.BatchNormalization()
    out = keras.layers.Conv2D(1, 1, activation="sigmoid")(
        keras.layers.Dropout(0.0)(bn(keras.layers.Conv2D(4, 3, padding="same")(inp))))
    model = keras.Model(inp, out)
    bn.set_weights([np.full(4, 2.0, "float32"), np.full(4, 0.5, "float32"),
                    np.full(4, 3.0, "float32"), np.full(4, 9.0, "float32")])
    before = [w.copy() for w in bn.get_weights()]
    x = np.random.default_rng(3).standard_normal((2, 16, 16, 3)).astype("float32")
    out = make_forward(model, "mc", 3, 0)(x, [(0, 0), (0, 16)])
    # no dropout (rate 0): every pass is the inference output, with the moving statistics
    np.testing.assert_allclose(out[0], np.asarray(model.predict_on_batch(x))[..., 0], atol=1e-6)
    assert np.abs(out[1]).max() < 1e-6
    for w, b in zip(bn.get_weights(), before, strict=True):
        np.testing.assert_array_equal(w, b)  # nothing updated


def test_mc_refuses_a_model_without_dropout():
    with pytest.raises(ValueError, match="no Dropout layer"):
        make_forward(tiny_model(), "mc", 4, 0)


def test_sequential_dask_and_resumed_runs_are_bit_identical(tmp_path):
    pytest.importorskip("dask")
    model, prep = dropout_model(), FakePreprocessing()
    stack = write_stack(tmp_path / "stack.tif", 130, 60)
    kw = {"overlap": 8, "batch_size": 2, "uncertainty": "mc", "passes": 3, "seed": 5}
    seq = predict_raster(model, prep, stack, tmp_path / "s", chunk_tiles=2, progress=False, **kw)
    whole = predict_raster(model, prep, stack, tmp_path / "w", chunk_tiles=100, progress=False,
                           **kw)
    par = predict.predict_raster_dask(model, prep, stack, tmp_path / "d", strips_per_block=2,
                                      **kw)

    class Interrupt(Exception):
        pass

    def stop(done: int) -> None:
        if done == 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        predict_raster(model, prep, stack, tmp_path / "r", progress=False, on_strip_done=stop,
                       **kw)
    seen: list[int] = []
    resumed = predict_raster(model, prep, stack, tmp_path / "r", progress=False,
                             on_strip_done=seen.append, **kw)
    assert seen[0] == 3
    unc = read(seq.uncertainty)
    assert np.nanmean(unc) > 1e-3 and np.isnan(unc).any()
    for other in (whole, par, resumed):
        np.testing.assert_array_equal(read(other.uncertainty), unc)
        np.testing.assert_array_equal(read(other.probability), read(seq.probability))
        np.testing.assert_array_equal(read(other.landslide_map), read(seq.landslide_map))
    np.testing.assert_array_equal(np.isnan(unc), np.isnan(read(seq.probability)))
    # a plain run of the same model: no uncertainty band, and another probability
    plain = predict_raster(model, prep, stack, tmp_path / "p", overlap=8, progress=False)
    assert plain.uncertainty is None and not (tmp_path / "p" / "uncertainty.tif").exists()
    assert not np.array_equal(read(plain.probability), read(seq.probability))


@pytest.mark.slow
def test_distributed_uncertainty_equals_sequential(tmp_path):
    distributed = pytest.importorskip("distributed")
    from fcad_lib.bundle import Preprocessing, save_bundle
    from fcad_lib.predict.distributed import predict_raster_distributed

    prep = Preprocessing(channels=["deformation_rate", "elevation", "slope"],
                         factors=["deformation_rate", "elevation", "slope"],
                         lithology_encoding="onehot", lithology_codes=[], mean=[1.0] * 3,
                         std=[0.5] * 3, patch_size=32, threshold=0.5)
    bundle = save_bundle(tmp_path / "bundle", dropout_model(), prep)
    stack = write_stack(tmp_path / "stack.tif", 100, 130)
    kw = {"overlap": 8, "batch_size": 2, "uncertainty": "mc", "passes": 3}
    seq = predict_raster(dropout_model(), prep, stack, tmp_path / "seq", progress=False, **kw)
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        res = predict_raster_distributed(bundle, stack, tmp_path / "dist", client=client,
                                         block_rows=2, block_batches=1, **kw)
    np.testing.assert_array_equal(read(res.uncertainty), read(seq.uncertainty))
    np.testing.assert_array_equal(read(res.probability), read(seq.probability))


def test_uncertainty_tif_is_a_cog_like_the_probability(tmp_path):
    model, prep = dropout_model(), FakePreprocessing()
    stack = write_stack(tmp_path / "stack.tif", 300, 280)  # past one 256 px block: overviews
    res = predict_raster(model, prep, stack, tmp_path / "o", overlap=8, batch_size=8,
                         uncertainty="mc", passes=2, progress=False)
    with rasterio.open(res.probability) as p, rasterio.open(res.uncertainty) as u:
        for ds in (p, u):
            assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
            assert ds.compression.name == "deflate" and ds.block_shapes == [(256, 256)]
            assert ds.overviews(1)
        assert (u.crs, u.transform, u.shape, u.dtypes) == (p.crs, p.transform, p.shape, p.dtypes)
        assert np.isnan(u.nodata)
        assert u.descriptions[0] == ("uncertainty: standard deviation of the probability over 2 "
                                     "mc passes")
        assert p.descriptions[0] == "landslide probability: mean over 2 mc passes"
    assert sorted(q.name for q in (tmp_path / "o").iterdir()) == [
        "landslide_map.tif", "probability.tif", "uncertainty.tif"]


def test_polygons_get_the_mean_uncertainty(tmp_path):
    from affine import Affine

    from fcad_lib.predict import vectorize
    from tests.predict.helpers import CRS, RES

    lmap = np.zeros((10, 12), "uint8")
    lmap[1:4, 1:5] = 1
    lmap[6:9, 7:11] = 1
    unc = np.full((10, 12), 0.05, "float32")
    unc[1, 1] = 0.25
    unc[7, 8] = np.nan
    transform = Affine(RES, 0, 500_000.0, 0, -RES, 3_000_000.0)
    for name, arr, dtype, nodata in (("map.tif", lmap, "uint8", 255),
                                     ("unc.tif", unc, "float32", np.nan)):
        with rasterio.open(tmp_path / name, "w", driver="GTiff", width=12, height=10, count=1,
                           dtype=dtype, crs=CRS, transform=transform, nodata=nodata) as dst:
            dst.write(arr, 1)
    gdf = vectorize(tmp_path / "map.tif", min_area_m2=0.0, probability_path=None,
                    uncertainty_path=tmp_path / "unc.tif", block_size=5)
    assert list(gdf.columns) == ["geometry", "area_m2", "mean_probability", "mean_uncertainty"]
    np.testing.assert_allclose(gdf.mean_uncertainty, [(11 * 0.05 + 0.25) / 12, 0.05], rtol=1e-6)
    assert "mean_uncertainty" not in vectorize(tmp_path / "map.tif", min_area_m2=0.0).columns


def test_cli_writes_uncertainty_review_and_polygon_attribute(tmp_path, monkeypatch, capsys):
    import geopandas as gpd

    from tests.predict.helpers import make_bundle

    bundle = make_bundle(tmp_path / "bundle", ["deformation_rate", "elevation", "slope"],
                         [1.0] * 3, [0.5] * 3)
    monkeypatch.setattr("fcad_lib.predict.cli.load_model", lambda path: dropout_model())
    stack = write_stack(tmp_path / "stack.tif", 50, 40)
    args = [str(bundle), str(stack), str(tmp_path / "out"), "--overlap", "4", "--no-progress",
            "--threshold", "0.3"]
    assert predict.main([*args, "--uncertainty", "tta"]) == 2
    assert "use --uncertainty mc" in capsys.readouterr().err
    assert predict.main([*args, "--uncertainty", "mc", "--passes", "3"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["uncertainty"]["method"] == "mc" and record["uncertainty"]["passes"] == 3
    assert "standard deviation" in record["uncertainty"]["meaning"]
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} == {"probability.tif", "landslide_map.tif",
                                               "polygons.gpkg", "uncertainty.tif", "review.tif"}
    polygons = gpd.read_file(out / "polygons.gpkg")
    assert len(polygons) and polygons["mean_uncertainty"].gt(0).all()
