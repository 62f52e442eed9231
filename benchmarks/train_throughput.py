"""Training throughput of each compared model: patches per second over a fixed number of steps.

Prints one JSON line per model, e.g.
{"benchmark": "train_throughput", "model": "fcadensenet", "patches_per_s": 3.1, ...}
The first step (graph tracing) is timed separately and excluded from the rate. Random inputs:
this measures compute, not learning. Not a test: run it on the machine you want to describe.

With ``--project-path`` it also prints one ``train_project_vs_bare`` line per model: the same
batches trained for ``--epochs`` epochs of ``--steps`` steps once with a bare ``model.fit`` and
once through the project's ``fcad_lib.training.train.train_model`` (validation, checkpoint,
CSV log, backup, best-epoch reload, threshold sweep, bundle). ``epoch_ratio`` is the median
epoch time of the project path over the bare fit's, first epochs (tracing) left out;
``first_epoch_s`` / ``bare_first_epoch_s`` include the tracing, and ``total_ratio`` compares the
whole calls.
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
    parser.add_argument("--project-path", action="store_true",
                        help="also time train_model against a bare model.fit (see above)")
    parser.add_argument("--project-models", nargs="*", default=["fcadensenet"],
                        help="models of --project-path (default: fcadensenet)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of --project-path (>= 2)")
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
    if args.project_path:
        for name in args.project_models:
            print(json.dumps(project_vs_bare(name, x, y, args, backend, device)), flush=True)


def project_vs_bare(name: str, x, y, args, backend: str, device: str) -> dict:
    """Epoch times of a bare ``model.fit`` and of ``train_model`` on the same batches."""
    import tempfile
    import warnings

    import keras
    import numpy as np

    from fcad_lib.models import build_model
    from fcad_lib.samples.dataset import make_dataset
    from fcad_lib.training.losses import get_loss
    from fcad_lib.training.train import TrainConfig, train_model

    class EpochTimes(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.times: list[float] = []

        def on_epoch_begin(self, epoch, logs=None) -> None:
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None) -> None:
            self.times.append(time.perf_counter() - self.t0)

    epochs = max(2, args.epochs)
    w = np.ones(y.shape, dtype="float32")
    train_ds = make_dataset(x, y, w, batch_size=args.batch_size, shuffle=False, repeat=True)
    val_ds = make_dataset(x, y, w, batch_size=args.batch_size, shuffle=False)
    shape = (args.patch_size, args.patch_size, args.channels)

    keras.utils.set_random_seed(0)
    bare = build_model(name, shape, config=args.config)
    bare.compile(optimizer=keras.optimizers.Adam(1e-4), loss=get_loss("bce"))
    bare_t = EpochTimes()
    t0 = time.perf_counter()
    bare.fit(train_ds, epochs=epochs, steps_per_epoch=args.steps, callbacks=[bare_t], verbose=0,
             shuffle=False)
    bare_total = time.perf_counter() - t0

    keras.utils.set_random_seed(0)
    model = build_model(name, shape, config=args.config)
    proj_t = EpochTimes()
    config = TrainConfig(epochs=epochs, steps_per_epoch=args.steps, batch_size=args.batch_size,
                         verbose=0, augment=False)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no preprocessing.json: not needed here
        t0 = time.perf_counter()
        train_model(model, train_ds, val_ds, tmp, config=config, callbacks=[proj_t])
        proj_total = time.perf_counter() - t0

    bare_epoch = float(np.median(bare_t.times[1:]))
    proj_epoch = float(np.median(proj_t.times[1:]))
    return {
        "benchmark": "train_project_vs_bare", "model": name, "config": args.config,
        "patch_size": args.patch_size, "batch_size": args.batch_size, "steps": args.steps,
        "epochs": epochs, "bare_epoch_s": round(bare_epoch, 3),
        "project_epoch_s": round(proj_epoch, 3), "epoch_ratio": round(proj_epoch / bare_epoch, 3),
        "bare_first_epoch_s": round(bare_t.times[0], 3),
        "first_epoch_s": round(proj_t.times[0], 3),
        "bare_total_s": round(bare_total, 3), "project_total_s": round(proj_total, 3),
        "total_ratio": round(proj_total / bare_total, 3), "backend": backend, "device": device,
    }


if __name__ == "__main__":
    main()
