"""Levers that might close the gap to the gradient boosting: probes behind issue 18's next step.

The published default run (``results/default/``) has every compact network behind the pixel
GBT. This script measures candidate levers on the generated area without changing the library:
where a lever is not (yet) an option of ``fcad_lib``, the script patches it in for its own
process only. It prints one JSON line per run; the validation AP is what would choose, the test
AP and F1 are reported, never used to choose.

Modes (one job per process, so that no traced model is shared between variants):

``rerun MODEL:SPLIT:SEED``
    the published spec again, in this process (one process, all threads); compare with the
    cached run of the same slug, which a two-process grid trained.
``clip MODEL:SPLIT:SEED``
    input z-scores clipped to +-5 standard deviations (nnU-Net clips CT intensities).
``ema MODEL:SPLIT:SEED``
    Adam with an exponential moving average of the weights (momentum 0.99); validation and
    checkpoints use the averaged weights (``keras.callbacks.SwapEMAWeights``).
``margin SLUG [SLUG ...]``
    no training: the cached network of each slug scored on its test tiles once as trained (each
    64 px tile alone, zero padding around it) and once with a margin of the surrounding stack
    (``--margin``, 16 px by default), as ``fcad-predict`` maps an area (the network rebuilt at
    64 + 2 x margin px, same weights).

    python benchmarks/recipe_levers.py ema unet:blocked:0 \
        --cache runs/default >> benchmarks/results/recipe_levers_cpu2_<date>.jsonl
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: Bound of the clipped z-scores (standard deviations) and the momentum of the weight average.
CLIP, EMA_MOMENTUM, MARGIN = 5.0, 0.99, 16


def _patch_clip() -> None:
    import numpy as np

    import fcad_lib.samples.normalize as normalize

    plain = normalize.scale

    def clipped(X, valid, mean, std):  # noqa: ANN001, ANN202 (same signature as plain)
        return np.clip(plain(X, valid, mean, std), -CLIP, CLIP)

    normalize.scale = clipped


def _patch_ema() -> None:
    import keras

    import fcad_lib.training.train as train

    train.keras.optimizers.Adam = functools.partial(keras.optimizers.Adam, use_ema=True,
                                                    ema_momentum=EMA_MOMENTUM)
    fit = keras.Model.fit

    def fit_with_swap(self, *args, callbacks=None, **kwargs):  # noqa: ANN001, ANN202
        # first in the list: validation and the checkpoint see the averaged weights
        swap = keras.callbacks.SwapEMAWeights(swap_on_epoch=True)
        return fit(self, *args, callbacks=[swap, *(callbacks or [])], **kwargs)

    keras.Model.fit = fit_with_swap


def _published_spec(cache: Path) -> dict:
    """The RS-DR spec of the published comparison (the FCADenseNet, blocked, seed 0 record)."""
    for path in sorted((cache / "experiments").glob("fcadensenet_blocked_seed0_*/result.json")):
        spec = json.loads(path.read_text())["spec"]
        if "deformation_rate" in spec["factors"]:
            return spec
    raise SystemExit(f"no FCADenseNet RS-DR record in {cache}/experiments")


def train_one(mode: str, job: str, cache: Path) -> dict:
    """Train one ``MODEL:SPLIT:SEED`` job under ``mode`` and score it."""
    if mode == "clip":
        _patch_clip()
    elif mode == "ema":
        _patch_ema()
    from fcad_lib.data.study_area import load_study_area
    from fcad_lib.training.experiments import ExperimentSpec, run_experiment

    model, split, seed = job.split(":")
    spec = ExperimentSpec.from_dict({**_published_spec(cache), "model": model, "split": split,
                                     "seed": int(seed)})
    ds = load_study_area("generated", resolution_m=12.5)
    t0 = time.perf_counter()
    r = run_experiment(ds, spec, tempfile.mkdtemp(prefix=f"levers_{mode}_"), verbose=0)
    published = cache / "experiments" / spec.slug / "result.json"
    cached = json.loads(published.read_text()) if published.exists() else None
    return {"benchmark": "recipe_levers", "mode": mode, "job": job, "slug": spec.slug,
            "val_ap": r.val_scores["ap"], "test_ap": r.ap, "test_f1": r.scores["f1"],
            "best_epoch": r.best_epoch, "converged": r.converged,
            "val_ap_curve": [round(v, 4) for v in r.curve["val_ap"]],
            "published_val_ap": cached and cached["val"]["ap"],
            "published_test_ap": cached and cached["ap"],
            "published_test_f1": cached and cached["test"]["f1"],
            "seconds": round(time.perf_counter() - t0, 1)}


def margin_scores(slugs: list[str], cache: Path, margin: int = MARGIN) -> None:
    """Print the test AP of cached networks scored alone and with a context margin.

    Each line also gives, for both, the test AP without the largest landslide of the test tiles
    and the share of that landslide's pixels among the top 1 % of test pixels: does a wider
    view let a network see a body larger than its tile?
    """
    import keras
    import numpy as np
    from sklearn.metrics import average_precision_score

    from fcad_lib.analysis.largest_object import ap_without_largest, label_objects
    from fcad_lib.data.study_area import load_study_area
    from fcad_lib.models import build_model
    from fcad_lib.training.experiments import ExperimentSpec, prepare_data

    ds = load_study_area("generated", resolution_m=12.5)
    objects = label_objects(ds["label"].values)
    prepared: dict = {}
    for slug in slugs:
        folder = cache / "experiments" / slug
        record = json.loads((folder / "result.json").read_text())
        spec = ExperimentSpec.from_dict({**record["spec"], "sampling": "foreground"})
        key = (spec.factors, spec.split, spec.seed)
        if key not in prepared:  # the networks of one split and seed share the inputs
            data = prepare_data(ds, spec)
            prepared[key] = data, data.normalizer.transform(data.stack.X, data.stack.valid)
        data, x_all = prepared[key]
        trained = keras.saving.load_model(folder / "model.keras", compile=False)
        stack, s = data.stack, spec.patch_size
        origins = data.patches.origins[data.splits["test"]]
        line = {"benchmark": "recipe_levers", "mode": "margin", "slug": slug,
                "model": spec.model, "split": spec.split, "seed": spec.seed,
                "published_test_ap": record["ap"]}
        for m in (0, margin):
            net = trained
            if m:
                net = build_model(spec.model, (s + 2 * m, s + 2 * m, x_all.shape[-1]),
                                  config=spec.model_config)
                net.set_weights(trained.get_weights())
            padded = np.pad(x_all, ((m, m + s), (m, m + s), (0, 0)))
            probs, labels, ids = [], [], []
            for i in range(0, len(origins), 8):
                batch = origins[i:i + 8]
                xb = np.stack([padded[r:r + s + 2 * m, c:c + s + 2 * m] for r, c in batch])
                p = np.asarray(net(xb, training=False))[..., 0][:, m:m + s, m:m + s]
                for k, (r, c) in enumerate(batch):
                    ok = stack.valid[r:r + s, c:c + s]
                    probs.append(p[k][ok])
                    labels.append(stack.y[r:r + s, c:c + s][ok] > 0)
                    ids.append(objects[r:r + s, c:c + s][ok])
            prob, label, obj = (np.concatenate(v) for v in (probs, labels, ids))
            line[f"test_ap_margin{m}"] = float(average_precision_score(label, prob))
            weight = ap_without_largest(prob, label, obj)
            flagged = prob >= np.quantile(prob, 0.99)
            line[f"test_ap_without_largest_margin{m}"] = weight["ap_without_largest"]
            line[f"largest_flagged_margin{m}"] = float(
                flagged[obj == weight["largest_object"]].mean())
        print(json.dumps(line), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["rerun", "clip", "ema", "margin"])
    parser.add_argument("jobs", nargs="+", help="MODEL:SPLIT:SEED (margin: run slugs)")
    parser.add_argument("--cache", type=Path, default=Path("runs/default"),
                        help="run folder of the published default run (its experiments/)")
    parser.add_argument("--margin", type=int, default=MARGIN,
                        help="margin mode: context pixels on each side of a test tile")
    args = parser.parse_args()
    if args.mode == "margin":
        margin_scores(args.jobs, args.cache, args.margin)
        return
    if len(args.jobs) != 1:
        sys.exit("one training job per process: the patches are process-wide")
    print(json.dumps(train_one(args.mode, args.jobs[0], args.cache)), flush=True)


if __name__ == "__main__":
    main()
