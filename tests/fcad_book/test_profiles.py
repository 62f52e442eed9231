"""Profiles as data: one loader, flags not names, notebooks defaulting to the quick profile."""

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from fcad_book import profiles
from fcad_book.profiles import PROFILES_FILE, is_publishing, is_smoke, load_profile

ROOT = PROFILES_FILE.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_every_profile_loads_and_says_what_it_is_for():
    names = profiles.profile_names()
    assert names[:3] == ["quick", "default", "paper"]
    raw = yaml.safe_load(PROFILES_FILE.read_text())
    for name in names:
        entry = load_profile(name)
        assert entry.name == name and entry.parameters and entry.extra_runs
        # the flags are written down, not left to the loader's defaults
        assert {"publishes", "smoke", "banner"} <= set(raw[name]), name
        assert entry.can_show != profiles.Profile.can_show, name
        assert entry.cannot_show != profiles.Profile.cannot_show, name
    assert [n for n in names if is_smoke(n)] == ["quick"]
    assert [n for n in names if is_publishing(n)] == ["default"]
    assert not is_smoke(None) and not is_publishing(None)


def test_unknown_profile_or_key_is_a_clear_error(tmp_path):
    with pytest.raises(KeyError, match="no profile 'nope'; known: .*quick"):
        load_profile("nope")
    path = tmp_path / "profiles.yml"
    path.write_text(yaml.safe_dump({"mine": {"parameters": {"epochs": 1}, "publish": True}}))
    with pytest.raises(ValueError, match=r"unknown keys \['publish'\]"):
        load_profile("mine", path)
    path.write_text(yaml.safe_dump({"mine": {"banner": {"can": "x"}}}))
    with pytest.raises(ValueError, match=r"\['banner.can'\]"):
        load_profile("mine", path)
    path.write_text(yaml.safe_dump({"mine": {"smoke": "yes"}}))
    with pytest.raises(ValueError, match="smoke must be true or false"):
        load_profile("mine", path)


def test_a_new_profile_is_one_entry(tmp_path):
    path = tmp_path / "profiles.yml"
    path.write_text(yaml.safe_dump({"mine": {
        "smoke": True, "parameters": {"epochs": 1},
        "banner": {"can_show": "that it runs", "cannot_show": "anything else"}}}))
    mine = load_profile("mine", path)
    assert mine.smoke and not mine.publishes and mine.extra_runs == []
    assert (mine.parameters, mine.can_show, mine.cannot_show) == (
        {"epochs": 1}, "that it runs", "anything else")
    assert profiles.profile_names(path) == ["mine"]


def _code_cells(notebook: Path) -> list[dict]:
    return [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]


#: A comparison of a value with a profile's name, in either order and either quote.
NAME_COMPARISON = re.compile(r"""[=!]=\s*["'](quick|default|paper)["']"""
                             r"""|["'](quick|default|paper)["']\s*[=!]=""")


def test_no_code_or_notebook_compares_a_profile_name():
    sources = {str(p.relative_to(ROOT)): p.read_text()
               for p in sorted((ROOT / "fcad_lib").rglob("*.py"))}
    for nb in NOTEBOOKS:
        for i, cell in enumerate(_code_cells(nb)):
            sources[f"{nb.relative_to(ROOT)} code cell {i}"] = "".join(cell["source"])
    found = [f"{where}: {line.strip()}" for where, text in sources.items()
             for line in text.splitlines() if NAME_COMPARISON.search(line)]
    assert not found, "ask the profile's flags (fcad_book.profiles), not its name:\n" + \
        "\n".join(found)


def _parameters_cell(notebook: Path) -> dict:
    """The literal assignments of a notebook's ``parameters`` cell."""
    cell = next(c for c in _code_cells(notebook)
                if "parameters" in c.get("metadata", {}).get("tags", []))
    return {node.targets[0].id: ast.literal_eval(node.value)
            for node in ast.parse("".join(cell["source"])).body
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_defaults_are_the_quick_profile(notebook):
    declared = _parameters_cell(notebook)
    quick = dict(load_profile("quick").parameters, profile="quick", run_dir="runs/quick")
    drift = {k: (v, quick[k]) for k, v in declared.items()
             if k in quick and (v != quick[k] or type(v) is not type(quick[k]))}
    assert not drift, f"{notebook.name}: parameters cell (notebook, quick profile): {drift}"
    assert declared.get("profile") == "quick" and declared.get("run_dir") == "runs/quick"
