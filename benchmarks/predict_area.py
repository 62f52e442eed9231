"""Benchmark whole-area prediction with the real FCADenseNet56: throughput, overhead, memory.

Usage::

    python benchmarks/predict_area.py [--sizes 1024,2048] [--tile 128] [--overlap 32]
                                      [--config 56] [--output FILE.jsonl]
    python benchmarks/predict_area.py --distributed [--sizes 2048,4096,8192] [--workers 2]

For each size a random (smooth noise) factor stack of ``size x size`` pixels at 12.5 m with the ten
factors of the paper is written, then mapped in a *fresh subprocess* with an untrained
FCADenseNet (``--config``, default ``56``; ``--model toy`` for a small encoder-decoder), so the
peak resident memory belongs to one prediction only. Lines (one JSON object each)::

    {"benchmark": "predict_area", "size_px": 1024, "km2": 163.84, "seconds": ...,
     "km2_per_min": ..., "forward_km2_per_min": ..., "overhead": ..., "peak_rss_mb": ...}

``forward_km2_per_min`` is the rate of the network alone: the seconds spent inside its
``predict_on_batch`` calls during the same run; ``overhead = seconds / forward seconds - 1`` is
what reading, encoding, blending and writing add. A ``predict_memory`` line gives the peak
memory ratio between the smallest and the largest size beside their area ratio, and a
``predict_blend_vs_plain`` line compares overlap-blended with plain tiling on the smallest size
(time and :func:`fcad_lib.predict.seam_score`).

Uncertainty (``--uncertainty-passes N``, default 20; 0 skips it): on the smallest size the same
stack is mapped again with ``--uncertainty mc`` (N Monte Carlo dropout passes per tile) in the
same run, and a ``predict_uncertainty`` line gives both rates and ``cost_ratio`` = seconds with
mc / seconds without (the plain run above). ``tta`` is recorded as skipped: the paper's stack has
directional factors (line-of-sight deformation, aspect, optical bands), for which flips and
rotations are refused (:mod:`fcad_lib.predict.uncertainty`).

With ``--distributed`` each size is mapped by
:func:`fcad_lib.predict.distributed.predict_raster_distributed` on a fresh
``distributed.LocalCluster(processes=True, threads_per_worker=1)``; the line
(``"benchmark": "predict_distributed"``) gives km2/min and the peak memory of each worker and of
the client (which merges the blocks).
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

from fcad_lib.factors import FACTOR_ORDER as FACTORS

RES_M = 12.5
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


def build(model: str, config: str, channels: int, tile: int, seed: int = 0):
    """Untrained FCADenseNet (``config`` preset) or the small toy encoder-decoder."""
    import keras

    keras.utils.set_random_seed(seed)
    if model == "fcadensenet":
        from fcad_lib.models import build_model

        return build_model("fcadensenet", (None, None, channels), config=config)
    inp = keras.Input((None, None, channels))
    a = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inp)
    b = keras.layers.MaxPooling2D()(a)
    b = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(b)
    b = keras.layers.UpSampling2D()(b)
    b = keras.layers.Dropout(0.2)(b)  # identity unless mc dropout samples it
    c = keras.layers.Concatenate()([a, b])
    out = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")(c)
    return keras.Model(inp, out)


def preprocessing(tile: int):
    """Identity z-score over the paper's channels (lithology one-hot)."""
    from fcad_lib.bundle import Preprocessing
    from fcad_lib.samples import lithology_channels

    channels = lithology_channels(FACTORS, "onehot", LITHOLOGY_CODES)
    return Preprocessing(
        channels=channels, factors=list(FACTORS), lithology_encoding="onehot",
        lithology_codes=list(LITHOLOGY_CODES), mean=[0.0] * len(channels),
        std=[1.0] * len(channels), patch_size=tile, threshold=0.5, model_name="bench",
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


class TimedModel:
    """The model, with the seconds spent inside ``predict_on_batch`` added up.

    Timing the network inside the run itself (rather than in a separate forward-only loop) puts
    both figures under the same conditions, which matters on a shared machine.
    """

    def __init__(self, model) -> None:
        self.model, self.seconds = model, 0.0

    def __getattr__(self, name: str):
        return getattr(self.model, name)

    def predict_on_batch(self, x):
        t0 = time.perf_counter()
        y = self.model.predict_on_batch(x)  # numpy out: the work is done when it returns
        self.seconds += time.perf_counter() - t0
        return y


def warm_up(model, stack: Path, tile: int, overlap: int, batch_size: int, channels: int) -> None:
    """Trace the model for every batch shape the run will use (a full and a last, short batch).

    Tracing is a fixed cost of a few seconds per shape, paid once per run whatever the area; it
    is left out of both timings so that their ratio describes the per-tile work.
    """
    import rasterio

    from fcad_lib.predict import tile_starts

    with rasterio.open(stack) as src:
        n_cols = len(tile_starts(src.width, tile, overlap))
    chunk = 4 * batch_size  # fcad_lib.predict.sequential.CHUNK_BATCHES batches
    for n in {batch_size, n_cols % chunk % batch_size or batch_size, min(n_cols, batch_size)}:
        model.predict_on_batch(np.zeros((n, tile, tile, channels), "float32"))


def child(stack: Path, out: Path, args: argparse.Namespace) -> None:
    """Map one stack in this process; print one JSON line with times and peak RSS."""
    from fcad_lib.predict import predict_raster

    prep = preprocessing(args.tile)
    model = build(args.model, args.config, len(prep.channels), args.tile)
    warm_up(model, stack, args.tile, args.overlap, args.batch_size, len(prep.channels))
    # mc calls a clone of the network, not predict_on_batch: no separate forward time
    timed = TimedModel(model) if args.uncertainty == "none" else model
    extra = ({} if args.uncertainty == "none" else
             {"uncertainty": args.uncertainty, "passes": args.uncertainty_passes})
    t0 = time.perf_counter()
    res = predict_raster(timed, prep, stack, out, tile=args.tile, overlap=args.overlap,
                         batch_size=args.batch_size, progress=False, **extra)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "forward_seconds": getattr(timed, "seconds", None),
                      "peak_rss_mb": peak_rss_mb(),
                      "tiles": res.tiles, "params": int(model.count_params())}))


def child_distributed(stack: Path, out: Path, args: argparse.Namespace) -> None:
    """Map one stack on a fresh LocalCluster; print seconds and peak RSS per worker."""
    import distributed

    from fcad_lib.bundle import save_bundle
    from fcad_lib.predict.distributed import predict_raster_distributed

    prep = preprocessing(args.tile)
    bundle = save_bundle(out.parent / f"bundle_{args.tile}",
                         build(args.model, args.config, len(prep.channels), args.tile), prep)
    with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        t0 = time.perf_counter()
        res = predict_raster_distributed(bundle, stack, out, client=client, tile=args.tile,
                                         overlap=args.overlap, batch_size=args.batch_size)
        seconds = time.perf_counter() - t0
        workers = client.run(peak_rss_mb)
    print(json.dumps({"seconds": seconds, "tiles": res.tiles, "client_peak_rss_mb": peak_rss_mb(),
                      "worker_peak_rss_mb": sorted(round(v, 1) for v in workers.values())}))


def run_child(mode: str, stack: Path, out: Path, args: argparse.Namespace,
              tile_overlap: tuple[int, int] | None = None, uncertainty: str = "none") -> dict:
    tile, overlap = tile_overlap or (args.tile, args.overlap)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [sys.executable, __file__, mode, str(stack), str(out), "--tile", str(tile),
           "--overlap", str(overlap), "--batch-size", str(args.batch_size), "--model",
           args.model, "--config", args.config, "--workers", str(args.workers),
           "--uncertainty", uncertainty, "--uncertainty-passes", str(args.uncertainty_passes)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def uncertainty_cost(stack: Path, work: Path, args: argparse.Namespace, km2: float,
                     plain: dict) -> dict:
    """Map ``stack`` again with mc dropout; its rate against the plain run of the same run."""
    mc = run_child("--child", stack, work / "mc", args, uncertainty="mc")
    return {"benchmark": "predict_uncertainty", "method": "mc",
            "passes": args.uncertainty_passes, "size_px": int(round((km2 * 1e6) ** 0.5 / RES_M)),
            "km2": km2, "seconds": round(mc["seconds"], 3),
            "km2_per_min": round(km2 / mc["seconds"] * 60, 2),
            "seconds_none": round(plain["seconds"], 3),
            "km2_per_min_none": round(km2 / plain["seconds"] * 60, 2),
            "cost_ratio": round(mc["seconds"] / plain["seconds"], 2)}


def read_probability(path: Path) -> np.ndarray:
    import rasterio

    with rasterio.open(path) as src:
        return src.read(1)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=None,
                        help="comma-separated square stack sizes in pixels (default 1024,2048; "
                             "2048,4096 with --distributed)")
    parser.add_argument("--tile", type=int, default=128)
    parser.add_argument("--overlap", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--model", default="fcadensenet", choices=["fcadensenet", "toy"])
    parser.add_argument("--config", default="56", help="FC-DenseNet preset (56, 67, 103, tiny)")
    parser.add_argument("--distributed", action="store_true",
                        help="map on a dask.distributed LocalCluster")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="scratch folder (default: a temporary one, removed at the end)")
    parser.add_argument("--output", type=Path, default=None, help="also append lines to this file")
    parser.add_argument("--uncertainty-passes", type=int, default=20,
                        help="mc passes of the uncertainty measurement (0: skip it)")
    parser.add_argument("--uncertainty", default="none", help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=2, metavar=("STACK", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--child-distributed", nargs=2, metavar=("STACK", "OUT"),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args)
        return 0
    if args.child_distributed:
        child_distributed(Path(args.child_distributed[0]), Path(args.child_distributed[1]), args)
        return 0

    def emit(record: dict) -> None:
        record = {**record, "model": args.model, "config": args.config, "tile": args.tile,
                  "overlap": args.overlap, "batch_size": args.batch_size,
                  "cpu_count": os.cpu_count()}
        line = json.dumps(record)
        print(line, flush=True)
        if args.output:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            with open(args.output, "a") as f:
                f.write(line + "\n")

    from fcad_lib.predict import seam_score

    default = "2048,4096" if args.distributed else "1024,2048"
    sizes = [int(s) for s in (args.sizes or default).split(",") if s]
    rss = {}
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        for size in sizes:
            stack = write_noise_stack(work / f"stack_{size}.tif", size)
            km2 = size * size * RES_M**2 / 1e6
            if args.distributed:
                r = run_child("--child-distributed", stack, work / f"dist_{size}", args)
                emit({"benchmark": "predict_distributed", "size_px": size, "km2": km2,
                      "seconds": round(r["seconds"], 3),
                      "km2_per_min": round(km2 / r["seconds"] * 60, 2), "tiles": r["tiles"],
                      "workers": args.workers,
                      "client_peak_rss_mb": round(r["client_peak_rss_mb"], 1),
                      "worker_peak_rss_mb": r["worker_peak_rss_mb"]})
                stack.unlink()
                continue
            r = run_child("--child", stack, work / f"out_{size}", args)
            rss[size] = r["peak_rss_mb"]
            emit({"benchmark": "predict_area", "size_px": size, "km2": km2,
                  "seconds": round(r["seconds"], 3),
                  "km2_per_min": round(km2 / r["seconds"] * 60, 2),
                  "forward_seconds": round(r["forward_seconds"], 3),
                  "forward_km2_per_min": round(km2 / r["forward_seconds"] * 60, 2),
                  "overhead": round(r["seconds"] / r["forward_seconds"] - 1, 3),
                  "peak_rss_mb": round(r["peak_rss_mb"], 1), "tiles": r["tiles"],
                  "params": r["params"]})
            if size != min(sizes):
                stack.unlink()
                continue
            plain = run_child("--child", stack, work / f"plain_{size}", args, (args.tile, 0))
            emit({"benchmark": "predict_blend_vs_plain", "size_px": size,
                  "seconds_blended": round(r["seconds"], 3),
                  "seconds_plain": round(plain["seconds"], 3),
                  "seam_score_blended": round(seam_score(
                      read_probability(work / f"out_{size}" / "probability.tif"),
                      args.tile, args.overlap), 4),
                  "seam_score_plain": round(seam_score(
                      read_probability(work / f"plain_{size}" / "probability.tif"),
                      args.tile, 0), 4)})
            if args.uncertainty_passes:
                emit(uncertainty_cost(stack, work, args, km2, r))
                emit({"benchmark": "predict_uncertainty", "method": "tta", "size_px": size,
                      "skipped": "the stack has directional factors (line-of-sight deformation, "
                                 "aspect, optical bands): flips and rotations are refused"})
            stack.unlink()
        if len(rss) > 1:
            small, large = min(rss), max(rss)
            emit({"benchmark": "predict_memory", "size_px": [small, large],
                  "area_ratio": round((large / small) ** 2, 2),
                  "rss_ratio": round(rss[large] / rss[small], 3)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
