"""``fcad-train`` reads its training budget from a profiles file itself (not through the book)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fcad_lib.cli.train import BUDGET_KEYS, DEFAULT_RECIPE, budget, profile_parameters
from fcad_lib.errors import FcadDataError, MissingFileError

ROOT = Path(__file__).resolve().parents[2]


def test_the_repository_profiles_give_the_notebooks_budget():
    # the book's reader, read independently here: the same parameters, the budget keys kept
    raw = yaml.safe_load((ROOT / "profiles.yml").read_text())["quick"]["parameters"]
    params = budget("quick", profiles=ROOT / "profiles.yml")
    assert params == {**{k: raw[k] for k in BUDGET_KEYS if k in raw},
                      "recipe": raw.get("recipe", DEFAULT_RECIPE)}
    assert budget("quick", epochs=3, steps_per_epoch=7, profiles=ROOT / "profiles.yml")[
        "epochs"] == 3


def test_profiles_file_from_the_working_directory_or_a_path(tmp_path, monkeypatch):
    (tmp_path / "profiles.yml").write_text(yaml.safe_dump(
        {"tiny": {"parameters": {"epochs": 2, "batch_size": 4, "notebook_only": 1}}}))
    monkeypatch.chdir(tmp_path)
    assert budget("tiny") == {"epochs": 2, "batch_size": 4, "recipe": DEFAULT_RECIPE}
    with pytest.raises(FcadDataError, match=r"no profile 'quick'; known: \['tiny'\]"):
        profile_parameters("quick")
    monkeypatch.chdir(tmp_path.parent)
    with pytest.raises(MissingFileError, match="--profiles"):
        profile_parameters("tiny")
    assert profile_parameters("tiny", tmp_path / "profiles.yml")["epochs"] == 2
