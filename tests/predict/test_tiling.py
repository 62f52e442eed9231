"""Tiling and blending (fcad_lib.predict.tiling), through predict_raster."""

from __future__ import annotations

import numpy as np
import pytest

from fcad_lib.predict import predict_raster, seam_score
from tests.predict.helpers import (
    FakePreprocessing,
    plain_tiling,
    position_model,
    read,
    tiny_model,
    write_stack,
)


# -------------------------------------------------------------------------------------- tests
def test_overlap0_equals_plain_tiling(tmp_path):
    model, prep = tiny_model(), FakePreprocessing()
    stack = write_stack(tmp_path / "stack.tif", 100, 70)  # not a multiple of the tile: edge tiles
    res = predict_raster(model, prep, stack, tmp_path / "out", overlap=0, window_fn="hann",
                         batch_size=3, progress=False)
    np.testing.assert_array_equal(read(res.probability), plain_tiling(model, prep, stack, 32))


def test_blending_reduces_seams(tmp_path):
    model, prep = position_model(), FakePreprocessing()
    stack = write_stack(tmp_path / "stack.tif", 96, 96, nan_frac=0.0)
    plain = read(predict_raster(model, prep, stack, tmp_path / "p", overlap=0,
                                progress=False).probability)
    blend = read(predict_raster(model, prep, stack, tmp_path / "b", overlap=16,
                                progress=False).probability)
    s_plain, s_blend = seam_score(plain, 32, 0), seam_score(blend, 32, 16)
    assert s_plain > 2.0  # the position-dependent model does leave seams
    assert s_blend < 0.5 * s_plain


def test_tiling_plan_takes_the_bundle_defaults_and_refuses_bad_settings():
    from fcad_lib.predict.tiling import TilingPlan, resolve_plan, weight_window
    from tests.predict.helpers import FakePreprocessing

    prep = FakePreprocessing(patch_size=48, threshold=0.3)
    plan = TilingPlan.of(prep, overlap=8)
    assert (plan.tile, plan.threshold, plan.overlap, plan.batch_size) == (48, 0.3, 8, 8)
    np.testing.assert_array_equal(plan.weights, weight_window(48, 8, "hann"))
    assert TilingPlan.of(prep, tile=16, threshold=0.7, overlap=0).tile == 16
    assert resolve_plan(prep, plan, {}) is plan
    assert resolve_plan(prep, None, {"overlap": 8}) == plan
    with pytest.raises(TypeError, match="not both"):
        resolve_plan(prep, plan, {"overlap": 4})
    with pytest.raises(ValueError, match="overlap must be in"):
        TilingPlan.of(prep, overlap=48)
    with pytest.raises(ValueError, match="window_fn"):
        TilingPlan.of(prep, window_fn="gauss")
