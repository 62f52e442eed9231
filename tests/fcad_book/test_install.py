"""Install paths: one TensorFlow per extra, and the GPU extra as pip resolves it."""

import json
import subprocess
import sys

import pytest
import tomllib
from packaging.requirements import Requirement

from fcad_book.pipeline import ROOT
from tests.network import index_reachable

TF_NAMES = {"tensorflow", "tensorflow-cpu"}


def _requirements(group: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    raw = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return [Requirement(r) for r in raw]


def _tf_on(reqs: list[Requirement], machine: str) -> set[str]:
    env = {"platform_machine": machine, "sys_platform": "linux"}
    return {r.name for r in reqs
            if r.name in TF_NAMES and (r.marker is None or r.marker.evaluate(env))}


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_each_backend_extra_declares_exactly_one_tensorflow(machine):
    assert _tf_on(_requirements(None), machine) == set()  # the base installs none
    assert len(_tf_on(_requirements("cpu"), machine)) == 1
    assert _tf_on(_requirements("gpu"), machine) == {"tensorflow"}
    assert [r.extras for r in _requirements("gpu") if r.name == "tensorflow"] == [{"and-cuda"}]
    for group in ("book", "dev", "lab"):
        assert _tf_on(_requirements(group), machine) == set(), group



@pytest.mark.slow
@pytest.mark.network
def test_gpu_extra_resolves_to_tensorflow_with_cuda_and_no_cpu_wheel(tmp_path):
    if not index_reachable("tensorflow"):
        pytest.skip("PyPI is not reachable")
    report = tmp_path / "report.json"
    # --ignore-installed: resolve as on a fresh machine, not against this venv's tensorflow-cpu
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
         "--report", str(report), f"{ROOT}[gpu]"],
        capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {i["metadata"]["name"].lower() for i in json.loads(report.read_text())["install"]}
    assert names & TF_NAMES == {"tensorflow"}
    assert any(n.startswith("nvidia-cudnn") for n in names)  # the CUDA libraries come along
