"""Prediction on dask.distributed (fcad_lib.predict.distributed): the sequential result, exactly."""

from __future__ import annotations

import numpy as np
import pytest

from fcad_lib.bundle import Preprocessing, save_bundle
from fcad_lib.predict import predict_raster
from fcad_lib.predict.distributed import predict_raster_distributed, work_folder
from tests.predict.helpers import FACTORS, read, tiny_model, write_stack

distributed = pytest.importorskip("distributed")


def _bundle(path, patch_size=32):
    prep = Preprocessing(channels=list(FACTORS), factors=list(FACTORS), lithology_encoding="onehot",
                         lithology_codes=[], mean=[1.0, 0.5, 1.0], std=[0.5, 1.0, 2.0],
                         patch_size=patch_size, threshold=0.5)
    return save_bundle(path, tiny_model(), prep), prep


@pytest.mark.slow
def test_distributed_equals_sequential_and_resumes(tmp_path):
    bundle, prep = _bundle(tmp_path / "bundle")
    # 150 x 200 px, tile 32, overlap 8: 6 x 8 tiles; blocks of 2 tile rows x 2 tiles cut both
    # axes, so the merge adds overlaps across block borders in rows and columns.
    stack = write_stack(tmp_path / "stack.tif", 150, 200)
    seq = predict_raster(tiny_model(), prep, stack, tmp_path / "seq", overlap=8, batch_size=2,
                         progress=False)
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        out = tmp_path / "dist"
        res = predict_raster_distributed(bundle, stack, out, client=client, overlap=8,
                                         batch_size=2, block_rows=2, block_batches=1)
        np.testing.assert_array_equal(read(res.probability), read(seq.probability))
        np.testing.assert_array_equal(read(res.landslide_map), read(seq.landslide_map))
        assert not (out / ".partial").exists()

        # Resume: a block already in the work folder is used, not computed again. Plant a
        # block of zero probability sums: its own pixels (not shared with a neighbour block)
        # must come out 0.
        out = tmp_path / "resumed"
        work = work_folder(out, bundle, stack, tile=32, overlap=8, window="hann", batch=2,
                           rows=2, cols=1)
        work.mkdir(parents=True)
        np.save(work / "block_000000_000000_valid.npy", np.ones((2, 32, 56), bool))
        np.save(work / "block_000000_000000.npy", np.zeros((2, 32, 56)))
        res = predict_raster_distributed(bundle, stack, out, client=client, overlap=8,
                                         batch_size=2, block_rows=2, block_batches=1)
    prob, ref = read(res.probability), read(seq.probability)
    assert np.nanmax(np.abs(prob[:48, :48])) == 0  # rows and columns 48.. are shared
    np.testing.assert_array_equal(prob[56:, 56:], ref[56:, 56:])


def test_block_folder_is_keyed_by_content_not_file_times(tmp_path):
    """Touched or copied inputs keep the key (resume); other values or settings change it."""
    import os
    import shutil

    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "model.keras").write_bytes(b"weights")
    (bundle / "preprocessing.json").write_text("{}")
    stack = tmp_path / "stack.tif"
    stack.write_bytes(b"stack values")
    key = work_folder(tmp_path / "out", bundle, stack, tile=32, overlap=8)

    os.utime(stack, (1, 1))  # a touched stack: same content, same blocks
    copy = tmp_path / "copy.tif"
    shutil.copy(stack, copy)
    assert work_folder(tmp_path / "out", bundle, stack, tile=32, overlap=8) == key
    assert work_folder(tmp_path / "out", bundle, copy, tile=32, overlap=8) == key

    stack.write_bytes(b"other values")  # rewritten with other values: never reused
    assert work_folder(tmp_path / "out", bundle, stack, tile=32, overlap=8) != key
    stack.write_bytes(b"stack values")
    assert work_folder(tmp_path / "out", bundle, stack, tile=32, overlap=16) != key
    (bundle / "model.keras").write_bytes(b"retrained")
    assert work_folder(tmp_path / "out", bundle, stack, tile=32, overlap=8) != key
