import json

import pytest

from fcad_book import benchmarking


def test_run_benchmark_collects_json_lines(tmp_path, monkeypatch):
    script = tmp_path / "fake.py"
    script.write_text("import json, sys\nprint('noise')\n"
                      "print(json.dumps({'benchmark': 'fake', 'args': sys.argv[1:]}))\n")
    monkeypatch.setattr(benchmarking, "BENCHMARK_DIR", tmp_path)
    frame = benchmarking.run_benchmark("fake", "--x", "1", out_dir=tmp_path / "out")
    assert list(frame["benchmark"]) == ["fake"]
    assert frame["args"][0] == ["--x", "1"]
    kept = (tmp_path / "out" / "fake.jsonl").read_text().splitlines()
    assert [json.loads(line)["benchmark"] for line in kept] == ["fake"]


def test_failing_benchmark_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "bad.py").write_text("raise SystemExit(3)\n")
    monkeypatch.setattr(benchmarking, "BENCHMARK_DIR", tmp_path)
    with pytest.raises(RuntimeError, match="bad.py failed"):
        benchmarking.run_benchmark("bad")


def test_recorded_runs_are_read():
    runs = benchmarking.recorded_runs()
    assert {"model", "patches_per_s", "backend", "file"} <= set(runs.columns)
