"""Checkpoint and resume of the sequential predictor (fcad_lib.predict.checkpoint)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from fcad_lib.predict import predict_raster
from tests.predict.helpers import FakePreprocessing, read, run_child, tiny_model, write_stack


def test_resume_after_interruption(tmp_path):
    model, prep = tiny_model(), FakePreprocessing()
    stack = write_stack(tmp_path / "stack.tif", 130, 50)
    ref = read(predict_raster(model, prep, stack, tmp_path / "ref", overlap=8,
                              progress=False).probability)

    class Interrupt(Exception):
        pass

    def stop_after_two(done: int) -> None:
        if done == 2:
            raise Interrupt

    out = tmp_path / "out"
    with pytest.raises(Interrupt):
        predict_raster(model, prep, stack, out, overlap=8, progress=False,
                       on_strip_done=stop_after_two)
    assert not (out / "probability.tif").exists() and not (out / "landslide_map.tif").exists()
    ckpt = json.loads((out / ".partial" / "checkpoint.json").read_text())
    assert ckpt["strips_done"] == 2
    seen: list[int] = []
    res = predict_raster(model, prep, stack, out, overlap=8, progress=False,
                         on_strip_done=seen.append)
    assert seen[0] == 3  # resumed, not redone
    np.testing.assert_array_equal(read(res.probability), ref)
    # A different overlap must not resume from the old checkpoint.
    with pytest.raises(Interrupt):
        predict_raster(model, prep, stack, out, overlap=8, progress=False,
                       on_strip_done=stop_after_two)
    seen.clear()
    predict_raster(model, prep, stack, out, overlap=4, progress=False, on_strip_done=seen.append)
    assert seen[0] == 1


@pytest.mark.slow
def test_killed_run_never_leaves_partial_output_and_resumes(tmp_path):
    out = tmp_path / "out"
    write_stack(Path(str(out) + ".stack.tif"), 640, 200)
    proc = run_child("slow", out, 640)
    ckpt = out / ".partial" / "checkpoint.json"
    deadline = time.time() + 300
    try:
        while time.time() < deadline:
            if ckpt.exists() and json.loads(ckpt.read_text())["strips_done"] >= 2:
                break
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert not (out / "probability.tif").exists()
    assert not (out / "landslide_map.tif").exists()
    model, prep = tiny_model(), FakePreprocessing(patch_size=64)
    stack = Path(str(out) + ".stack.tif")
    seen: list[int] = []
    res = predict_raster(model, prep, stack, out, overlap=16, progress=False,
                         on_strip_done=seen.append)
    assert seen[0] > 2
    ref = predict_raster(model, prep, stack, tmp_path / "ref", overlap=16, progress=False)
    np.testing.assert_array_equal(read(res.probability), read(ref.probability))
    np.testing.assert_array_equal(read(res.landslide_map), read(ref.landslide_map))
