"""Early stopping, the learning-rate schedule and the flag of a run that had not converged."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from fcad_lib.models import FCDenseNetConfig, build_model
from fcad_lib.samples import make_dataset
from fcad_lib.training.train import TrainConfig, set_reproducible, train_model

SMALL = FCDenseNetConfig(n_first_filters=4, growth_rate=2, layers_per_block=1, n_pool=1)


def _data() -> tuple:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 8, 8, 2)).astype("float32")
    y = (x[..., :1] > 0.5).astype("float32")
    return (make_dataset(x[:12], y[:12], batch_size=4, seed=0, repeat=True),
            make_dataset(x[12:], y[12:], batch_size=4, shuffle=False))


@pytest.mark.filterwarnings("ignore:no preprocessing given")
def test_a_stalled_run_stops_early_and_is_not_flagged(tmp_path: Path) -> None:
    set_reproducible(0)
    train_ds, val_ds = _data()
    # a learning rate of 0 and no batch normalisation: the validation loss never changes
    inputs = keras.Input((8, 8, 2))
    model = keras.Model(inputs, keras.layers.Conv2D(1, 1, activation="sigmoid")(inputs))
    config = TrainConfig(epochs=6, steps_per_epoch=2, learning_rate=0.0, verbose=0,
                         early_stopping_patience=2, reduce_lr_patience=1)
    fit = train_model(model, train_ds, val_ds, tmp_path, config)
    assert len(fit.history) == 3  # epoch 0, then 2 epochs of patience
    assert fit.best_epoch == 0 and fit.last_epoch == 2 and not fit.unconverged


@pytest.mark.filterwarnings("ignore:no preprocessing given")
def test_a_run_still_improving_at_its_last_epoch_is_flagged(tmp_path: Path) -> None:
    set_reproducible(0)
    train_ds, val_ds = _data()
    model = build_model("fcdensenet", (8, 8, 2), config=SMALL)
    config = TrainConfig(epochs=3, steps_per_epoch=4, learning_rate=1e-2, verbose=0,
                         early_stopping_patience=2)
    fit = train_model(model, train_ds, val_ds, tmp_path, config)
    loss = fit.history["val_loss"].to_numpy()
    assert fit.unconverged == (int(np.argmin(loss)) == len(loss) - 1)
    assert fit.unconverged  # three epochs of a learnable rule: still improving
