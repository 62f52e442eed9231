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
    "2000-steps": {"epochs": 20},  # with --epochs 10 --steps 100 (the default profile's)
    "previous-recipe": {"sampling": "grid", "loss": "bce", "lr_schedule": "constant",
                        "monitor": "val_loss", "oversample": 2, "learning_rate": 1e-3,
                        "early_stopping_patience": 4, "reduce_lr_patience": 2},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area", default="generated")
    parser.add_argument("--models", nargs="+", default=["unet", "fcadensenet"])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--runs", nargs="+", default=["blocked:0", "blocked:1", "random:0"],
                        help="split:seed pairs")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()

    from fcad_lib.data.study_area import load_study_area
    from fcad_lib.evaluation.baselines import run_baseline
    from fcad_lib.training.experiments import (
        FACTOR_GROUPS,
        ExperimentSpec,
        prepare_data,
        run_experiment,
    )

    ds = load_study_area(args.area, resolution_m=12.5)
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
                              "split": split, "seed": int(seed), "val_ap": None,
                              "test_ap": r.ap, "test_f1": r.scores["f1"]}), flush=True)
        for model in args.models:
            for variant in args.variants:
                spec = ExperimentSpec(model=model, **{**base, **VARIANTS[variant]})
                t0 = time.perf_counter()
                r = run_experiment(ds, spec, out, prepared=data if spec.sampling == "foreground"
                                   else None, verbose=0)
                print(json.dumps({
                    "benchmark": "recipe_choice", "variant": variant, "model": model,
                    "split": split, "seed": int(seed),
                    "steps": spec.epochs * spec.steps_per_epoch,
                    "val_ap": r.val_scores["ap"], "test_ap": r.ap, "test_f1": r.scores["f1"],
                    "test_prevalence": r.test_prevalence, "best_epoch": r.best_epoch,
                    "epochs_run": r.epochs_run, "converged": r.converged,
                    "seconds": round(time.perf_counter() - t0, 1)}), flush=True)


if __name__ == "__main__":
    main()
