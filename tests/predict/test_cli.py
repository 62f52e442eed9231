"""The command line (fcad_lib.predict.cli)."""

from __future__ import annotations

import pytest

from fcad_lib import predict
from tests.predict.helpers import FakePreprocessing, tiny_model, write_stack


def test_cli_on_stack(tmp_path, monkeypatch):
    """main() with a stack path and a stand-in model loader (bundle.py is tested elsewhere)."""
    from fcad_lib.bundle import MODEL_FILE, Preprocessing

    fake = FakePreprocessing()
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / MODEL_FILE).write_bytes(b"")
    Preprocessing(channels=fake.channels, factors=fake.factors, lithology_encoding="onehot",
                  lithology_codes=[], mean=fake.mean, std=fake.std, patch_size=fake.patch_size,
                  threshold=fake.threshold).to_json(tmp_path / "bundle" / "preprocessing.json")
    monkeypatch.setattr("fcad_lib.predict.cli.load_model", lambda path: tiny_model())
    stack = write_stack(tmp_path / "stack.tif", 50, 40)
    out = tmp_path / "out"
    assert predict.main([str(tmp_path / "bundle"), str(stack), str(out), "--overlap", "8",
                         "--threshold", "0.55", "--no-progress"]) == 0
    assert {p.name for p in out.iterdir()} == {"probability.tif", "landslide_map.tif",
                                               "polygons.gpkg"}


def test_cli_reports_bad_input_without_traceback(tmp_path, capsys):
    from fcad_lib.predict import main

    code = main([str(tmp_path / "no_bundle"), str(tmp_path / "no_stack.tif"), str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("fcad-predict: error:") and "Traceback" not in err


def test_predict_area_names_options_passed_as_keywords(tmp_path):
    from fcad_lib.predict import predict_area

    with pytest.raises(TypeError, match=r"pass on_domain, strict as options=MapOptions"):
        predict_area(tmp_path / "bundle", tmp_path / "s.tif", tmp_path / "out", strict=True,
                     on_domain=print)
