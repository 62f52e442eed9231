"""``fcad_lib`` from a wheel, far from the checkout: it builds, installs and maps a tiny raster.

The library knows no repository (``book/architecture.md``): nothing in it may need the
checkout's files. The test builds a wheel from a copy of the sources, installs it with
``pip --no-deps --target`` into ``tmp_path`` (the dependencies are this venv's, not downloaded
again) and runs a fresh interpreter with ``-S -P`` (no site hooks, so no editable-install
finder; no working directory on ``sys.path``) and a ``PYTHONPATH`` of the install and this venv's
site-packages only. With its working directory in ``tmp_path`` (no ``data_manifest.yml``
there), that interpreter writes a tiny factor stack and an untrained model bundle and maps the
stack with ``fcad-predict``'s entry point; it fails if any module it imported was read from the
checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.network import index_reachable

ROOT = Path(__file__).resolve().parents[1]
#: What the build reads: pyproject.toml names the readme and the licence file.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "fcad_lib", "fcad_book")

SCRIPT = r'''
import json, sys
from pathlib import Path

import fcad_lib
import numpy as np
import rasterio
from affine import Affine

root, install = Path(sys.argv[1]), Path(sys.argv[2])
assert Path(fcad_lib.__file__).resolve().is_relative_to(install), fcad_lib.__file__

from fcad_lib.data.manifest import load_manifest
from fcad_lib.errors import MissingFileError

try:  # no manifest here or above: the library must not fall back on the checkout's
    load_manifest()
    raise AssertionError("load_manifest() found a manifest outside the working directory")
except MissingFileError as exc:
    assert "FCAD_MANIFEST" in str(exc), exc

import keras
from fcad_lib.bundle import Preprocessing, save_bundle
from fcad_lib.predict import main

factors = ["deformation_rate", "elevation", "slope"]
rng = np.random.default_rng(0)
raw = (1.0 + 0.5 * rng.standard_normal((3, 40, 48))).astype("float32")
raw[:, :3, :5] = np.nan  # a corner without data
with rasterio.open("stack.tif", "w", driver="GTiff", width=48, height=40, count=3,
                   dtype="float32", crs="EPSG:32647", nodata=np.nan,
                   transform=Affine(12.5, 0, 500000.0, 0, -12.5, 3000000.0)) as dst:
    dst.write(raw)
    for band, name in enumerate(factors, start=1):
        dst.set_band_description(band, name)

inp = keras.Input((None, None, 3))
out = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid",
                          kernel_initializer=keras.initializers.GlorotUniform(seed=0))(inp)
save_bundle("bundle", keras.Model(inp, out), Preprocessing(
    channels=factors, factors=factors, lithology_encoding="onehot", lithology_codes=[],
    mean=[1.0, 1.0, 1.0], std=[0.5, 0.5, 0.5], patch_size=32, threshold=0.5))

code = main(["bundle", "stack.tif", "out", "--overlap", "8", "--no-progress"])
with rasterio.open("out/probability.tif") as src:
    prob, shape, crs = src.read(1), src.shape, src.crs.to_string()
with rasterio.open("out/landslide_map.tif") as src:
    mapped, map_nodata = src.read(1), src.nodata
# the dependencies' site-packages (PYTHONPATH after the install) may sit inside the checkout
# (.venv in CI): they are not the checkout's code
import os
deps = [Path(p).resolve() for p in os.environ["PYTHONPATH"].split(os.pathsep)[1:]
        if Path(p).name == "site-packages"]
read_from_checkout = sorted(
    name for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None)
    and Path(module.__file__).resolve().is_relative_to(root)
    and not any(Path(module.__file__).resolve().is_relative_to(d) for d in deps))
print(json.dumps({
    "code": code, "shape": list(shape), "crs": crs,
    "nan_corner": bool(np.isnan(prob[:3, :5]).all()),
    "prob_range": [float(np.nanmin(prob)), float(np.nanmax(prob))],
    "map_is_threshold": bool(np.array_equal(
        mapped[3:, :] == 1, prob[3:, :] >= 0.5)),
    "map_nodata_in_corner": bool((mapped[:3, :5] == map_nodata).all()),
    "read_from_checkout": read_from_checkout,
}))
'''


def _setuptools_builds_this() -> bool:
    """Whether this interpreter's setuptools reads the project's metadata (PEP 639: 77+)."""
    try:
        import setuptools
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= 77



def build_wheel(tmp_path: Path) -> Path:
    """A wheel of a copy of the sources (a build in the checkout would leave ``build/`` there)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
               str(tmp_path / "dist"), str(src)]
    if _setuptools_builds_this():
        command.insert(4, "--no-build-isolation")  # offline: this venv's setuptools builds it
    elif not index_reachable("setuptools"):
        pytest.skip("this venv's setuptools is older than 77 and PyPI is not reachable")
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("fcad_lib-*.whl")
    return wheel


@pytest.mark.slow
@pytest.mark.network
def test_the_wheel_predicts_a_tiny_raster_without_the_checkout(tmp_path):
    wheel = build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert "fcad_lib/predict/cli.py" in names and "fcad_book/pipeline.py" in names
    assert not [n for n in names if n.startswith(("tests/", "notebooks/", "fcad_lib/tooling"))]

    install = tmp_path / "install"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--target", str(install), str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    work = tmp_path / "work"
    work.mkdir()
    site = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "FCAD_MANIFEST", "FCAD_SHARED_DATA", "PYTHONSTARTUP")}
    env["PYTHONPATH"] = os.pathsep.join([str(install), *sorted(site)])
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    # -S: no site-packages hooks (the editable install's finder lives in a .pth file);
    # -P: neither the script's folder nor the working directory goes on sys.path
    run = subprocess.run(
        [sys.executable, "-S", "-P", "-c", SCRIPT, str(ROOT.resolve()), str(install.resolve())],
        cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["read_from_checkout"] == []
    assert result["code"] == 0, run.stderr[-3000:]
    assert result["shape"] == [40, 48] and result["crs"] == "EPSG:32647"
    assert result["nan_corner"] and result["map_nodata_in_corner"]
    low, high = result["prob_range"]
    assert 0.0 < low < high < 1.0  # a sigmoid over varied input: neither constant nor saturated
    assert result["map_is_threshold"]
