"""Benchmark whole-area prediction: throughput and peak memory vs area; blended vs plain tiling.

Usage::

    python benchmarks/predict_area.py [--sizes 1024,2048] [--tile 128] [--overlap 32]
                                      [--output runs/<profile>/benchmarks/predict_area.jsonl]

For each size a random (smooth noise) factor stack of ``size x size`` pixels at 12.5 m with the ten
factors of the paper is written, then mapped in a *fresh subprocess* with a small untrained
encoder-decoder, so the peak resident memory (``ru_maxrss`` of that process) belongs to one
prediction only. One JSON line per size::

    {"benchmark": "predict_area", "size_px": 1024, "km2": 163.84, "seconds": ...,
     "km2_per_min": ..., "peak_rss_mb": ..., ...}

and one line comparing overlap-blended with plain non-overlapping tiling on the smallest size::

    {"benchmark": "predict_blend_vs_plain", "seconds_blended": ..., "seconds_plain": ...,
     "seam_score_blended": ..., "seam_score_plain": ...}

The seam score (:func:`fcad_lib.predict.seam_score`) is the mean absolute probability jump across
tile borders divided by the same inside tiles: 1 = no seams. An untrained network still has the
zero-padding border effect that makes seams, which is what blending removes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RES_M = 12.5
FACTORS = ("deformation_rate", "B2", "B3", "B4", "B8", "elevation", "slope", "aspect",
           "curvature", "lithology")
LITHOLOGY_CODES = (1, 2, 3)


def write_noise_stack(path: Path, size: int, seed: int = 0, rows: int = 256) -> Path:
    """Smooth random factor stack (``size x size``), written block-row by block-row."""
    import rasterio
    from affine import Affine
    from rasterio.windows import Window

    rng = np.random.default_rng(seed)
    profile = {
        "driver": "GTiff", "width": size, "height": size, "count": len(FACTORS),
        "dtype": "float32", "crs": "EPSG:32647", "nodata": np.nan,
        "transform": Affine(RES_M, 0, 500_000.0, 0, -RES_M, 3_000_000.0),
        "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }
    # Sum of random plane waves (wavelengths 20-300 px): smooth, seamless across the written
    # blocks and without edges aligned to any tile grid, so seams come from tiling only.
    waves = {}
    for name in FACTORS:
        k = rng.uniform(2 * np.pi / 300, 2 * np.pi / 20, 6)  # wavenumbers, rad per pixel
        theta = rng.uniform(0, np.pi, 6)
        waves[name] = (k * np.cos(theta), k * np.sin(theta), rng.uniform(0, 2 * np.pi, 6))
    with rasterio.open(path, "w", **profile) as dst:
        for b, name in enumerate(FACTORS, start=1):
            dst.set_band_description(b, name)
        cols = np.arange(size, dtype="float32")[None, :]
        for r0 in range(0, size, rows):
            h = min(rows, size - r0)
            rr = np.arange(r0, r0 + h, dtype="float32")[:, None]
            for b, name in enumerate(FACTORS, start=1):
                kx, ky, phase = waves[name]
                a = sum(np.sin(kx[i] * cols + ky[i] * rr + phase[i]) for i in range(6)) / 2
                a = (a + 0.1 * rng.standard_normal((h, size))).astype("float32")
                if name == "lithology":
                    a = np.clip(np.round(a + 2), 1, 3).astype("float32")
                dst.write(a, b, window=Window(0, r0, size, h))
    return path


def small_model(channels: int, seed: int = 0):
    """Small untrained encoder-decoder (one pooling level, skip connection), sigmoid output."""
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input((None, None, channels))
    a = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inp)
    b = keras.layers.MaxPooling2D()(a)
    b = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(b)
    b = keras.layers.UpSampling2D()(b)
    c = keras.layers.Concatenate()([a, b])
    out = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")(c)
    return keras.Model(inp, out)


def preprocessing(tile: int):
    """Identity z-score over the paper's channels (lithology one-hot)."""
    from fcad_lib.samples import Preprocessing, lithology_channels

    channels = lithology_channels(FACTORS, "onehot", LITHOLOGY_CODES)
    return Preprocessing(
        channels=channels, factors=list(FACTORS), lithology_encoding="onehot",
        lithology_codes=list(LITHOLOGY_CODES), mean=[0.0] * len(channels),
        std=[1.0] * len(channels), patch_size=tile, threshold=0.5, model_name="bench",
    )


def child(stack: Path, out: Path, tile: int, overlap: int, batch_size: int) -> None:
    """Map one stack in this process; print one JSON line with time and peak RSS."""
    from fcad_lib.predict import predict_raster

    prep = preprocessing(tile)
    model = small_model(len(prep.channels))
    model.predict_on_batch(np.zeros((1, tile, tile, len(prep.channels)), "float32"))  # trace
    t0 = time.perf_counter()
    res = predict_raster(model, prep, stack, out, tile=tile, overlap=overlap,
                         batch_size=batch_size, progress=False)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "tiles": res.tiles}))


def run_child(stack: Path, out: Path, tile: int, overlap: int, batch_size: int) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [sys.executable, __file__, "--child", str(stack), str(out), "--tile", str(tile),
           "--overlap", str(overlap), "--batch-size", str(batch_size)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def read_probability(path: Path) -> np.ndarray:
    import rasterio

    with rasterio.open(path) as src:
        return src.read(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1024,2048",
                        help="comma-separated square stack sizes in pixels (e.g. 1024,2048,4096)")
    parser.add_argument("--tile", type=int, default=128)
    parser.add_argument("--overlap", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="scratch folder (default: a temporary one, removed at the end)")
    parser.add_argument("--output", type=Path, default=None, help="also append lines to this file")
    parser.add_argument("--child", nargs=2, metavar=("STACK", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.tile, args.overlap, args.batch_size)
        return 0

    def emit(record: dict) -> None:
        line = json.dumps(record)
        print(line, flush=True)
        if args.output:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            with open(args.output, "a") as f:
                f.write(line + "\n")

    from fcad_lib.predict import seam_score

    sizes = [int(s) for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        for size in sizes:
            stack = write_noise_stack(work / f"stack_{size}.tif", size)
            r = run_child(stack, work / f"out_{size}", args.tile, args.overlap, args.batch_size)
            km2 = size * size * RES_M**2 / 1e6
            emit({"benchmark": "predict_area", "size_px": size, "km2": km2,
                  "seconds": round(r["seconds"], 3),
                  "km2_per_min": round(km2 / r["seconds"] * 60, 2),
                  "peak_rss_mb": round(r["peak_rss_mb"], 1), "tiles": r["tiles"],
                  "tile": args.tile, "overlap": args.overlap, "cpu_count": os.cpu_count()})
            if size != min(sizes):
                stack.unlink()
                continue
            plain = run_child(stack, work / f"plain_{size}", args.tile, 0, args.batch_size)
            emit({"benchmark": "predict_blend_vs_plain", "size_px": size, "tile": args.tile,
                  "overlap": args.overlap,
                  "seconds_blended": round(r["seconds"], 3),
                  "seconds_plain": round(plain["seconds"], 3),
                  "seam_score_blended": round(seam_score(
                      read_probability(work / f"out_{size}" / "probability.tif"),
                      args.tile, args.overlap), 4),
                  "seam_score_plain": round(seam_score(
                      read_probability(work / f"plain_{size}" / "probability.tif"),
                      args.tile, 0), 4)})
            stack.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
