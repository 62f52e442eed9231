"""Training lowers the loss on a problem a network can learn (a pixel rule on one channel)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fcad_lib.models import FCDenseNetConfig, build_model
from fcad_lib.samples import make_dataset
from fcad_lib.training.train import TrainConfig, set_reproducible, train_model


@pytest.mark.filterwarnings("ignore:no preprocessing given")
def test_training_learns_a_pixel_rule(tmp_path: Path) -> None:
    set_reproducible(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 16, 16, 2)).astype("float32")
    y = (x[..., :1] > 0.8).astype("float32")  # ~20 % positives, channel 1 is noise
    w = np.ones_like(y)
    train_ds = make_dataset(x[:40], y[:40], w[:40], batch_size=8, shuffle=True, seed=0,
                            repeat=True)
    val_ds = make_dataset(x[40:], y[40:], w[40:], batch_size=8, shuffle=False)
    small = FCDenseNetConfig(n_first_filters=8, growth_rate=4, layers_per_block=1, n_pool=2)
    model = build_model("fcadensenet", (16, 16, 2), config=small, reduction=2)
    config = TrainConfig(epochs=3, steps_per_epoch=12, learning_rate=1e-2, verbose=0)
    fit = train_model(model, train_ds, val_ds, tmp_path, config)
    loss = fit.history["val_loss"].to_numpy()
    # the validation loss falls well below its first epoch and the rule is found
    assert loss.min() < 0.5 * loss[0]
    assert fit.val_scores["f1"] > 0.8
