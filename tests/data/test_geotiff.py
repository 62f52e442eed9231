"""Tests of fcad_lib.data.geotiff: creation options and atomic writes."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from fcad_lib.data.geotiff import CreationOptions, atomic_path, atomic_paths, tiled_profile


def test_tiled_profile_writes_a_tiled_compressed_geotiff(tmp_path):
    profile = tiled_profile(300, 260, 2, "float32", "EPSG:32647",
                            Affine(10, 0, 0, 0, -10, 0), np.nan,
                            options=CreationOptions(predictor=3))
    with rasterio.open(tmp_path / "a.tif", "w", **profile) as dst:
        dst.write(np.ones((2, 260, 300), "float32"))
    with rasterio.open(tmp_path / "a.tif") as src:
        assert src.block_shapes == [(256, 256)] * 2
        assert src.compression.value == "DEFLATE"
    plain = tiled_profile(8, 8, 1, "uint8", None, Affine.identity(), 255,
                          options=CreationOptions(compress=None, bigtiff=False))
    assert "compress" not in plain and "BIGTIFF" not in plain and plain["tiled"] is True
    with pytest.raises(TypeError, match="CreationOptions"):
        tiled_profile(8, 8, 1, "uint8", None, Affine.identity(), 255, predictor=2)


def test_atomic_path_moves_into_place_or_leaves_nothing(tmp_path):
    final = tmp_path / "result.json"
    with atomic_path(final) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".json" and tmp != final
        tmp.write_text("new")
    assert final.read_text() == "new"
    with pytest.raises(RuntimeError), atomic_path(final) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash while writing")
    assert final.read_text() == "new"  # the old file survives a crash
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_atomic_paths_replaces_every_file(tmp_path):
    paths = {"a": tmp_path / "a.txt", "b": tmp_path / "b.txt"}
    with atomic_paths(paths) as tmp:
        for key, p in tmp.items():
            p.write_text(key)
        assert not any(p.exists() for p in paths.values())
    assert {p.read_text() for p in paths.values()} == {"a", "b"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]
