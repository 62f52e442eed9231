"""Tests of fcad_lib.bundle: preprocessing, save / load, compatibility with a stack."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fcad_lib import samples
from fcad_lib.bundle import (
    CONFIG_FILE,
    MODEL_FILE,
    PREPROCESSING_FILE,
    Preprocessing,
    check_compatible,
    load_bundle,
    save_bundle,
)
from fcad_lib.errors import MissingFileError
from tests.samples.stacks import FACTORS, make_stack


def test_preprocessing_json_round_trip_and_encode_matches_transform(tmp_path):
    ds = make_stack()
    p = samples.extract_patches(ds, FACTORS, size=8, stride=8)
    norm = samples.Normalizer().fit(p)
    prep = Preprocessing.from_patches(p, norm, threshold=0.37, model_name="fcadensenet")
    prep.to_json(tmp_path / "preprocessing.json")
    loaded = Preprocessing.from_json(tmp_path / "preprocessing.json")
    assert loaded == prep and loaded.threshold == 0.37 and loaded.patch_size == 8
    i = int(np.flatnonzero((p.origins == [8, 8]).all(axis=1))[0])
    r, c = p.origins[i]
    raw = {v: ds[v].values[r : r + 8, c : c + 8] for v in ds.data_vars}  # extra keys ignored
    x, valid = loaded.encode(raw)
    np.testing.assert_array_equal(valid, p.valid[i, ..., 0])
    np.testing.assert_allclose(x, norm.transform(p.X[i], p.valid[i]), rtol=0, atol=1e-6)
    assert (x[2, 2, 3:] == 0).all()  # NaN lithology -> all-zero one-hot


def test_preprocessing_encode_names_missing_factors():
    p = samples.extract_patches(make_stack(), FACTORS, size=8, stride=8)
    prep = Preprocessing.from_patches(p, samples.Normalizer().fit(p))
    with pytest.raises(ValueError, match="deformation_rate"):
        prep.encode({"elevation": np.zeros((8, 8)), "slope": np.zeros((8, 8)),
                     "lithology": np.ones((8, 8))})  # fmt: skip


class _Model:
    """Stands in for a Keras model: only ``input_shape`` is read."""

    def __init__(self, channels: int) -> None:
        self.input_shape = (None, 8, 8, channels)


def test_check_compatible_maps_bands_by_name_and_names_problems():
    p = samples.extract_patches(make_stack(), FACTORS, size=8, stride=8)
    prep = Preprocessing.from_patches(p, samples.Normalizer().fit(p))
    n = len(prep.channels)  # 3 factors + 3 one-hot lithology codes
    assert n == 6
    stack = ["lithology", "B2", "slope", "deformation_rate", "elevation"]
    assert check_compatible(_Model(n), prep, stack) == [4, 5, 3, 1]
    with pytest.raises(ValueError, match="expects 5 input channels"):
        check_compatible(_Model(5), prep, stack)
    with pytest.raises(ValueError, match=r"lacks factor\(s\) \['slope'\]"):
        check_compatible(_Model(n), prep, ["lithology", "deformation_rate", "elevation"])


def test_save_and_load_bundle_names_missing_files(tmp_path):
    p = samples.extract_patches(make_stack(), FACTORS, size=8, stride=8)
    prep = Preprocessing.from_patches(p, samples.Normalizer().fit(p), threshold=0.4)
    with pytest.raises(MissingFileError, match="does not exist"):
        load_bundle(tmp_path / "nope")
    save_bundle(tmp_path, preprocessing=prep, config={"epochs": 3})
    assert Preprocessing.from_json(tmp_path / PREPROCESSING_FILE) == prep
    assert json.loads((tmp_path / CONFIG_FILE).read_text()) == {"epochs": 3}
    with pytest.raises(FileNotFoundError, match=MODEL_FILE):  # MissingFileError is one
        load_bundle(tmp_path)


def test_training_grid_is_recorded_and_old_bundles_still_load(tmp_path, small_area):
    from fcad_lib.bundle import TrainingGrid
    from fcad_lib.data.study_area import load_study_area

    ds = load_study_area("small", manifest=small_area["manifest"])
    grid = TrainingGrid.of_stack(ds, ["deformation_rate", "slope"], 16, profile="quick")
    assert grid == TrainingGrid(10.0, "EPSG:32647", {"deformation_rate": "mm/yr",
                                                    "slope": "degree"}, 16, "quick")
    p = samples.extract_patches(make_stack(), FACTORS, size=8, stride=8)
    prep = Preprocessing.from_patches(p, samples.Normalizer().fit(p), grid=grid)
    prep.to_json(tmp_path / PREPROCESSING_FILE)
    assert Preprocessing.from_json(tmp_path / PREPROCESSING_FILE).grid == grid
    old = json.loads((tmp_path / PREPROCESSING_FILE).read_text())
    del old["grid"]  # a bundle written before grids were recorded
    (tmp_path / PREPROCESSING_FILE).write_text(json.dumps(old))
    assert Preprocessing.from_json(tmp_path / PREPROCESSING_FILE).grid is None
    # a toy stack without a CRS still states its pixel size
    assert TrainingGrid.of_stack(make_stack(), FACTORS, 8).resolution_m == 12.5
