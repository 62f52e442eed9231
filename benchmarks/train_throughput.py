"""Training throughput of each compared model: patches per second over a fixed number of steps.

Prints one JSON line per model, e.g.
{"benchmark": "train_throughput", "model": "fcadensenet", "patches_per_s": 3.1, ...}
The first step (graph tracing) is timed separately and excluded from the rate. Random inputs:
this measures compute, not learning. Not a test: run it on the machine you want to describe.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _device(backend: str) -> str:
    """GPU or CPU, as the Keras backend in use sees it."""
    if backend == "tensorflow":
        import tensorflow as tf

        return "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    if backend == "jax":
        import jax

        return jax.devices()[0].platform.upper()
    if backend == "torch":
        import torch

        return "GPU" if torch.cuda.is_available() else "CPU"
    return "unknown"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=None, help="default: all four")
    parser.add_argument("--patch-size", type=int, default=128)
    parser.add_argument("--channels", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5, help="timed steps after the first")
    parser.add_argument("--config", default="56", help="model size preset (tiny/56/67/103)")
    args = parser.parse_args(argv)

    import keras
    import numpy as np

    from fcad_lib.models import MODEL_NAMES, build_model
    from fcad_lib.training.losses import get_loss

    rng = np.random.default_rng(0)
    shape = (args.batch_size, args.patch_size, args.patch_size)
    x = rng.normal(size=(*shape, args.channels)).astype("float32")
    y = (rng.random((*shape, 1)) < 0.05).astype("float32")
    backend = keras.config.backend()
    device = _device(backend)
    for name in args.models or MODEL_NAMES:
        keras.utils.set_random_seed(0)
        model = build_model(name, (args.patch_size, args.patch_size, args.channels),
                            config=args.config)
        model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=get_loss("bce"))
        t0 = time.perf_counter()
        model.train_on_batch(x, y)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(args.steps):
            model.train_on_batch(x, y)
        seconds = time.perf_counter() - t0
        print(json.dumps({
            "benchmark": "train_throughput", "model": name, "config": args.config,
            "patch_size": args.patch_size, "channels": args.channels,
            "batch_size": args.batch_size, "steps": args.steps,
            "first_step_s": round(first, 3), "step_s": round(seconds / args.steps, 4),
            "patches_per_s": round(args.steps * args.batch_size / seconds, 3),
            "params": int(model.count_params()), "backend": backend, "device": device,
            "machine": platform.machine(), "cpus": os.cpu_count(),
        }), flush=True)


if __name__ == "__main__":
    main()
