"""The predictor compares the target grid's pixel size with the bundle's training grid."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from fcad_lib.bundle import Preprocessing, TrainingGrid
from fcad_lib.errors import ResolutionMismatchError
from fcad_lib.predict import cli
from fcad_lib.predict.resolution import NoTrainingGridWarning, check_resolution
from tests.predict.helpers import FACTORS, make_bundle, tiny_model_of, with_grid, write_stack


@pytest.fixture
def bundle(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "load_model", tiny_model_of)
    return make_bundle(tmp_path / "bundle", list(FACTORS), [1.0] * 3, [0.5] * 3)


def _run(args):
    return cli.main([*args, "--overlap", "4", "--no-progress"])


def test_a_grid_far_from_the_training_grid_is_refused_in_one_line(tmp_path, bundle, capsys):
    stack = write_stack(tmp_path / "stack.tif", 40, 40)  # 12.5 m pixels
    with_grid(bundle, 30.0)
    assert _run([str(bundle), str(stack), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("fcad-predict: error:")
    assert "12.5 m pixels, 2.40x finer than the 30 m the model was trained on" in err
    assert "--allow-resolution-mismatch" in err
    assert not (tmp_path / "out").exists()  # refused before anything is written


def test_the_flag_maps_it_and_the_json_records_it(tmp_path, bundle, capsys):
    stack = write_stack(tmp_path / "stack.tif", 40, 40)
    with_grid(bundle, 30.0)
    assert _run([str(bundle), str(stack), str(tmp_path / "out"),
                 "--allow-resolution-mismatch"]) == 0
    grid = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["grid"]
    assert grid == {"training_resolution_m": 30.0, "target_resolution_m": 12.5, "ratio": 2.4,
                    "mismatch": True, "allow_resolution_mismatch": True}


def test_a_close_grid_is_mapped_without_a_word(tmp_path, bundle, capsys):
    stack = write_stack(tmp_path / "stack.tif", 40, 40)
    with_grid(bundle, 17.0)  # 1.36x
    assert _run([str(bundle), str(stack), str(tmp_path / "out")]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out.strip().splitlines()[-1])["grid"]["mismatch"] is False
    assert "warning" not in out.err


def test_an_area_grid_is_checked_before_the_stack_is_built(tmp_path, small_area, monkeypatch,
                                                          capsys):
    monkeypatch.setattr(cli, "load_model", tiny_model_of)
    factors = ["deformation_rate", "slope"]
    bundle = with_grid(make_bundle(tmp_path / "b", factors, [0.0] * 2, [1.0] * 2), 5.0)

    class Built(Exception):
        pass

    def build(*args, **kwargs):
        raise Built

    monkeypatch.setattr(cli, "build_factor_stack", build)
    assert _run([str(bundle), "small", str(tmp_path / "o"), "--manifest",
                 str(small_area["manifest"])]) == 2
    assert "10 m pixels, 2.00x coarser than the 5 m" in capsys.readouterr().err
    with pytest.raises(Built):  # at 6 m the check passes and the stack is built
        _run([str(bundle), "small", str(tmp_path / "o2"), "--manifest",
              str(small_area["manifest"]), "--resolution-m", "6"])


def test_an_old_bundle_without_a_grid_warns_once_and_goes_on(tmp_path, bundle, capsys):
    stack = write_stack(tmp_path / "stack.tif", 40, 40)
    assert _run([str(bundle), str(stack), str(tmp_path / "out")]) == 0
    out = capsys.readouterr()
    assert out.err.count("records no training grid") == 1
    assert json.loads(out.out.strip().splitlines()[-1])["grid"]["training_resolution_m"] is None


def test_check_resolution_both_ways():
    prep = Preprocessing(["a"], ["a"], "onehot", [], [0.0], [1.0], 16,
                         grid=TrainingGrid(12.5, None, {"a": "m"}, 16))
    assert check_resolution(prep, 18.75, "x")["ratio"] == 1.5  # the bound itself is accepted
    with pytest.raises(ResolutionMismatchError, match="coarser"):
        check_resolution(prep, 19.0, "x")
    with pytest.raises(ResolutionMismatchError, match="finer"):
        check_resolution(prep, 8.0, "x")
    with pytest.warns(NoTrainingGridWarning):
        check_resolution(replace(prep, grid=None), 100.0, "x")
