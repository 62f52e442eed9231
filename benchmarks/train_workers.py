"""Wall time of one experiment grid computed by 1 process and by 2 worker processes.

Prints one JSON line per setting and a last ``train_workers_ratio`` line, e.g.
{"benchmark": "train_workers", "workers": 2, "wall_s": 151.2, "runs": 12, ...}
Each setting starts from an empty run folder, so both compute the same runs (networks of the
compact configuration with the rare-foreground recipe, and the gradient-boosting baselines) on
the same generated area; tracing and start-up are included, as in a notebook. Not a test: run it
alone on the machine you want to describe (another busy process distorts the ratio).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area", default="generated_quick")
    parser.add_argument("--models", nargs="*", default=["fcadensenet", "unet"])
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1])
    parser.add_argument("--steps", type=int, default=200, help="optimiser steps per network")
    parser.add_argument("--evaluations", type=int, default=4)
    parser.add_argument("--workers", nargs="*", type=int, default=[1, 2])
    args = parser.parse_args(argv)

    from fcad_lib.data.study_area import load_study_area
    from fcad_lib.training.experiments import FACTOR_GROUPS
    from fcad_lib.training.grid import grid_entries, run_grid

    ds = load_study_area(args.area)
    params = {"model_config": "compact", "recipe": "rare-foreground", "patch_size": 64,
              "stride": 64, "batch_size": 8, "epochs": args.evaluations,
              "steps_per_epoch": args.steps // args.evaluations, "learning_rate": 3e-3}
    entries = grid_entries(params, args.models, {"RS-DR": FACTOR_GROUPS["RS-DR"]}, args.seeds,
                           baselines=("pixel_gbt", "context_gbt"), splits=("random",))
    walls = {}
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as run_dir:
            t0 = time.perf_counter()
            run_grid(ds, entries, run_dir, n_pixels=20000, workers=workers, progress=False)
            walls[workers] = time.perf_counter() - t0
        print(json.dumps({
            "benchmark": "train_workers", "workers": workers, "wall_s": round(walls[workers], 1),
            "runs": len(entries), "models": args.models, "seeds": args.seeds,
            "steps": args.steps, "area": args.area, "cpus": os.cpu_count(),
            "machine": platform.machine()}), flush=True)
    if 1 in walls and len(walls) > 1:
        best = min(walls, key=walls.get)
        print(json.dumps({"benchmark": "train_workers_ratio", "serial_over_best": round(
            walls[1] / walls[best], 3), "best_workers": best}), flush=True)


if __name__ == "__main__":
    main()
