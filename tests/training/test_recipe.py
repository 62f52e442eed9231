"""The learning-rate schedule and the convergence rule of the training recipe."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd

from fcad_lib.training.recipe import RECIPES, WarmupPoly
from fcad_lib.training.train import TrainConfig, converged


def test_warmup_rises_to_the_peak_then_decays_to_the_floor() -> None:
    sched = WarmupPoly(1e-2, total_steps=100, warmup_steps=10, floor=0.02)
    lr = np.array([float(sched(s)) for s in range(100)])
    assert lr[0] < lr[5] < lr[9] and np.isclose(lr[9], 1e-2)
    assert np.isclose(lr[10], 1e-2) and (np.diff(lr[10:]) <= 1e-12).all()
    assert np.isclose(float(sched(100)), 2e-4)  # floor x peak at the end
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(sched))
    assert float(again(37)) == float(sched(37))


def test_train_config_builds_the_schedule_over_the_whole_run() -> None:
    cfg = TrainConfig(epochs=4, steps_per_epoch=25, learning_rate=3e-3,
                      lr_schedule="warmup_poly", warmup_fraction=0.1)
    sched = cfg.learning_rate_value()
    assert (sched.total_steps, sched.warmup_steps, sched.peak) == (100, 10, 3e-3)
    assert TrainConfig(learning_rate=1e-4).learning_rate_value() == 1e-4


def test_recipes_differ_where_the_book_says() -> None:
    assert RECIPES["paper"]["loss"] == "bce" and RECIPES["paper"]["sampling"] == "grid"
    assert RECIPES["rare-foreground"]["monitor"] == "val_ap"


def _history(values: list[float], col: str = "val_ap") -> pd.DataFrame:
    return pd.DataFrame({"epoch": range(len(values)), col: values})


def test_convergence_rule() -> None:
    assert converged(_history([0.1, 0.2, 0.3, 0.31, 0.3, 0.305, 0.29, 0.31]), "val_ap")
    assert not converged(_history([0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6]), "val_ap")
    assert not converged(_history([0.1, 0.2, 0.3]), "val_ap")  # too short to show a plateau
    assert converged(_history([0.1, 0.2, 0.3]), "val_ap", stopped_early=True)
    # a loss: lower is better
    assert converged(_history([1.0, 0.5, 0.4, 0.39, 0.395, 0.41], "val_loss"), "val_loss")
    assert not converged(_history([1.0, 0.8, 0.6, 0.5, 0.3, 0.2], "val_loss"), "val_loss")
