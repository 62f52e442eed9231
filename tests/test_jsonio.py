"""No JSON file holds NaN or Infinity (fcad_lib.jsonio), not even notebook 01's class ratio."""

import json

import numpy as np
import pytest
import xarray as xr

from fcad_lib.analysis.describe import class_ratio
from fcad_lib.jsonio import dumps


def test_non_finite_values_become_null():
    text = dumps({"a": float("inf"), "b": [np.float32("nan"), 1.5, np.int64(3)], "c": (1, "x")})
    assert json.loads(text) == {"a": None, "b": [None, 1.5, 3], "c": [1, "x"]}
    assert "NaN" not in text and "Infinity" not in text


def test_class_ratio_without_landslide_pixels_is_valid_json():
    ds = xr.Dataset({"valid": (("y", "x"), np.ones((3, 3), bool)),
                     "label": (("y", "x"), np.zeros((3, 3), "uint8"))})
    ratio = class_ratio(ds)
    assert ratio["landslide_px"] == 0 and ratio["background_per_landslide"] is None
    json.dumps(ratio, allow_nan=False)  # used to hold float("inf")


def test_plain_json_would_have_refused():
    with pytest.raises(ValueError):
        json.dumps({"a": float("inf")}, allow_nan=False)
