"""Under- or over-fitting? AP on the training, validation and test tiles, networks against the GBT.

Issue 18's networks trail the pixel GBT on the generated area. This script tells the two
failure modes apart by scoring every split, the training tiles included (AP with scikit-learn's
``average_precision_score``, the same for every learner):

``published SPLIT:SEED [...] --cache RUN_DIR``
    the cached RS-DR networks of a default run (e.g. ``runs/default``), with the pixel GBT
    fitted again as the book fits it (50,000 pixels, the split's seed).
``curve MODEL SPLIT:SEED --epochs E --steps S``
    the recipe (``rare-foreground``, compact network) trained for ``E x S`` steps without early
    stopping; after every evaluation the AP of the training tiles beside the validation AP. The
    last line scores the checkpoint that the validation AP chose, on every split.

Test AP is reported and never chooses anything: the checkpoint is the validation AP's.

    python benchmarks/fit_gap.py published blocked:0 blocked:1 random:0 --cache runs/default
    python benchmarks/fit_gap.py curve unet blocked:0 --epochs 25 --steps 200
    python benchmarks/fit_gap.py curve unet blocked:0 --config pixel-mlp --loss bce
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SPLITS = ("train", "val", "test")


def _net_ap(model, arrays) -> float:
    from sklearn.metrics import average_precision_score

    from fcad_lib.evaluation import stats

    scored = stats.model_tile_scores(model, arrays, (0.5,), 64)
    return round(float(average_precision_score(scored["positive"], scored["prob"])), 4)


def _gbt_aps(data, seed: int) -> dict[str, float]:
    from sklearn.metrics import average_precision_score

    from fcad_lib.evaluation.baselines import fit_pixel_gbt, pixels

    x_tr, y_tr, _ = pixels(data, "train")
    clf = fit_pixel_gbt(x_tr, y_tr, n_pixels=50000, seed=seed)
    out = {}
    for s in SPLITS:
        x, y, _ = pixels(data, s)
        out[s] = round(float(average_precision_score(y, clf.predict_proba(x)[:, 1])), 4)
    return out


def cached_networks(cache: Path, split: str, seed: int | str) -> dict[str, dict]:
    """The cached RS-DR network records of one split and seed of a default run, by model."""
    from fcad_lib.factors import FACTOR_GROUPS

    found = {}
    for path in sorted((cache / "experiments").glob(f"*_{split}_seed{seed}_*/result.json")):
        rec = json.loads(path.read_text())
        spec = rec["spec"]
        if (spec.get("area", "generated") == "generated" and "balakot" not in path.parent.name
                and tuple(spec["factors"]) == tuple(FACTOR_GROUPS["RS-DR"])
                and "bundle_dir" in rec):
            found[spec["model"]] = rec
    if not found:
        raise SystemExit(f"no cached RS-DR network for {split}:{seed} under {cache}")
    return found


def cached_model(cache: Path, record: dict):
    """The trained network of a cached record (bundle paths are relative to the project)."""
    from fcad_lib.bundle import load_bundle

    bundle = Path(record["bundle_dir"])
    return load_bundle(bundle if bundle.is_absolute() else cache.parent.parent / bundle)[0]


def published(jobs: list[str], cache: Path) -> None:
    """Every split's AP of the cached RS-DR networks and of the pixel GBT."""
    from fcad_lib.data.study_area import load_study_area
    from fcad_lib.training.experiments import ExperimentSpec, prepare_data

    ds = load_study_area("generated", resolution_m=12.5)
    for job in jobs:
        split, seed = job.split(":")
        found = cached_networks(cache, split, seed)
        data = prepare_data(ds, ExperimentSpec.from_dict(next(iter(found.values()))["spec"]))
        for s, ap in _gbt_aps(data, int(seed)).items():
            print(json.dumps({"benchmark": "fit_gap", "mode": "published", "model": "pixel_gbt",
                              "split": split, "seed": int(seed), "tiles": s, "ap": ap}),
                  flush=True)
        for name, rec in sorted(found.items()):
            model = cached_model(cache, rec)
            for s in SPLITS:
                print(json.dumps({"benchmark": "fit_gap", "mode": "published", "model": name,
                                  "split": split, "seed": int(seed), "tiles": s,
                                  "ap": _net_ap(model, data.arrays[s])}), flush=True)


def curve(model_name: str, job: str, epochs: int, steps: int, config: str = "compact",
          loss: str = "bce_dice") -> None:
    """Train the recipe without early stopping; training AP beside validation AP."""
    import keras
    from recipe_choice import _probe_models

    from fcad_lib import samples
    from fcad_lib.data.study_area import load_study_area
    from fcad_lib.factors import FACTOR_GROUPS
    from fcad_lib.training import experiments, train
    from fcad_lib.training.experiments import ExperimentSpec, prepare_data

    split, seed = job.split(":")
    spec = ExperimentSpec(model=model_name, factors=FACTOR_GROUPS["RS-DR"], split=split,
                          seed=int(seed), model_config=config, loss=loss, patch_size=64, stride=64,
                          batch_size=8, epochs=epochs, steps_per_epoch=steps,
                          learning_rate=3e-3, early_stopping_patience=None)
    ds = load_study_area("generated", resolution_m=12.5)
    train.set_reproducible(spec.seed)
    data = prepare_data(ds, spec)
    augment = samples.augmentation_allowed(spec.augment, data.preprocessing.channels)
    train_ds, n_steps = experiments._training_batches(data, spec, augment)
    val_ds = samples.make_dataset(*data.arrays["val"], batch_size=spec.batch_size,
                                  shuffle=False, augment=False, seed=spec.seed)
    n_channels = len(data.preprocessing.channels)
    # recipe_choice's builder knows the probe configurations (e.g. the per-pixel network)
    model = _probe_models(experiments.build_model)(spec.model, (64, 64, n_channels),
                                                   config=spec.model_config)
    head = {"benchmark": "fit_gap", "mode": "curve", "model": model_name, "config": config,
            "loss_name": loss, "split": split, "seed": int(seed)}

    class Curve(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print(json.dumps({**head, "step": (epoch + 1) * n_steps,
                              "loss": round(float(logs["loss"]), 4),
                              "val_ap": round(float(logs["val_ap"]), 4),
                              "train_ap": _net_ap(model, data.arrays["train"])}), flush=True)

    config = train.TrainConfig(epochs=epochs, steps_per_epoch=n_steps,
                               learning_rate=spec.learning_rate, loss=spec.loss, seed=spec.seed,
                               verbose=0, monitor=spec.monitor, lr_schedule=spec.lr_schedule)
    t0 = time.perf_counter()
    fit = train.train_model(model, train_ds, val_ds, tempfile.mkdtemp(prefix="fit_gap_"), config,
                            preprocessing=data.preprocessing, callbacks=[Curve()])
    print(json.dumps({**head, "chosen_step": (fit.best_epoch + 1) * n_steps,
                      "steps": epochs * n_steps,
                      **{f"{s}_ap": _net_ap(fit.model, data.arrays[s]) for s in SPLITS},
                      "gbt": _gbt_aps(data, int(seed)),
                      "seconds": round(time.perf_counter() - t0, 1)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("published")
    p.add_argument("jobs", nargs="+", help="SPLIT:SEED")
    p.add_argument("--cache", type=Path, required=True, help="run folder, e.g. runs/default")
    c = sub.add_parser("curve")
    c.add_argument("model")
    c.add_argument("job", help="SPLIT:SEED")
    c.add_argument("--epochs", type=int, default=25)
    c.add_argument("--steps", type=int, default=200)
    c.add_argument("--config", default="compact", help="model_config, or pixel-mlp")
    c.add_argument("--loss", default="bce_dice")
    args = parser.parse_args()
    if args.mode == "published":
        published(args.jobs, args.cache.resolve())
    else:
        curve(args.model, args.job, args.epochs, args.steps, args.config, args.loss)


if __name__ == "__main__":
    main()
