"""What run_experiment records for the statistics: per-tile counts, convergence, augmentation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fcad_lib.training.experiments import (
    FACTOR_GROUPS,
    ExperimentSpec,
    prepare_data,
    run_experiment,
)
from tests.training.test_experiments import _stack


@pytest.mark.slow
def test_result_holds_tile_counts_and_convergence_flags(tmp_path) -> None:
    ds = _stack()
    spec = ExperimentSpec("fcadensenet", FACTOR_GROUPS["RS-DR"], model_config="tiny",
                          patch_size=32, stride=32, epochs=3, steps_per_epoch=2,
                          learning_rate=1e-3)
    result = run_experiment(ds, spec, tmp_path, verbose=0)
    data = prepare_data(ds, spec)
    tiles = result.tile_counts
    assert tiles.shape == (len(data.splits["test"]), 4)
    assert dict(zip(("tp", "fp", "fn", "tn"), tiles.sum(0).tolist(), strict=True)) \
        == result.test_counts
    # TP + FN per tile = that tile's valid landslide pixels
    x, y, w = data.arrays["test"]
    np.testing.assert_array_equal(tiles[:, 0] + tiles[:, 2],
                                  ((y > 0.5) & (w > 0)).reshape(len(y), -1).sum(1))
    np.testing.assert_array_equal(result.record["test_tile_origins"],
                                  data.patches.origins[data.splits["test"]])
    history = pd.read_csv(tmp_path / "experiments" / spec.slug / "history.csv")
    assert result.epochs_run == len(history)
    assert result.best_epoch == int(history["epoch"][history["val_loss"].idxmin()])
    assert result.unconverged == (result.best_epoch == len(history) - 1)
    # the deformation rate, aspect and optical bands are directional: no dihedral transforms
    assert result.record["augmented"] is False
    assert 0.0 <= result.ap <= 1.0 and result.scores["ap"] == result.ap
