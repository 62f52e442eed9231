"""The Dask predictor (fcad_lib.predict.predict_raster_dask)."""

from __future__ import annotations

import numpy as np
import pytest

from fcad_lib import predict
from fcad_lib.predict import predict_raster
from tests.predict.helpers import FakePreprocessing, read, tiny_model, write_stack


def test_dask_path_equals_sequential(tmp_path):
    pytest.importorskip("dask")
    model, prep = tiny_model(), FakePreprocessing()
    stack = write_stack(tmp_path / "stack.tif", 150, 60)
    seq = predict_raster(model, prep, stack, tmp_path / "s", overlap=8, progress=False)
    par = predict.predict_raster_dask(model, prep, stack, tmp_path / "d", overlap=8,
                                      strips_per_block=2)
    np.testing.assert_array_equal(read(seq.probability), read(par.probability))
    np.testing.assert_array_equal(read(seq.landslide_map), read(par.landslide_map))
