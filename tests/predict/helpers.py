"""Test doubles shared by the prediction tests: a tiny model, a stand-in preprocessing, stacks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import rasterio
from affine import Affine

ROOT = Path(__file__).resolve().parents[2]
CRS = "EPSG:32647"
RES = 12.5
FACTORS = ("deformation_rate", "elevation", "slope")


@dataclass
class FakePreprocessing:
    """Minimal stand-in for fcad_lib.bundle.Preprocessing (same attributes used by predict)."""

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


def make_bundle(path: Path, factors: list[str], mean: list[float], std: list[float],
                codes: list[int] = ()) -> Path:
    """A bundle folder with a real ``preprocessing.json`` and an empty ``model.keras``.

    The model file is a placeholder: tests replace ``cli.load_model`` with
    :func:`tiny_model_of` (Keras saving is tested elsewhere).
    """
    from fcad_lib.bundle import MODEL_FILE, Preprocessing
    from fcad_lib.samples.patches import lithology_channels

    path.mkdir()
    (path / MODEL_FILE).write_bytes(b"")
    channels = lithology_channels(factors, "onehot", codes)
    Preprocessing(channels=channels, factors=factors, lithology_encoding="onehot",
                  lithology_codes=list(codes), mean=mean, std=std, patch_size=16,
                  threshold=0.5).to_json(path / "preprocessing.json")
    return path


def tiny_model_of(bundle: Path) -> keras.Model:
    """Stands in for the bundle's model: a :func:`tiny_model` with its channel count."""
    from fcad_lib.bundle import Preprocessing

    prep = Preprocessing.from_json(Path(bundle) / "preprocessing.json")
    return tiny_model(channels=len(prep.channels))


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


# ---------------------------------------------------------------------- subprocess runs
CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    sys.path.insert(0, {root!r})
    import psutil
    from tests.predict.helpers import FakePreprocessing, tiny_model, write_stack
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
).format(root=str(ROOT))


def run_child(mode: str, out: Path, size: int, **kw) -> subprocess.Popen:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    return subprocess.Popen([sys.executable, "-c", CHILD, mode, str(out), str(size)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            **kw)


def blend_reference(model, prep, stack: Path, tile: int, overlap: int, kind: str = "hann"):
    """Reference: whole raster in memory, reflection-padded, every tile weighted and summed."""
    from fcad_lib.predict import weight_window

    with rasterio.open(stack) as src:
        raw = src.read()
        names = list(src.descriptions)
    x, valid = prep.encode({n: raw[names.index(n)] for n in prep.factors})
    h, w = valid.shape
    stride = tile - overlap
    starts = [[k * stride for k in range(max(1, -(-(n - tile) // stride) + 1))] for n in (h, w)]
    ph, pw = starts[0][-1] + tile - h, starts[1][-1] + tile - w
    xp = np.pad(x, ((0, max(ph, 0)), (0, max(pw, 0)), (0, 0)), mode="reflect")
    wgt = weight_window(tile, overlap, kind)
    psum = np.zeros(xp.shape[:2])
    wsum = np.zeros(xp.shape[:2])
    for r in starts[0]:
        for c in starts[1]:
            p = np.asarray(model.predict_on_batch(xp[None, r : r + tile, c : c + tile]))[0, ..., 0]
            psum[r : r + tile, c : c + tile] += p * wgt
            wsum[r : r + tile, c : c + tile] += wgt
    out = (psum / wsum)[:h, :w].astype("float32")
    out[~valid] = np.nan
    return out


#: Factors that keep their meaning under flips and rotations (tta is allowed on them).
GEOMETRY_FREE = ("elevation", "slope", "curvature")


def dropout_model(channels: int = len(FACTORS), seed: int = 0, rate: float = 0.3) -> keras.Model:
    """Conv - BatchNorm - Dropout - conv + sigmoid: what mc dropout needs, deterministic weights."""
    init = keras.initializers.GlorotUniform
    inp = keras.Input((None, None, channels))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu",
                            kernel_initializer=init(seed=seed))(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dropout(rate)(x)
    out = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid",
                              kernel_initializer=init(seed=seed + 1))(x)
    return keras.Model(inp, out)


def with_grid(bundle: Path, resolution_m: float) -> Path:
    """Record a training grid of ``resolution_m`` in a bundle's preprocessing (as training does)."""
    from dataclasses import replace

    from fcad_lib.bundle import PREPROCESSING_FILE, Preprocessing, TrainingGrid

    path = bundle / PREPROCESSING_FILE
    prep = Preprocessing.from_json(path)
    grid = TrainingGrid(resolution_m, "EPSG:32647", {f: "1" for f in prep.factors}, 16, "quick")
    replace(prep, grid=grid).to_json(path)
    return bundle
