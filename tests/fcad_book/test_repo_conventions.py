"""The repository's own conventions: licence, citation metadata, offline pre-commit hooks."""

import shutil

import nbformat
import tomllib
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from fcad_book import strip_outputs
from fcad_book.pipeline import ROOT


def test_licence_is_mit_and_pyproject_says_so():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "the fcad_lib contributors" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert "LICENSE" in project["license-files"]


def test_citation_cff_cites_the_software_and_the_paper():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert cff["title"] and cff["message"]
    assert cff["authors"] == [{"name": "fcad_lib contributors"}]
    assert cff["license"] == "MIT"
    cited = [cff.get("preferred-citation", {}), *cff.get("references", [])]
    assert "10.3390/rs16060992" in [c.get("doi") for c in cited]


def test_pre_commit_hooks_are_all_local():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert config["repos"] and all(r["repo"] == "local" for r in config["repos"])
    hooks = {h["id"]: h for r in config["repos"] for h in r["hooks"]}
    assert {"ruff", "strip-notebook-outputs"} <= set(hooks)
    assert all(h["language"] == "system" for h in hooks.values())


def _executed_notebook():
    return new_notebook(cells=[
        new_markdown_cell("# Title"),
        new_code_cell("1 + 1", execution_count=3,
                      outputs=[new_output("execute_result", data={"text/plain": "2"},
                                          execution_count=3)]),
        new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
    ])


def test_stripper_clears_outputs_and_fails_like_nbstripout(tmp_path, capsys):
    path = tmp_path / "nb.ipynb"
    nbformat.write(_executed_notebook(), path)
    assert strip_outputs.main(["--check", str(path)]) == 1  # check mode reports ...
    assert nbformat.read(path, as_version=4).cells[1].outputs  # ... and writes nothing
    assert strip_outputs.main([str(path)]) == 1
    assert "outputs stripped" in capsys.readouterr().err
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert code[1].metadata["tags"] == ["parameters"]  # other metadata are kept
    before = path.read_bytes()
    assert strip_outputs.main([str(path)]) == 0  # a clean notebook passes, untouched
    assert path.read_bytes() == before


def test_a_committed_notebook_copy_passes_unchanged(tmp_path):
    source = sorted((ROOT / "notebooks").glob("*.ipynb"))[0]
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    assert strip_outputs.main([str(copy)]) == 0
    assert copy.read_bytes() == source.read_bytes()
