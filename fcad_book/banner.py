"""The banner at the top of every results page: which profile made the numbers, and what it can
and cannot show. Numbers from the CI smoke test must never pass for a reproduction.

The words are the profile's own (``banner`` in ``profiles.yml``); a smoke profile's banner is a
warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fcad_book.profiles import PROFILES_FILE, Profile, load_profile


def _budget(p: dict[str, Any]) -> str:
    steps = p.get("steps_per_epoch")
    steps_txt = f"{p.get('epochs', '?')} x {steps} steps" if steps else \
        f"{p.get('epochs', '?')} epochs (full passes)"
    seeds = p.get("seeds", [p.get("seed", 0)])
    return (f"area `{p.get('area', '?')}`, {p.get('patch_size', '?')} px patches, model "
            f"config `{p.get('model_config', '?')}`, {steps_txt} of batch "
            f"{p.get('batch_size', '?')}, learning rate {p.get('learning_rate', '?')}, "
            f"{len(seeds)} seed(s) {list(seeds)}")


def profile_banner(profile: str, profiles_file: Path = PROFILES_FILE,
                   extra: str | None = None) -> str:
    """Markdown admonition naming the profile behind a page and what its numbers can show.

    Parameters
    ----------
    profile : str
        Profile name in ``profiles.yml`` (the notebook's ``profile`` parameter).
    profiles_file : Path
        The profiles file.
    extra : str, optional
        One more sentence, e.g. which published tables the page also reads.

    Returns
    -------
    str
        A MyST ``{admonition}`` block; display it with ``display(Markdown(...))``.
    """
    try:
        entry = load_profile(profile, profiles_file)
        budget = _budget(entry.parameters)
    except KeyError:
        # the generic words of a Profile that says nothing of itself
        entry, budget = Profile(name=profile), "not in profiles.yml"
    kind = "warning" if entry.smoke else "note"
    lines = [
        f":::{{admonition}} Numbers from the `{profile}` profile",
        f":class: {kind}",
        f"**Settings:** {budget}.",
        "",
        f"**Can show:** {entry.can_show}.",
        "",
        f"**Cannot show:** {entry.cannot_show}.",
    ]
    if extra:
        lines += ["", extra]
    lines.append(":::")
    return "\n".join(lines)
