"""The commands of the path refuse bad input in one line, before TensorFlow is imported."""

from __future__ import annotations

import os
import subprocess
import sys

import rasterio

from fcad_lib.cli import evaluate, stack, train
from fcad_lib.cli.train import requested_factors
from tests.predict.helpers import ROOT, make_bundle

CASES = """
import sys
from fcad_lib.cli import evaluate, train
codes = [train.main(["small", "{t}/b1", "--factors", "B2", "B3", "--manifest", "{m}"]),
         train.main(["small", "{t}/b2", "--profile", "huge", "--manifest", "{m}"]),
         train.main(["no_dem", "{t}/b3", "--manifest", "{m}"]),
         evaluate.main(["{t}/bundle", "no_dem", "--manifest", "{m}"])]
print(codes, [m for m in ("tensorflow", "keras") if m in sys.modules])
"""


def test_train_and_evaluate_refuse_in_one_line_without_tensorflow(tmp_path, small_area):
    make_bundle(tmp_path / "bundle", ["slope"], [0.0], [1.0])
    code = CASES.format(t=tmp_path, m=small_area["manifest"])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.stdout.strip() == "[2, 2, 2, 2] []", proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 4, lines
    assert lines[0].startswith("fcad-train: error:")
    assert ("area 'small' has none of the factors ['B2', 'B3']; it has ['deformation_rate', "
            "'elevation', 'slope', 'aspect', 'curvature', 'lithology']") in lines[0]
    assert "no profile 'huge'; known: ['default', 'paper', 'quick']" in lines[1]
    assert "area 'no_dem' has no inventory to train on" in lines[2]
    assert lines[3].startswith("fcad-evaluate: error:") and "no inventory to score" in lines[3]


def test_factor_groups_expand_and_unknown_names_are_refused():
    assert requested_factors(["B2", "optical"]) == ["B2", "B3", "B4", "B8"]
    assert requested_factors(None)[0] == "deformation_rate"
    assert train.main(["small", "x", "--factors", "NDVI"]) == 2


def test_stack_writes_the_areas_factors_and_keeps_an_existing_file(tmp_path, small_area,
                                                                   capsys):
    out, manifest = tmp_path / "s.tif", str(small_area["manifest"])
    assert stack.main(["small", str(out), "--manifest", manifest]) == 0
    with rasterio.open(out) as src:
        assert list(src.descriptions) == ["deformation_rate", "elevation", "slope", "aspect",
                                          "curvature", "lithology"]
        assert src.res == (10.0, 10.0)
    capsys.readouterr()
    assert stack.main(["small", str(out), "--manifest", manifest]) == 2
    assert "output stack exists already; pass --overwrite" in capsys.readouterr().err
    assert stack.main(["small", str(out), "--manifest", manifest, "--overwrite",
                       "--resolution-m", "20"]) == 0
    with rasterio.open(out) as src:
        assert src.res == (20.0, 20.0)


def test_evaluate_names_a_folder_that_is_not_a_prediction(tmp_path, small_area, capsys):
    bundle = make_bundle(tmp_path / "bundle", ["slope"], [0.0], [1.0])
    assert evaluate.main([str(bundle), "small", "--manifest", str(small_area["manifest"]),
                          "--prediction", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "probability.tif: not an fcad-predict output folder" in err
