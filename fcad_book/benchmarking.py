"""Run the scripts in ``benchmarks/`` and collect the JSON lines they print."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from fcad_book.paths import ROOT

BENCHMARK_DIR = ROOT / "benchmarks"


def run_benchmark(script: str, *args: str, out_dir: str | Path | None = None) -> pd.DataFrame:
    """Run ``benchmarks/<script>.py`` in a fresh interpreter and return its JSON lines.

    Parameters
    ----------
    script
        Script name without ``.py`` (``train_throughput``, ``predict_area``).
    *args
        Command-line arguments for the script.
    out_dir
        If given, the lines are also kept as ``<out_dir>/<script>.jsonl``.

    Returns
    -------
    pandas.DataFrame
        One row per printed JSON line.
    """
    proc = subprocess.run([sys.executable, str(BENCHMARK_DIR / f"{script}.py"), *args],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmarks/{script}.py failed ({proc.returncode}):\n{proc.stderr}")
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{script}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return pd.DataFrame(lines)


def recorded_runs(pattern: str = "train_throughput_*.jsonl") -> pd.DataFrame:
    """Benchmark lines recorded on other machines (``benchmarks/results/``), with their file."""
    frames = [pd.read_json(p, lines=True).assign(file=p.name)
              for p in sorted((BENCHMARK_DIR / "results").glob(pattern))]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
