"""The run profiles of ``profiles.yml``, read in one place.

A profile is data: the papermill ``parameters`` and ``extra_runs`` of the notebooks, plus what
the profile is for (``publishes``: a full run writes ``results/<profile>/``; ``smoke``: a CI run
whose numbers rank nothing) and the reader's words for its banner (``banner.can_show``,
``banner.cannot_show``). Code asks a profile's flags, never its name, so adding a profile means
adding one entry to ``profiles.yml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from fcad_book.paths import ROOT

PROFILES_FILE = ROOT / "profiles.yml"

#: Keys of a profile's ``banner`` mapping.
BANNER_KEYS = ("can_show", "cannot_show")


@dataclass(frozen=True)
class Profile:
    """One entry of ``profiles.yml``.

    Only ``parameters`` and ``extra_runs`` define the numbers a run computes (and the profile
    hash of published results, :func:`fcad_book.publish.profile_hash`); the other
    fields say what the profile is for.
    """

    name: str
    #: papermill parameters, passed to each notebook that declares them
    parameters: dict[str, Any] = field(default_factory=dict)
    #: more executions of one notebook: ``{notebook, suffix, parameters}``
    extra_runs: list[dict[str, Any]] = field(default_factory=list)
    #: a full run publishes its tables to ``results/<name>/`` (without ``--publish``)
    publishes: bool = False
    #: a smoke test (CI): its numbers show that the code runs, and rank nothing
    smoke: bool = False
    #: banner: what the profile's numbers can show, in the reader's words
    can_show: str = "what its parameters allow"
    #: banner: what they cannot show
    cannot_show: str = "anything its parameters were not sized for"


def _read(path: Path) -> dict[str, Any]:
    profiles = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(profiles, dict):
        raise ValueError(f"{path}: expected a mapping of profile names")
    return profiles


def profile_names(path: Path = PROFILES_FILE) -> list[str]:
    """Names of the profiles in ``profiles.yml``, in file order."""
    return list(_read(path))


def load_profile(name: str, path: Path = PROFILES_FILE) -> Profile:
    """Return the profile ``name`` of ``profiles.yml``.

    Parameters
    ----------
    name : str
        Profile name (``quick``, ``default``, ``paper``, ...).
    path : Path
        The profiles file.

    Returns
    -------
    Profile

    Raises
    ------
    KeyError
        No such profile (the message lists the known ones).
    ValueError
        The entry has a key the loader does not know (a typo would otherwise be ignored) or a
        flag that is not ``true``/``false``.
    """
    profiles = _read(path)
    if name not in profiles:
        raise KeyError(f"{path}: no profile {name!r}; known: {sorted(profiles)}")
    entry = dict(profiles[name] or {})
    banner = dict(entry.pop("banner", None) or {})
    known = {f.name for f in fields(Profile)} - {"name", *BANNER_KEYS}
    unknown = sorted(set(entry) - known) + sorted(f"banner.{k}" for k in set(banner) -
                                                  set(BANNER_KEYS))
    if unknown:
        raise ValueError(f"{path}: profile {name!r} has unknown keys {unknown}")
    for flag in ("publishes", "smoke"):
        if not isinstance(entry.get(flag, False), bool):
            raise ValueError(f"{path}: profile {name!r}: {flag} must be true or false")
    entry["parameters"] = dict(entry.get("parameters") or {})
    entry["extra_runs"] = list(entry.get("extra_runs") or [])
    return Profile(name=name, **entry, **banner)


def is_smoke(name: str | None, path: Path = PROFILES_FILE) -> bool:
    """Whether ``name`` is a smoke-test profile (``None``: no profile, so no)."""
    return name is not None and load_profile(name, path).smoke


def is_publishing(name: str | None, path: Path = PROFILES_FILE) -> bool:
    """Whether a full run of ``name`` publishes its tables (``None``: no profile, so no)."""
    return name is not None and load_profile(name, path).publishes
