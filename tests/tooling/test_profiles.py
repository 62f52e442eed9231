"""Profiles as data: one loader, flags not names, notebooks defaulting to the quick profile."""

import pytest
import yaml

from fcad_lib.tooling import profiles
from fcad_lib.tooling.profiles import PROFILES_FILE, is_publishing, is_smoke, load_profile


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
