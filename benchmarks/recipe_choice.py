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
    # flips and quarter turns although they break aspect, line of sight and shadows (the
    # paper's augmentation): a regulariser against remembering the training landslides
    "dihedral": {"augment": "dihedral"},
    # every input channel piecewise-linearly encoded on 16 quantile bins (with_ple)
    "ple": {"model_config": "compact-ple"},
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


#: Quantile bin edges of the current run's training pixels, ``(C, bins + 1)``: set per run
PLE_EDGES: list = [None]


def ple_edges(arrays, n_bins: int = 16, seed: int = 0):
    """Quantile bin edges of every (z-scored) channel over the valid training pixels."""
    import numpy as np

    x, _, w = arrays
    values = x[w[..., 0] > 0]
    pick = np.random.default_rng(seed).choice(len(values), min(len(values), 200_000),
                                              replace=False)
    return np.quantile(values[pick], np.linspace(0.0, 1.0, n_bins + 1), axis=0).T


def with_ple(build, name, input_shape, config, width: int = 32, **kwargs):
    """The network behind a piecewise-linear encoding of every input channel.

    Gorishniy et al. (2022, "On embeddings for numerical features in tabular deep learning")
    close much of the gap between MLPs and gradient boosting on tabular data this way: each
    value becomes its position within quantile bins (0 below a bin, 1 above it, linear inside),
    so a network can carve the narrow value ranges that a tree finds by splitting. A 1 x 1
    convolution mixes the encodings into ``width`` channels, which the unchanged network reads.
    """
    import keras
    import numpy as np

    edges = PLE_EDGES[0]
    n_channels, n_bins = edges.shape[0], edges.shape[1] - 1
    inputs = keras.Input(input_shape)
    encode = PiecewiseLinear(n_channels, n_bins, name="ple")
    x = keras.layers.Conv2D(width, 1, activation="relu", name="ple_mix")(encode(inputs))
    base = build(name, (*input_shape[:2], width), config=config, **kwargs)
    model = keras.Model(inputs, base(x), name=f"{base.name}_ple")
    # a bin of zero width (a one-hot channel) becomes a step at its edge
    encode.set_weights([edges[:, :-1].astype("float32"),
                        np.maximum(np.diff(edges, axis=1), 1e-6).astype("float32")])
    return model


def _ple_layer():
    import keras

    @keras.saving.register_keras_serializable(package="recipe_choice")
    class PiecewiseLinear(keras.layers.Layer):
        """``(..., C)`` -> ``(..., C * bins)``: each value's position within each quantile bin."""

        def __init__(self, n_channels: int, n_bins: int, **kwargs):
            super().__init__(**kwargs)
            self.n_channels, self.n_bins = n_channels, n_bins

        def build(self, input_shape):
            shape = (self.n_channels, self.n_bins)
            self.lo = self.add_weight(shape=shape, initializer="zeros", trainable=False,
                                      name="lo")
            self.width = self.add_weight(shape=shape, initializer="ones", trainable=False,
                                         name="width")

        def call(self, x):
            ops = keras.ops
            z = ops.clip((ops.expand_dims(x, -1) - self.lo) / self.width, 0.0, 1.0)
            h, w = ops.shape(x)[1], ops.shape(x)[2]
            return ops.reshape(z, (-1, h, w, self.n_channels * self.n_bins))

        def get_config(self):
            return {**super().get_config(), "n_channels": self.n_channels,
                    "n_bins": self.n_bins}

    return PiecewiseLinear


PiecewiseLinear = _ple_layer()


def _probe_models(build):
    """Wrap ``build_model``: ``"56-paper"`` gives U-Net and FCN the matched widths, and
    ``"pixel-mlp"`` any model name the per-pixel network."""
    def wrapped(name, input_shape, config="56", **kwargs):
        if config == "pixel-mlp":
            return pixel_mlp(input_shape)
        if config.endswith("-ple"):
            return with_ple(build, name, input_shape, config.removesuffix("-ple"), **kwargs)
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


def mask_val_edges(data, edge_px: int) -> None:
    """Give weight 0 to the validation pixels within ``edge_px`` of a training tile.

    The test blocks of the blocked split are buffered from the training tiles; the validation
    blocks are not, so a landslide cut by a train / validation edge is half seen in training.
    A network that remembers it scores well on validation and not on test, and validation AP
    then picks such checkpoints. Masking the edge band makes validation look like test.
    """
    import numpy as np
    from scipy import ndimage

    size = data.patches.X.shape[1]
    train = data.patches.origins[data.splits["train"]]
    h = int(data.patches.origins[:, 0].max()) + size
    w = int(data.patches.origins[:, 1].max()) + size
    region = np.zeros((h, w), dtype=bool)
    for r, c in train:
        region[r:r + size, c:c + size] = True
    near = ndimage.binary_dilation(region, np.ones((2 * edge_px + 1,) * 2, dtype=bool))
    x, y, wt = data.arrays["val"]
    wt = wt.copy()
    for i, (r, c) in enumerate(data.patches.origins[data.splits["val"]]):
        wt[i, ..., 0][near[r:r + size, c:c + size]] = 0.0
    data.arrays["val"] = (x, y, wt)


def ignore_label_edges(edge_px: int) -> None:
    """Training crops give weight 0 to background pixels within ``edge_px`` of a landslide label.

    The generated inventory moves each polygon by up to 2 px (``label_shift_px``) from the true
    body, whose median area is about 22 px: a ring of the real, moving body is labelled
    background, and foreground-centred crops show that ring in every batch. The band leaves it
    out of the loss, as segmentation of uncertain outlines often does. Scoring is unchanged.
    """
    import numpy as np
    from scipy import ndimage

    from fcad_lib.samples import crops

    plain_init, plain_batch = crops.CropSampler.__init__, crops.CropSampler.batch

    def init(self, stack, *args, **kwargs):
        plain_init(self, stack, *args, **kwargs)
        positive = stack.y > 0
        near = ndimage.binary_dilation(positive, np.ones((2 * edge_px + 1,) * 2, dtype=bool))
        self.ignore = near & ~positive

    def batch(self, n):
        state = self.rng.bit_generator.state
        origins = self._draw(n)  # the same draw plain_batch makes next
        self.rng.bit_generator.state = state
        if self.augment:
            raise NotImplementedError("the band follows the crop, not its flips")
        x, y, w = plain_batch(self, n)
        s = self.size
        return x, y, w * ~np.stack([self.ignore[r:r + s, c:c + s] for r, c in origins])[..., None]

    crops.CropSampler.__init__, crops.CropSampler.batch = init, batch


def buffer_validation() -> None:
    """Blocked split: drop the training tiles that touch a validation tile, too.

    The test blocks are buffered from training and validation; the validation blocks are not.
    A model that fits what is local to the training tiles then scores better on validation
    than on test, and validation AP chooses for it. With the buffer on both, validation sees
    the same conditions as test, at the cost of the training tiles around the validation blocks.
    """

    from fcad_lib import samples
    from fcad_lib.samples import splits as splits_module

    plain = samples.split_blocked

    def buffered(origins, block_size_px, *args, buffer_px=0, **kwargs):
        out = plain(origins, block_size_px, *args, buffer_px=buffer_px, **kwargs)
        if buffer_px and out["val"].size:
            near = splits_module._near(origins, out["train"], out["val"], buffer_px)
            out = {**out, "train": out["train"][~near]}
        return out

    samples.split_blocked = buffered


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
    parser.add_argument("--ignore-px", type=int, default=0,
                        help="training weight 0 for background this close to a landslide label")
    parser.add_argument("--val-buffer", action="store_true",
                        help="blocked split: buffer the validation tiles from training as well")
    parser.add_argument("--val-edge-px", type=int, default=0,
                        help="weight 0 for validation pixels this close to a training tile")
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
    if args.ignore_px:
        ignore_label_edges(args.ignore_px)
    if args.val_buffer:
        buffer_validation()

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
        if any(VARIANTS[v].get("model_config", "").endswith("-ple") for v in args.variants):
            PLE_EDGES[0] = ple_edges(data.arrays["train"], seed=int(seed))
        print(json.dumps({"benchmark": "recipe_choice", "split": split, "seed": int(seed),
                          "n_patches": {k: int(len(v)) for k, v in data.splits.items()}}),
              flush=True)
        if args.val_edge_px:
            before = float(data.arrays["val"][2].sum())
            mask_val_edges(data, args.val_edge_px)
            print(json.dumps({"benchmark": "recipe_choice", "split": split, "seed": int(seed),
                              "val_edge_px": args.val_edge_px,
                              "val_pixels_kept": float(data.arrays["val"][2].sum()) / before}),
                  flush=True)
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
                    "quantile_inputs": args.quantile_inputs, "val_edge_px": args.val_edge_px,
                    "ignore_px": args.ignore_px,
                    "val_buffer": args.val_buffer, "split": split, "seed": int(seed),
                    "steps": spec.epochs * spec.steps_per_epoch,
                    "val_ap": r.val_scores["ap"], "test_ap": r.ap, "test_f1": r.scores["f1"],
                    "test_prevalence": r.test_prevalence, "best_epoch": r.best_epoch,
                    "epochs_run": r.epochs_run, "converged": r.converged,
                    "seconds": round(time.perf_counter() - t0, 1)}), flush=True)


if __name__ == "__main__":
    main()
