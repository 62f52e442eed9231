"""fcad-predict on a user's data: output folder, resume, domain, fail fast (issue 10)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio

from fcad_lib.data.study_area import load_study_area
from fcad_lib.predict import cli
from fcad_lib.predict.polygons import vectorize
from tests.predict.helpers import ROOT, make_bundle, read, tiny_model_of, write_stack

AREA_FACTORS = ["deformation_rate", "slope", "lithology"]
STACK_FACTORS = ["deformation_rate", "elevation", "slope"]
REAL_PREDICT = cli.predict_raster


class Killed(Exception):
    """Stands in for a kill: raised from inside the predictor, so nothing is cleaned up."""


@pytest.fixture
def area_bundle(tmp_path, small_area, monkeypatch):
    """A bundle whose normaliser fits the small area (so no domain warning), and the manifest."""
    ds = load_study_area("small", manifest=small_area["manifest"])
    valid = ds["valid"].values
    stats = [(float(ds[f].values[valid].mean()), float(ds[f].values[valid].std()))
             for f in AREA_FACTORS[:2]]
    bundle = make_bundle(tmp_path / "area_bundle", AREA_FACTORS, [m for m, _ in stats] + [0.0, 0.0],
                     [s for _, s in stats] + [1.0, 1.0], codes=[1, 2])
    monkeypatch.setattr(cli, "load_model", tiny_model_of)
    return bundle, str(small_area["manifest"])


@pytest.fixture
def stack_bundle(tmp_path, monkeypatch):
    bundle = make_bundle(tmp_path / "stack_bundle", STACK_FACTORS, [1.0] * 3, [0.5] * 3)
    monkeypatch.setattr(cli, "load_model", tiny_model_of)
    return bundle, write_stack(tmp_path / "stack.tif", 60, 40)


def _strips(monkeypatch, kill_after: int | None = None) -> list[int]:
    """Record the predictor's finished strips; raise ``Killed`` after ``kill_after`` of them."""
    seen: list[int] = []

    def hooked(*args, **kwargs):
        def on_strip(done: int) -> None:
            seen.append(done)
            if kill_after is not None and done == kill_after:
                raise Killed

        return REAL_PREDICT(*args, **kwargs, on_strip_done=on_strip)

    monkeypatch.setattr(cli, "predict_raster", hooked)
    return seen


def _run(args: list[str]) -> int:
    return cli.main([*args, "--overlap", "4", "--no-progress"])


# ------------------------------------------------------------------------------ resume
def test_killed_area_run_resumes_without_rewriting_the_stack(tmp_path, area_bundle, monkeypatch):
    bundle, manifest = area_bundle
    args = [str(bundle), "small", str(tmp_path / "out"), "--manifest", manifest]
    ref_args = [str(bundle), "small", str(tmp_path / "ref"), "--manifest", manifest]
    assert _run(ref_args) == 0
    _strips(monkeypatch, kill_after=1)
    with pytest.raises(Killed):
        _run(args)
    [staged] = (tmp_path / "out" / ".staging").glob("*/factors.tif")  # the run's own folder
    before = (staged.stat().st_ino, staged.stat().st_mtime_ns)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".staging"]
    seen = _strips(monkeypatch)
    assert _run(args) == 0  # the same command
    assert seen[0] == 2  # resumed after the first strip, not redone
    factors = tmp_path / "out" / "factors.tif"
    assert (factors.stat().st_ino, factors.stat().st_mtime_ns) == before  # not rewritten
    for name in ("probability.tif", "landslide_map.tif"):
        np.testing.assert_array_equal(read(tmp_path / "out" / name),
                                      read(tmp_path / "ref" / name))


def test_killed_stack_run_resumes(tmp_path, stack_bundle, monkeypatch):
    bundle, stack = stack_bundle
    assert _run([str(bundle), str(stack), str(tmp_path / "ref")]) == 0
    os.utime(stack)  # a touched file is the same content: still resumable
    _strips(monkeypatch, kill_after=2)
    with pytest.raises(Killed):
        _run([str(bundle), str(stack), str(tmp_path / "out")])
    os.utime(stack, ns=(1, 1))
    seen = _strips(monkeypatch)
    assert _run([str(bundle), str(stack), str(tmp_path / "out")]) == 0
    assert seen[0] == 3
    np.testing.assert_array_equal(read(tmp_path / "out" / "probability.tif"),
                                  read(tmp_path / "ref" / "probability.tif"))


# ------------------------------------------------------------------------- output folder
def test_non_empty_output_folder_needs_overwrite(tmp_path, stack_bundle, capsys):
    bundle, stack = stack_bundle
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert _run([str(bundle), str(stack), str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("fcad-predict: error:") and "\n" not in err
    assert "not empty (notes.txt); pass --overwrite" in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert _run([str(bundle), str(stack), str(out), "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["landslide_map.tif", "notes.txt",
                                                     "polygons.gpkg", "probability.tif"]


def test_failed_run_leaves_the_previous_outputs_untouched(tmp_path, area_bundle, stack_bundle,
                                                          monkeypatch):
    bundle, manifest = area_bundle
    out = tmp_path / "out"
    assert _run([str(bundle), "small", str(out), "--manifest", manifest]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _strips(monkeypatch, kill_after=1)
    with pytest.raises(Killed):
        _run([str(bundle), "small", str(out), "--manifest", manifest, "--overwrite",
              "--threshold", "0.9"])
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != ".staging"} == before
    # a later run from a stack path replaces the area run's files, factors.tif included
    _strips(monkeypatch)
    s_bundle, stack = stack_bundle
    assert _run([str(s_bundle), str(stack), str(out), "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["landslide_map.tif", "polygons.gpkg",
                                                     "probability.tif"]
    with rasterio.open(out / "probability.tif") as src:
        assert src.shape == (60, 40)


# ------------------------------------------------------------------------- output JSON
def test_output_json_names_the_users_files(tmp_path, area_bundle, stack_bundle, small_area,
                                           capsys):
    """Not the staged stack, which is gone after the run (issue 19)."""
    bundle, manifest = area_bundle
    out = tmp_path / "out"
    assert _run([str(bundle), "small", str(out), "--manifest", manifest]) == 0
    domain = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["domain"]
    assert domain["stack"] == str(out / "factors.tif") and Path(domain["stack"]).is_file()
    assert domain["inputs"] == [str(small_area["files"][r])
                                for r in ("deformation_rate", "dem", "lithology")]
    s_bundle, stack = stack_bundle
    assert _run([str(s_bundle), str(stack), str(tmp_path / "s")]) == 0
    domain = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["domain"]
    assert domain["stack"] == str(stack) and domain["inputs"] == [str(stack)]


# ---------------------------------------------------------------------------- domain
def test_empty_stack_never_reaches_tiling(tmp_path, stack_bundle, monkeypatch, capsys):
    bundle, stack = stack_bundle
    with rasterio.open(stack, "r+") as dst:
        dst.write(np.full((60, 40), np.nan, "float32"), 1)
    seen = _strips(monkeypatch)
    assert _run([str(bundle), str(stack), str(tmp_path / "out")]) == 2
    assert seen == []
    assert "deformation_rate (0.0%) finite on fewer than 5%" in capsys.readouterr().err


def test_unseen_lithology_is_nodata_reported_and_strict_stops(tmp_path, monkeypatch, capsys):
    factors = ["slope", "lithology"]
    stack = write_stack(tmp_path / "stack.tif", 40, 40, factors=factors, nan_frac=0.0)
    lith = np.where(np.arange(40) < 20, 1.0, 2.0) * np.ones((40, 40), "float32")
    lith[30:, 30:] = 9.0
    with rasterio.open(stack, "r+") as dst:
        dst.write(lith.astype("float32"), 2)
    bundle = make_bundle(tmp_path / "bundle", factors, [1.0, 0.0, 0.0], [0.5, 1.0, 1.0],
                     codes=[1, 2])
    monkeypatch.setattr(cli, "load_model", tiny_model_of)
    assert _run([str(bundle), str(stack), str(tmp_path / "out")]) == 0
    out, err = capsys.readouterr()
    assert "fcad-predict: warning: channel 'lithology'" in err and "9 (100 px)" in err
    assert json.loads(out.strip().splitlines()[-1])["domain"]["unseen_lithology_pixels"] == 100
    prob = read(tmp_path / "out" / "probability.tif")
    assert np.isnan(prob[30:, 30:]).all() and np.isfinite(prob[:30]).all()
    assert _run([str(bundle), str(stack), str(tmp_path / "strict"), "--strict"]) == 2
    assert "outside the model's training domain: channel 'lithology'" in capsys.readouterr().err


# -------------------------------------------------------------------------- polygons
def test_minimum_polygon_area_defaults_to_four_pixels(tmp_path, stack_bundle, monkeypatch):
    landslide = np.zeros((12, 12), "uint8")
    landslide[0, 0] = 1  # 1 px
    landslide[4, 0:3] = 1  # 3 px
    landslide[8:10, 0:2] = 1  # 4 px
    landslide[0:2, 6:9] = 1  # 6 px
    path = tmp_path / "map.tif"
    with rasterio.open(path, "w", driver="GTiff", width=12, height=12, count=1, dtype="uint8",
                       crs="EPSG:32647", transform=rasterio.Affine(10, 0, 0, 0, -10, 120)) as dst:
        dst.write(landslide, 1)
    assert sorted(vectorize(path).area_m2) == [400.0, 600.0]  # default: 4 pixels
    assert sorted(vectorize(path, min_area_px=1).area_m2) == [100.0, 300.0, 400.0, 600.0]
    assert len(vectorize(path, min_area_m2=0.0)) == 4
    bundle, stack = stack_bundle
    used: list[tuple] = []
    monkeypatch.setattr(cli, "vectorize", lambda *a, **k: used.append(
        (k["min_area_m2"], k["min_area_px"])) or vectorize(*a, **k))
    for i, extra in enumerate(([], ["--min-area-px", "1"], ["--min-area-m2", "0"])):
        assert _run([str(bundle), str(stack), str(tmp_path / f"o{i}"), *extra]) == 0
    assert used == [(None, 4), (None, 1), (0.0, 4)]


# ------------------------------------------------------------------------------ fail fast
FAIL_FAST = """
import sys
from fcad_lib.predict.cli import main
codes = [main(a) for a in {cases!r}]
print(codes, [m for m in ("tensorflow", "keras") if m in sys.modules])
"""


def test_inputs_are_checked_before_tensorflow_is_imported(tmp_path, area_bundle, small_area):
    bundle, manifest = area_bundle
    optical = make_bundle(tmp_path / "optical", ["deformation_rate", "B2"], [0.0] * 2, [1.0] * 2)
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("")
    cases = [
        [str(tmp_path / "no_bundle"), "small", str(tmp_path / "o1"), "--manifest", manifest],
        [str(bundle), "nowhere", str(tmp_path / "o2"), "--manifest", manifest],
        [str(bundle), "small", str(tmp_path / "o3"), "--manifest", str(tmp_path / "no.yml")],
        [str(bundle), str(tmp_path / "no_stack.tif"), str(tmp_path / "o4")],
        [str(bundle), "small", str(full), "--manifest", manifest],
        [str(optical), "small", str(tmp_path / "o6"), "--manifest", manifest],
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", FAIL_FAST.format(cases=cases)], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.stdout.strip() == "[2, 2, 2, 2, 2, 2] []", proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 6 and all(line.startswith("fcad-predict: error:") for line in lines)
    assert "unknown study area 'nowhere'" in lines[1] and "no.yml" in lines[2]
    assert "area 'small' lacks factor(s) ['B2'] that the model needs" in lines[5]
