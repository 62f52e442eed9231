"""Which training recipe: the measurements behind ``book/training_recipe.md``.

Trains variants of the recipe on the generated area (64 px patches, batch 8, RS-DR factors,
compact networks) and prints one JSON line per run: the variant, split, seed, steps, the
validation AP (what chooses) and the test AP / F1 (reported, never used to choose), the test
prevalence, convergence and the wall time on this machine. The pixel and contextual GBT of the
same split are printed as reference lines.

    python benchmarks/recipe_choice.py > benchmarks/results/recipe_choice_cpu2_<date>.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from functools import partial

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: name -> ExperimentSpec fields that differ from the rare-foreground recipe
VARIANTS: dict[str, dict] = {
    "rare-foreground": {},
    "fg-share-0.33": {"fg_fraction": 0.33},
    "twice-the-steps": {"epochs": 24},
    "bce-only": {"loss": "bce"},
    "peak-lr-1e-3": {"learning_rate": 1e-3},
    "peak-lr-1e-2": {"learning_rate": 1e-2},
    # the paper-sized FC-DenseNet56 layout (about 0.64 M parameters for FCADenseNet), not compact
    "56-paper": {"model_config": "56-paper"},
    "56-paper-500": {"model_config": "56-paper", "epochs": 5},  # with --steps 100
    # a network without context: three 1x1 convolutions (about 9 k parameters), so a pixel
    # classifier trained by the recipe; with BCE + Dice and with BCE alone
    "pixel-mlp": {"model_config": "pixel-mlp"},
    "pixel-mlp-bce": {"model_config": "pixel-mlp", "loss": "bce"},
    # BCE with the landslide term weighted 20 x (no Dice), and five times the steps
    "pixel-mlp-pw20": {"model_config": "pixel-mlp", "loss": "weighted_bce_20"},
    "pixel-mlp-5000": {"model_config": "pixel-mlp", "epochs": 50},
    "pw20": {"loss": "weighted_bce_20"},
    # the same loss, 3,000 steps without early stopping, checkpoint of lowest validation loss
    "pixel-mlp-pw20-long": {"model_config": "pixel-mlp", "loss": "weighted_bce_20", "epochs": 30,
                            "early_stopping_patience": None, "monitor": "val_loss"},
    "pw20-long": {"loss": "weighted_bce_20", "epochs": 30, "early_stopping_patience": None,
                  "monitor": "val_loss"},
    "2000-steps": {"epochs": 20},  # with --epochs 10 --steps 100 (the default profile's)
    "previous-recipe": {"sampling": "grid", "loss": "bce", "lr_schedule": "constant",
                        "monitor": "val_loss", "oversample": 2, "learning_rate": 1e-3,
                        "early_stopping_patience": 4, "reduce_lr_patience": 2},
}


#: Builder widths that give U-Net and FCN the paper-sized FCADenseNet's parameter count (about
#: 0.61 M each against 0.64 M); a probe, so they live here, not among the library's presets.
PAPER_SIZED: dict[str, dict[str, int]] = {"unet": {"base_filters": 18, "depth": 3},
                                          "fcn": {"width": 12, "fc_filters": 96}}


def pixel_mlp(input_shape: tuple, width: int = 64):
    """Three 1x1 convolutions and a sigmoid: a per-pixel network, blind to its neighbours."""
    import keras

    x = inputs = keras.Input(input_shape)
    for _ in range(3):
        x = keras.layers.Conv2D(width, 1, activation="relu")(x)
    outputs = keras.layers.Conv2D(1, 1, activation="sigmoid", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="pixel_mlp")


def _probe_models(build):
    """Wrap ``build_model``: ``"56-paper"`` gives U-Net and FCN the matched widths, and
    ``"pixel-mlp"`` any model name the per-pixel network."""
    def wrapped(name, input_shape, config="56", **kwargs):
        if config == "pixel-mlp":
            return pixel_mlp(input_shape)
        if config == "56-paper" and name in PAPER_SIZED:
            return build(name, input_shape, config="standard", **PAPER_SIZED[name], **kwargs)
        return build(name, input_shape, config=config, **kwargs)
    return wrapped


def quantile_inputs(ds, seed: int = 0):
    """Map every continuous factor through its empirical CDF onto a standard normal.

    The GBT bins each factor by its quantiles, so it cannot tell a factor from any monotone map
    of it; a network sees z-scores, in which a few extreme values (deformation rate, curvature)
    squeeze the bulk of the pixels together. The map is fitted on the valid pixels of the whole
    area without the labels, the way a user would fit it on a new area before predicting.
    """
    import numpy as np
    from sklearn.preprocessing import QuantileTransformer

    from fcad_lib.factors import LITHOLOGY

    out = ds.copy()
    for name in ds.attrs["factors"]:
        if name == LITHOLOGY:
            continue
        values = ds[name].values
        ok = np.isfinite(values) & ds["valid"].values
        qt = QuantileTransformer(n_quantiles=1000, output_distribution="normal",
                                 subsample=200_000, random_state=seed)
        qt.fit(values[ok].reshape(-1, 1))
        mapped = values.copy()
        mapped[ok] = qt.transform(values[ok].reshape(-1, 1)).ravel()
        out[name] = ds[name].copy(data=mapped.astype(values.dtype))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area", default="generated")
    parser.add_argument("--models", nargs="+", default=["unet", "fcadensenet"])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--runs", nargs="+", default=["blocked:0", "blocked:1", "random:0"],
                        help="split:seed pairs")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--quantile-inputs", action="store_true",
                        help="map the continuous factors through their quantiles first")
    args = parser.parse_args()

    from fcad_lib.data.study_area import load_study_area
    from fcad_lib.evaluation.baselines import run_baseline
    from fcad_lib.training import experiments, losses
    from fcad_lib.training.experiments import (
        FACTOR_GROUPS,
        ExperimentSpec,
        prepare_data,
        run_experiment,
    )

    # probe models and loss, for this process only: the library stays as published
    experiments.build_model = _probe_models(experiments.build_model)
    losses.LOSSES["weighted_bce_20"] = partial(losses.WeightedBinaryCrossentropy, pos_weight=20.0)

    ds = load_study_area(args.area, resolution_m=12.5)
    if args.quantile_inputs:
        ds = quantile_inputs(ds)
    out = tempfile.mkdtemp(prefix="recipe_choice_")
    for run in args.runs:
        split, seed = run.split(":")
        base = dict(factors=FACTOR_GROUPS["RS-DR"], split=split, seed=int(seed),
                    model_config="compact", patch_size=64, stride=64, batch_size=8,
                    epochs=args.epochs, steps_per_epoch=args.steps, learning_rate=3e-3)
        data = prepare_data(ds, ExperimentSpec(model="unet", **base))
        for name in ("pixel_gbt", "context_gbt"):
            r = run_baseline(name, data, ExperimentSpec(model="unet", **base), n_pixels=50000)
            print(json.dumps({"benchmark": "recipe_choice", "variant": name, "model": name,
                              "quantile_inputs": args.quantile_inputs,
                              "split": split, "seed": int(seed), "val_ap": None,
                              "test_ap": r.ap, "test_f1": r.scores["f1"]}), flush=True)
        for model in args.models:
            for variant in args.variants:
                spec = ExperimentSpec(model=model, **{**base, **VARIANTS[variant]})
                t0 = time.perf_counter()
                r = run_experiment(ds, spec, out, prepared=data if spec.sampling == "foreground"
                                   else None, verbose=0)
                print(json.dumps({
                    "benchmark": "recipe_choice", "variant": variant,
                    "model": "pixel-mlp" if spec.model_config == "pixel-mlp" else model,
                    "quantile_inputs": args.quantile_inputs,
                    "split": split, "seed": int(seed),
                    "steps": spec.epochs * spec.steps_per_epoch,
                    "val_ap": r.val_scores["ap"], "test_ap": r.ap, "test_f1": r.scores["f1"],
                    "test_prevalence": r.test_prevalence, "best_epoch": r.best_epoch,
                    "epochs_run": r.epochs_run, "converged": r.converged,
                    "seconds": round(time.perf_counter() - t0, 1)}), flush=True)


if __name__ == "__main__":
    main()
