"""One run per output folder, each run in its own staging folder (issue 19)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fcad_lib.errors import OutputLockedError
from fcad_lib.predict import cli
from fcad_lib.predict.lock import LOCK_FILE, output_lock
from tests.predict.helpers import (
    RES,
    ROOT,
    make_bundle,
    read,
    tiny_model_of,
    with_grid,
    write_stack,
)

REAL_PREDICT = cli.predict_raster
HOLD = textwrap.dedent("""
    import sys
    from fcad_lib.predict.lock import output_lock
    with output_lock(sys.argv[1]):
        print("held", flush=True)
        sys.stdin.read()  # until the test closes stdin
""")


class Killed(Exception):
    """Stands in for a kill from inside the predictor."""


@pytest.fixture
def bundle_and_stack(tmp_path, monkeypatch):
    factors = ["deformation_rate", "elevation", "slope"]
    # a bundle as training writes it now, with its training grid (no "no grid" warning line)
    bundle = with_grid(make_bundle(tmp_path / "bundle", factors, [1.0] * 3, [0.5] * 3), RES)
    monkeypatch.setattr(cli, "load_model", tiny_model_of)
    return bundle, write_stack(tmp_path / "stack.tif", 60, 40)


def _run(*args) -> int:
    return cli.main([*map(str, args), "--overlap", "4", "--no-progress"])


def _on_strip(monkeypatch, action) -> list[int]:
    """Call ``action(done)`` after every finished strip of the predictor; record the strips."""
    seen: list[int] = []

    def hooked(*args, **kwargs):
        def on_strip(done: int) -> None:
            seen.append(done)
            action(done)

        return REAL_PREDICT(*args, **kwargs, on_strip_done=on_strip)

    monkeypatch.setattr(cli, "predict_raster", hooked)
    return seen


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith("fcad-predict: error:"), err
    return err


def test_second_run_during_a_run_is_refused_and_the_first_maps(tmp_path, bundle_and_stack,
                                                               monkeypatch, capsys):
    """Two runs on one folder at once: one clean refusal, one correct map."""
    bundle, stack = bundle_and_stack
    assert _run(bundle, stack, tmp_path / "ref") == 0
    capsys.readouterr()
    codes: list[int] = []

    def second_run(done: int) -> None:
        if done == 1:  # the first run holds the folder and has staged tiles
            monkeypatch.setattr(cli, "predict_raster", REAL_PREDICT)
            codes.append(_run(bundle, stack, tmp_path / "out", "--threshold", "0.7"))

    _on_strip(monkeypatch, second_run)
    assert _run(bundle, stack, tmp_path / "out") == 0
    assert codes == [2]
    out, err = capsys.readouterr()
    [line] = err.strip().splitlines()
    assert line.startswith("fcad-predict: error:") and "another fcad-predict run" in line
    assert f"pid {os.getpid()} on host {socket.gethostname()}, since " in line
    for name in ("probability.tif", "landslide_map.tif"):
        np.testing.assert_array_equal(read(tmp_path / "out" / name),
                                      read(tmp_path / "ref" / name))
    assert json.loads(out.strip().splitlines()[-1])["threshold"] == "0.5"  # the first run's
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "landslide_map.tif", "polygons.gpkg", "probability.tif"]  # lock and staging gone


def test_folder_locked_by_another_process_is_refused(tmp_path, bundle_and_stack, capsys):
    bundle, stack = bundle_and_stack
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert _run(bundle, stack, out) == 2
        line = _error_line(capsys)
        assert f"pid {holder.pid} on host {socket.gethostname()}, since 20" in line
        assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE]  # nothing staged
    finally:
        holder.communicate("", timeout=60)
    assert _run(bundle, stack, out) == 0  # released when the holder ended


def test_lock_of_a_dead_process_is_taken_over_with_a_warning(tmp_path, bundle_and_stack,
                                                             capsys):
    bundle, stack = bundle_and_stack
    out = tmp_path / "out"
    out.mkdir()
    pid = _dead_pid()
    (out / LOCK_FILE).write_text(json.dumps(
        {"pid": pid, "host": socket.gethostname(), "since": "2001-02-03T04:05:06+00:00"}))
    assert _run(bundle, stack, out) == 0
    warnings = [x for x in capsys.readouterr().err.splitlines() if "lock" in x]
    assert len(warnings) == 1 and warnings[0].startswith("fcad-predict: warning:")
    assert f"took over the lock of fcad-predict pid {pid}" in warnings[0]
    assert "since 2001-02-03T04:05:06+00:00, which no longer runs" in warnings[0]
    assert not (out / LOCK_FILE).exists()


def test_lock_from_another_host_is_refused_naming_the_file(tmp_path, bundle_and_stack, capsys):
    bundle, stack = bundle_and_stack
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_FILE).write_text(json.dumps(
        {"pid": 1, "host": "elsewhere.example", "since": "2001-02-03T04:05:06+00:00"}))
    assert _run(bundle, stack, out) == 2
    line = _error_line(capsys)
    assert "pid 1 on host elsewhere.example" in line and str(out / LOCK_FILE) in line


def test_lock_is_released_on_error(tmp_path):
    with pytest.raises(RuntimeError), output_lock(tmp_path / "out"):
        assert (tmp_path / "out" / LOCK_FILE).is_file()
        raise RuntimeError
    assert not (tmp_path / "out" / LOCK_FILE).exists()
    with output_lock(tmp_path / "out"), pytest.raises(OutputLockedError, match="another"), \
            output_lock(tmp_path / "out"):
        pass


def test_killed_runs_with_other_settings_keep_their_own_staging(tmp_path, bundle_and_stack,
                                                                monkeypatch):
    """A killed run resumes even after a killed run with other settings used the folder."""
    bundle, stack = bundle_and_stack
    out, ref = tmp_path / "out", tmp_path / "ref"
    assert _run(bundle, stack, ref) == 0

    def kill(done: int) -> None:
        if done == 1:
            raise Killed

    _on_strip(monkeypatch, kill)
    with pytest.raises(Killed):
        _run(bundle, stack, out)
    with pytest.raises(Killed):
        _run(bundle, stack, out, "--window", "triangle")
    assert len(list((out / ".staging").iterdir())) == 2
    seen = _on_strip(monkeypatch, lambda done: None)
    assert _run(bundle, stack, out) == 0
    assert seen[0] == 2  # resumed after the first strip: the other run did not touch its tiles
    for name in ("probability.tif", "landslide_map.tif"):
        np.testing.assert_array_equal(read(out / name), read(ref / name))
    assert not (out / ".staging").exists()
