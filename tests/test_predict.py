"""Windowed, overlap-blended whole-area prediction (fcad_lib.predict)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from fcad_lib import predict
from fcad_lib.predict import predict_raster, seam_score, vectorize, write_polygons

keras = pytest.importorskip("keras")

TESTS = Path(__file__).resolve().parent
CRS = "EPSG:32647"
RES = 12.5
FACTORS = ("deformation_rate", "elevation", "slope")


# ------------------------------------------------------------------------------ test doubles
@dataclass
class FakePreprocessing:
    """Minimal stand-in for fcad_lib.samples.Preprocessing (same attributes used by predict)."""

    channels: list[str] = field(default_factory=lambda: list(FACTORS))
    factors: list[str] = field(default_factory=lambda: list(FACTORS))
    mean: list[float] = field(default_factory=lambda: [0.0] * len(FACTORS))
    std: list[float] = field(default_factory=lambda: [1.0] * len(FACTORS))
    patch_size: int = 32
    threshold: float = 0.5
    model_name: str = "tiny"

    def encode(self, factor_arrays: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        x = np.stack([np.asarray(factor_arrays[f], "float32") for f in self.factors], axis=-1)
        valid = np.isfinite(x).all(axis=-1)
        x = (x - np.asarray(self.mean, "float32")) / np.asarray(self.std, "float32")
        return np.nan_to_num(x, nan=0.0).astype("float32"), valid


def tiny_model(channels: int = len(FACTORS), seed: int = 0) -> keras.Model:
    """3x3 conv + sigmoid with seeded weights: deterministic, fully convolutional."""
    inp = keras.Input((None, None, channels))
    out = keras.layers.Conv2D(
        1, 3, padding="same", activation="sigmoid",
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        bias_initializer="zeros",
    )(inp)
    return keras.Model(inp, out)


def position_model(channels: int = len(FACTORS), k: int = 9) -> keras.Model:
    """Box filter looking down-right only, zero padding: output drops towards a tile's right and
    bottom borders but not its left and top ones, so plain tiling has a jump at every border."""
    inp = keras.Input((None, None, channels))
    conv = keras.layers.Conv2D(1, k, padding="same", activation="sigmoid")
    model = keras.Model(inp, conv(inp))
    kernel = np.zeros((k, k, channels, 1), "float32")
    kernel[k // 2 :, k // 2 :] = 1.0
    kernel *= 3.0 / kernel.sum()
    conv.set_weights([kernel, np.array([-1.5], "float32")])
    return model


def write_stack(path: Path, height: int, width: int, factors=FACTORS, seed: int = 0,
                nan_frac: float = 0.01) -> Path:
    """Random smooth-ish factor stack GeoTIFF with a few NaN pixels."""
    rng = np.random.default_rng(seed)
    transform = Affine(RES, 0, 500_000.0, 0, -RES, 3_000_000.0)
    with rasterio.open(
        path, "w", driver="GTiff", width=width, height=height, count=len(factors),
        dtype="float32", crs=CRS, transform=transform, nodata=np.nan, tiled=True,
        blockxsize=256, blockysize=256,
    ) as dst:
        for b, name in enumerate(factors, start=1):
            a = (1.0 + 0.5 * rng.standard_normal((height, width))).astype("float32")
            a[rng.random((height, width)) < nan_frac] = np.nan
            dst.write(a, b)
            dst.set_band_description(b, name)
    return path


def plain_tiling(model, prep, stack: Path, tile: int) -> np.ndarray:
    """Reference: whole raster in memory, reflection-padded, non-overlapping tiles."""
    with rasterio.open(stack) as src:
        raw = src.read()
        names = list(src.descriptions)
    x, valid = prep.encode({n: raw[names.index(n)] for n in prep.factors})
    h, w = valid.shape
    ph, pw = -h % tile, -w % tile
    xp = np.pad(x, ((0, ph), (0, pw), (0, 0)), mode="reflect")
    out = np.zeros(xp.shape[:2], "float32")
    for r in range(0, xp.shape[0], tile):
        for c in range(0, xp.shape[1], tile):
            p = model.predict_on_batch(xp[None, r : r + tile, c : c + tile])
            out[r : r + tile, c : c + tile] = np.asarray(p)[0, ..., 0]
    out = out[:h, :w]
    out[~valid] = np.nan
    return out


def read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1)


# -------------------------------------------------------------------------------------- tests
def test_overlap0_equals_plain_tiling(tmp_path):
    model, prep = tiny_model(), FakePreprocessing()
    stack = write_stack(tmp_path / "stack.tif", 100, 70)  # not a multiple of the tile: edge tiles
    res = predict_raster(model, prep, stack, tmp_path / "out", overlap=0, window_fn="hann",
                         batch_size=3, progress=False)
    np.testing.assert_array_equal(read(res.probability), plain_tiling(model, prep, stack, 32))


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


def test_blending_reduces_seams(tmp_path):
    model, prep = position_model(), FakePreprocessing()
    stack = write_stack(tmp_path / "stack.tif", 96, 96, nan_frac=0.0)
    plain = read(predict_raster(model, prep, stack, tmp_path / "p", overlap=0,
                                progress=False).probability)
    blend = read(predict_raster(model, prep, stack, tmp_path / "b", overlap=16,
                                progress=False).probability)
    s_plain, s_blend = seam_score(plain, 32, 0), seam_score(blend, 32, 16)
    assert s_plain > 2.0  # the position-dependent model does leave seams
    assert s_blend < 0.5 * s_plain


def test_resume_after_interruption(tmp_path):
    model, prep = tiny_model(), FakePreprocessing()
    stack = write_stack(tmp_path / "stack.tif", 130, 50)
    ref = read(predict_raster(model, prep, stack, tmp_path / "ref", overlap=8,
                              progress=False).probability)

    class Interrupt(Exception):
        pass

    def stop_after_two(done: int) -> None:
        if done == 2:
            raise Interrupt

    out = tmp_path / "out"
    with pytest.raises(Interrupt):
        predict_raster(model, prep, stack, out, overlap=8, progress=False,
                       on_strip_done=stop_after_two)
    assert not (out / "probability.tif").exists() and not (out / "landslide_map.tif").exists()
    ckpt = json.loads((out / ".partial" / "checkpoint.json").read_text())
    assert ckpt["strips_done"] == 2
    seen: list[int] = []
    res = predict_raster(model, prep, stack, out, overlap=8, progress=False,
                         on_strip_done=seen.append)
    assert seen[0] == 3  # resumed, not redone
    np.testing.assert_array_equal(read(res.probability), ref)
    # A different overlap must not resume from the old checkpoint.
    with pytest.raises(Interrupt):
        predict_raster(model, prep, stack, out, overlap=8, progress=False,
                       on_strip_done=stop_after_two)
    seen.clear()
    predict_raster(model, prep, stack, out, overlap=4, progress=False, on_strip_done=seen.append)
    assert seen[0] == 1


def test_dask_path_equals_sequential(tmp_path):
    pytest.importorskip("dask")
    model, prep = tiny_model(), FakePreprocessing()
    stack = write_stack(tmp_path / "stack.tif", 150, 60)
    seq = predict_raster(model, prep, stack, tmp_path / "s", overlap=8, progress=False)
    par = predict.predict_raster_dask(model, prep, stack, tmp_path / "d", overlap=8,
                                      strips_per_block=2)
    np.testing.assert_array_equal(read(seq.probability), read(par.probability))
    np.testing.assert_array_equal(read(seq.landslide_map), read(par.landslide_map))


def test_polygons_round_trip(tmp_path):
    import geopandas as gpd

    transform = Affine(RES, 0, 500_000.0, 0, -RES, 3_000_000.0)
    lmap = np.zeros((20, 30), "uint8")
    lmap[2:6, 3:8] = 1  # 20 px
    lmap[10:12, 20:21] = 1  # 2 px
    lmap[15:20, 25:30] = 1
    lmap[0, 29] = 255
    prob = np.where(lmap == 1, 0.8, 0.1).astype("float32")
    prob[2, 3] = 0.6
    for name, arr, dtype, nodata in (("map.tif", lmap, "uint8", 255),
                                     ("prob.tif", prob, "float32", np.nan)):
        with rasterio.open(tmp_path / name, "w", driver="GTiff", width=30, height=20, count=1,
                           dtype=dtype, crs=CRS, transform=transform, nodata=nodata) as dst:
            dst.write(arr, 1)
    gdf = vectorize(tmp_path / "map.tif", probability_path=tmp_path / "prob.tif")
    assert list(gdf.columns) == ["geometry", "area_m2", "mean_probability"]
    assert sorted(gdf.area_m2.round(3)) == sorted(np.array([20, 2, 25]) * RES**2)
    big = gdf.loc[(gdf.area_m2 - 20 * RES**2).abs().idxmin()]
    assert big.mean_probability == pytest.approx((19 * 0.8 + 0.6) / 20, rel=1e-6)
    assert len(vectorize(tmp_path / "map.tif", min_area_m2=3 * RES**2)) == 2

    path = write_polygons(gdf, tmp_path / "polygons.gpkg")
    back = gpd.read_file(path)
    assert back.crs == gdf.crs
    assert len(back) == len(gdf)
    assert all(a.equals(b) for a, b in zip(back.geometry, gdf.geometry, strict=True))
    np.testing.assert_allclose(back.area_m2, gdf.area_m2)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_on_stack(tmp_path, monkeypatch):
    """main() with a stack path and a stand-in bundle loader (train.py is tested elsewhere)."""
    import types

    fake_train = types.ModuleType("fcad_lib.training.train")
    fake_train.load_bundle = lambda path: (tiny_model(), FakePreprocessing())
    monkeypatch.setitem(sys.modules, "fcad_lib.training.train", fake_train)
    stack = write_stack(tmp_path / "stack.tif", 50, 40)
    out = tmp_path / "out"
    assert predict.main(["bundle", str(stack), str(out), "--overlap", "8", "--threshold",
                         "0.55", "--no-progress"]) == 0
    assert {p.name for p in out.iterdir()} == {"probability.tif", "landslide_map.tif",
                                               "polygons.gpkg"}


# ---------------------------------------------------------------------- subprocess-based tests
CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    sys.path.insert(0, {tests!r})
    import psutil
    from test_predict import FakePreprocessing, tiny_model, write_stack
    from fcad_lib.predict import predict_raster
    mode, out, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    from pathlib import Path
    stack = Path(out + ".stack.tif")
    if not stack.exists():
        write_stack(stack, size, size)
    model, prep = tiny_model(), FakePreprocessing(patch_size=64)
    model.predict_on_batch(__import__("numpy").zeros((2, 64, 64, 3), "float32"))  # warm up
    base = psutil.Process().memory_info().rss
    cb = (lambda k: time.sleep(0.4)) if mode == "slow" else None
    predict_raster(model, prep, stack, out, overlap=16, batch_size=8, progress=False,
                   on_strip_done=cb)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({{"base": base, "peak": peak}}))
    """
).format(tests=str(TESTS))


def _child(mode: str, out: Path, size: int, **kw) -> subprocess.Popen:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    return subprocess.Popen([sys.executable, "-c", CHILD, mode, str(out), str(size)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            **kw)


@pytest.mark.slow
def test_memory_flat_as_area_grows(tmp_path):
    stats = {}
    for size in (512, 1536):
        proc = _child("fast", tmp_path / f"o{size}", size)
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        stats[size] = json.loads(out.strip().splitlines()[-1])
    small, large = stats[512], stats[1536]
    # Area ratio is 9; whole-raster buffers would grow the peak with it.
    assert large["peak"] / small["peak"] < 1.5
    growth_small = small["peak"] - small["base"]
    growth_large = large["peak"] - large["base"]
    assert growth_large < 1.5 * growth_small + 32 * 2**20, stats


@pytest.mark.slow
def test_killed_run_never_leaves_partial_output_and_resumes(tmp_path):
    out = tmp_path / "out"
    write_stack(Path(str(out) + ".stack.tif"), 640, 200)
    proc = _child("slow", out, 640)
    ckpt = out / ".partial" / "checkpoint.json"
    deadline = time.time() + 300
    try:
        while time.time() < deadline:
            if ckpt.exists() and json.loads(ckpt.read_text())["strips_done"] >= 2:
                break
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert not (out / "probability.tif").exists()
    assert not (out / "landslide_map.tif").exists()
    model, prep = tiny_model(), FakePreprocessing(patch_size=64)
    stack = Path(str(out) + ".stack.tif")
    seen: list[int] = []
    res = predict_raster(model, prep, stack, out, overlap=16, progress=False,
                         on_strip_done=seen.append)
    assert seen[0] > 2
    ref = predict_raster(model, prep, stack, tmp_path / "ref", overlap=16, progress=False)
    np.testing.assert_array_equal(read(res.probability), read(ref.probability))
    np.testing.assert_array_equal(read(res.landslide_map), read(ref.landslide_map))


def test_with_real_preprocessing(tmp_path):
    """The samples.Preprocessing of a bundle (lithology one-hot) drives predict_raster."""
    samples = pytest.importorskip("fcad_lib.samples")
    factors = ["deformation_rate", "slope", "lithology"]
    channels = samples.lithology_channels(factors, "onehot", [1, 2])
    prep = samples.Preprocessing(
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


def test_cli_reports_bad_input_without_traceback(tmp_path, capsys):
    from fcad_lib.predict import main

    code = main([str(tmp_path / "no_bundle"), str(tmp_path / "no_stack.tif"), str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("fcad-predict: error:") and "Traceback" not in err
