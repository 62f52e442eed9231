"""Is it the learner or the way it is fitted? Per-pixel classifiers on the pixel GBT's own sample.

The networks trail the pixel GBT on the generated area (``book/training_recipe.md``). This
script fits three per-pixel learners on exactly the sample the pixel GBT gets (every landslide
pixel of the training tiles up to half of ``--n-pixels``, the rest background, drawn with the
split's seed) and scores them as the GBT is scored: threshold of best F1 on the validation tiles,
test AP and F1 on the test tiles. One JSON line per learner, split and seed.

- ``pixel_gbt``: the book's baseline (``fcad_lib.evaluation.baselines.fit_pixel_gbt``);
- ``mlp``: scikit-learn's ``MLPClassifier`` (three hidden layers of 64, the per-pixel network of
  ``recipe_choice.py``'s ``pixel-mlp`` variant), on z-scores of the sample;
- ``logistic``: a linear model on the same z-scores, for scale;
- ``keras_mlp`` (with ``--keras``): the recipe's per-pixel network (``recipe_choice.pixel_mlp``,
  three 1x1 convolutions) fitted by Keras on the same sample, each pixel a 1 x 1 patch: BCE,
  Adam at 1e-3, batches of 200, early stopping on the validation loss of a tenth of the sample,
  as scikit-learn's network is fitted. If it matches the scikit-learn network, the framework
  and the optimiser are not the cause; the sample is.

    python benchmarks/pixel_learners.py --runs blocked:0 blocked:1 blocked:2 random:0
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


class KerasPixelMLP:
    """The recipe's per-pixel network behind a scikit-learn-like ``fit`` / ``predict_proba``."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, x, y):
        import keras
        import numpy as np
        from recipe_choice import pixel_mlp
        from sklearn.preprocessing import StandardScaler

        keras.utils.set_random_seed(self.seed)
        self.scaler = StandardScaler().fit(x)
        z = self.scaler.transform(x)[:, None, None, :].astype("float32")
        self.model = pixel_mlp((1, 1, x.shape[1]))
        self.model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
        stop = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)
        # Keras holds out the *last* tenth of the arrays, so shuffle first (the sample is
        # ordered: landslide pixels, then background)
        order = np.random.default_rng(self.seed).permutation(len(z))
        history = self.model.fit(z[order], y.astype("float32")[order, None, None, None],
                                 batch_size=200, epochs=200, validation_split=0.1, shuffle=True,
                                 callbacks=[stop], verbose=0)
        self.epochs = len(history.history["loss"])
        return self

    def predict_proba(self, x):
        import numpy as np

        z = self.scaler.transform(x)[:, None, None, :].astype("float32")
        p = self.model.predict(z, batch_size=65536, verbose=0).reshape(-1)
        return np.stack([1 - p, p], axis=1)


def _passes(clf) -> int | None:
    """Passes over the sample that a network's fit made (``None`` for the other learners)."""
    if isinstance(clf, KerasPixelMLP):
        return clf.epochs
    last = clf[-1] if hasattr(clf, "steps") else clf
    return int(last.n_iter_) if hasattr(last, "hidden_layer_sizes") else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area", default="generated")
    parser.add_argument("--runs", nargs="+", default=["blocked:0", "blocked:1", "random:0"],
                        help="split:seed pairs")
    parser.add_argument("--n-pixels", type=int, default=50000)
    parser.add_argument("--keras", action="store_true", help="add the Keras per-pixel network")
    args = parser.parse_args()

    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from fcad_lib.data.study_area import load_study_area
    from fcad_lib.evaluation.baselines import fit_pixel_gbt, pixels
    from fcad_lib.evaluation.metrics import ThresholdSweep, scores_from_counts
    from fcad_lib.training.experiments import FACTOR_GROUPS, ExperimentSpec, prepare_data

    ds = load_study_area(args.area, resolution_m=12.5)
    for run in args.runs:
        split, seed = run.split(":")
        spec = ExperimentSpec(model="unet", factors=FACTOR_GROUPS["RS-DR"], split=split,
                              seed=int(seed), model_config="compact", patch_size=64, stride=64)
        data = prepare_data(ds, spec)
        x_tr, y_tr, _ = pixels(data, "train")
        x_va, y_va, _ = pixels(data, "val")
        x_te, y_te, _ = pixels(data, "test")
        gbt = fit_pixel_gbt(x_tr, y_tr, n_pixels=args.n_pixels, seed=int(seed))
        # the GBT's own sample, drawn again with the same generator calls
        rng = np.random.default_rng(int(seed))
        pos, neg = np.flatnonzero(y_tr), np.flatnonzero(~y_tr)
        pos = rng.choice(pos, min(len(pos), args.n_pixels // 2), replace=False)
        neg = rng.choice(neg, min(len(neg), args.n_pixels - len(pos)), replace=False)
        idx = np.concatenate([pos, neg])
        learners = {
            "pixel_gbt": gbt,
            "mlp": make_pipeline(StandardScaler(), MLPClassifier(
                (64, 64, 64), max_iter=200, early_stopping=True, random_state=int(seed))),
            "logistic": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        }
        if args.keras:
            learners["keras_mlp"] = KerasPixelMLP(seed=int(seed))
        for name, clf in learners.items():
            t0 = time.perf_counter()
            if name != "pixel_gbt":
                clf.fit(x_tr[idx], y_tr[idx])
            val_score = clf.predict_proba(x_va)[:, 1]
            threshold = ThresholdSweep().update(y_va, val_score).best_threshold("f1")
            score = clf.predict_proba(x_te)[:, 1]
            pred = score >= threshold
            tp, fp = int(np.sum(pred & y_te)), int(np.sum(pred & ~y_te))
            fn = int(np.sum(~pred & y_te))
            test = scores_from_counts(tp, fp, fn, int(y_te.size) - tp - fp - fn)
            print(json.dumps({
                "benchmark": "pixel_learners", "learner": name, "split": split,
                "seed": int(seed), "n_pixels": int(len(idx)),
                "val_ap": float(average_precision_score(y_va, val_score)),
                "test_ap": float(average_precision_score(y_te, score)), "test_f1": test["f1"],
                "passes": _passes(clf), "seconds": round(time.perf_counter() - t0, 1)}),
                flush=True)


if __name__ == "__main__":
    main()
