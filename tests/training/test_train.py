"""Tests of fcad_lib.training.train: bundle, resume after an interruption, reproducibility."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from fcad_lib.bundle import Preprocessing, load_bundle
from fcad_lib.evaluation import metrics
from fcad_lib.plots import plot_learning_curves
from fcad_lib.training import train

SIZE, CHANNELS = 16, 3


def _tiny_model(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inp = keras.Input((SIZE, SIZE, CHANNELS))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    x = keras.layers.Dropout(0.2)(x)
    out = keras.layers.Conv2D(1, 1, activation="sigmoid")(x)
    return keras.Model(inp, out)


def _arrays(n: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, SIZE, SIZE, CHANNELS)).astype("float32")
    y = (x[..., :1] > 0.8).astype("float32")  # learnable: landslide where channel 0 is high
    w = (rng.random(y.shape) < 0.9).astype("float32")
    return x, y, w


def _datasets(seed: int = 0):
    x, y, w = _arrays(seed=seed)
    train_ds = (tf.data.Dataset.from_tensor_slices((x[:8], y[:8], w[:8]))
                .shuffle(8, seed=seed).batch(4).repeat())
    val_ds = tf.data.Dataset.from_tensor_slices((x[8:], y[8:], w[8:])).batch(4)
    return train_ds, val_ds


def _preprocessing() -> Preprocessing:
    return Preprocessing(channels=["deformation_rate", "B2", "slope"],
                         factors=["deformation_rate", "B2", "slope"],
                         lithology_encoding="onehot", lithology_codes=[],
                         mean=[1.5, 0.1, 20.0], std=[3.0, 0.05, 10.0], patch_size=SIZE)


def _config(epochs: int = 2, **kw) -> train.TrainConfig:
    return train.TrainConfig(epochs=epochs, steps_per_epoch=2, batch_size=4,
                             learning_rate=1e-2, verbose=0, **kw)


def test_train_writes_bundle_and_round_trips(tmp_path):
    train_ds, val_ds = _datasets()
    model = _tiny_model()
    prep = _preprocessing()
    result = train.train_model(model, train_ds, val_ds, tmp_path / "run", _config(), prep)

    for name in ("model.keras", "preprocessing.json", "history.csv", "train_config.json"):
        assert (tmp_path / "run" / name).is_file(), name
    assert not (tmp_path / "run" / "backup").exists()  # removed after a finished fit
    assert list(result.history["epoch"]) == [0, 1]
    assert {"loss", "val_loss"} <= set(result.history.columns)
    assert result.epochs_run == 2 and result.initial_epoch == 0
    assert result.best_epoch == int(result.history.loc[result.history["val_loss"].idxmin(),
                                                       "epoch"])
    assert 0.0 < result.threshold < 1.0 and prep.threshold == result.threshold
    assert json.loads((tmp_path / "run" / "train_config.json").read_text())["epochs"] == 2

    assert result.model is model  # what run_experiment scores, holding the best weights
    loaded, prep2 = load_bundle(result.bundle_dir, preprocessing_cls=Preprocessing)
    x, y, w = _arrays(seed=1)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert prep2.channels == prep.channels and prep2.mean == prep.mean
    assert prep2.std == prep.std and prep2.threshold == result.threshold

    # The validation counts are those of the saved model at the chosen threshold.
    direct = metrics.ConfusionCounts()
    for xb, yb, wb in val_ds:
        direct.update(yb.numpy(), loaded.predict_on_batch(xb), result.threshold, wb.numpy())
    assert direct == result.val_counts

    fig = plot_learning_curves(result.history)
    assert len(fig.axes[0].lines) >= 2


def test_load_bundle_names_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_bundle(tmp_path / "nope")
    (tmp_path / "model.keras").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="preprocessing.json"):
        load_bundle(tmp_path)


class _Crash(Exception):
    pass


class _CrashAtEpochEnd(keras.callbacks.Callback):
    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise _Crash(f"killed at the end of epoch {epoch}")


def test_resume_after_interruption(tmp_path):
    out = tmp_path / "run"
    train_ds, val_ds = _datasets()
    with pytest.raises(_Crash):
        train.train_model(_tiny_model(), train_ds, val_ds, out, _config(epochs=4),
                          _preprocessing(), callbacks=[_CrashAtEpochEnd(1)])
    meta = json.loads((out / "backup" / "training_metadata.json").read_text())
    assert meta["epoch"] == 2
    assert list(pd.read_csv(out / "history.csv")["epoch"]) == [0, 1]
    assert not (out / "preprocessing.json").exists()

    # A new process would build a fresh model: its weights must come from the backup.
    result = train.train_model(_tiny_model(seed=99), *_datasets(), out, _config(epochs=4),
                               _preprocessing())
    assert result.initial_epoch == 2 and result.epochs_run == 2
    assert list(result.history["epoch"]) == [0, 1, 2, 3]
    assert list(pd.read_csv(out / "history.csv")["epoch"]) == [0, 1, 2, 3]
    assert (out / "preprocessing.json").exists() and not (out / "backup").exists()

    # After a finished run the same folder trains afresh (history is not appended to).
    again = train.train_model(_tiny_model(), *_datasets(), out, _config(epochs=1),
                              _preprocessing())
    assert again.initial_epoch == 0 and list(again.history["epoch"]) == [0]


_REPRO_SCRIPT = textwrap.dedent("""
    import hashlib, sys, tempfile, warnings
    sys.path.insert(0, {tests!r})
    import keras
    from fcad_lib.training import train
    import test_train as t

    digests = []
    for seed in {seeds!r}:
        train.set_reproducible(seed)
        inp = keras.Input((t.SIZE, t.SIZE, t.CHANNELS))
        x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
        x = keras.layers.Dropout(0.2)(x)
        model = keras.Model(inp, keras.layers.Conv2D(1, 1, activation="sigmoid")(x))
        with tempfile.TemporaryDirectory() as d, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            train.train_model(model, *t._datasets(), d, t._config(epochs=2), None)
        h = hashlib.sha256(b"".join(w.tobytes() for w in model.get_weights())).hexdigest()
        digests.append(h)
    print("DIGESTS", *digests)
""")


@pytest.mark.slow
def test_same_seed_same_weights():
    # A subprocess: op determinism and the thread setting are process-wide and best set
    # before TensorFlow starts, so they must not leak into the other tests.
    script = _REPRO_SCRIPT.format(tests=str(Path(__file__).parent), seeds=[0, 0, 1])
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("DIGESTS")][-1]
    first, second, other_seed = line.split()[1:]
    assert first == second
    assert other_seed != first  # the digest does depend on the seed


def test_train_model_under_mirrored_strategy(tmp_path):
    """Multi-GPU training is MirroredStrategy: build and train inside its scope (one CPU here)."""
    from fcad_lib.models import build_model
    from fcad_lib.samples import make_dataset

    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 32, 32, 3)).astype("float32")
    y = (x[..., :1] > 1).astype("float32")
    data = make_dataset(x, y, np.ones_like(y), batch_size=4, shuffle=False)
    with strategy.scope():
        model = build_model("fcadensenet", (32, 32, 3), config="tiny")
        with pytest.warns(RuntimeWarning, match="no preprocessing"):
            result = train.train_model(model, data, data, tmp_path,
                                       train.TrainConfig(epochs=1, steps_per_epoch=2, verbose=0))
    assert model.distribute_strategy is strategy
    assert (tmp_path / "model.keras").exists()
    assert 0.0 < result.threshold < 1.0
