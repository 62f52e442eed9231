"""Trace once per architecture: a pooled model trains like a freshly built one."""

import numpy as np
import pytest

from fcad_lib.models import build_model
from fcad_lib.training import experiments, reuse
from fcad_lib.training.experiments import FACTOR_GROUPS, ExperimentSpec, run_experiment
from tests.training.test_experiments import _stack


def test_adopt_keeps_the_first_model_and_copies_later_ones():
    pool = reuse.ModelPool()
    first = build_model("fcadensenet", (32, 32, 3), config="tiny")
    assert pool.adopt("k", first) is first
    second = build_model("fcadensenet", (32, 32, 3), config="tiny")
    assert pool.adopt("k", second) is first
    for a, b in zip(first.variables, second.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(a.value), np.asarray(b.value))
    with pytest.raises(ValueError, match="not the same architecture"):
        pool.adopt("k", build_model("fcadensenet", (32, 32, 4), config="tiny"))


@pytest.mark.slow
def test_pooled_model_gives_the_result_of_a_fresh_one(tmp_path, monkeypatch):
    """Seed 0 after seed 1 on the pooled model = seed 0 on a fresh model, bit for bit.

    Fails if the optimizer state (Adam moments, step count, a reduced learning rate) or the
    weights of the earlier run leak into the next one, and if the pool retraces (compiles).
    """
    ds = _stack()
    spec = ExperimentSpec("fcdensenet", FACTOR_GROUPS["RS-DR"], model_config="tiny",
                          patch_size=32, stride=32, epochs=2, steps_per_epoch=3,
                          learning_rate=1e-2, reduce_lr_patience=0)
    monkeypatch.setattr(experiments, "MODEL_POOL", reuse.ModelPool())
    fresh = run_experiment(ds, spec, tmp_path / "fresh", verbose=0)

    monkeypatch.setattr(experiments, "MODEL_POOL", reuse.ModelPool())
    run_experiment(ds, ExperimentSpec(**{**spec.__dict__, "seed": 1}), tmp_path / "pool",
                   verbose=0)
    pooled_model = next(iter(experiments.MODEL_POOL._models.values()))
    compiled = pooled_model.train_function
    again = run_experiment(ds, spec, tmp_path / "pool", verbose=0)
    assert pooled_model.train_function is compiled  # not compiled (traced) again

    assert again.threshold == fresh.threshold
    np.testing.assert_array_equal(again.tile_counts, fresh.tile_counts)
    assert again.scores == fresh.scores
