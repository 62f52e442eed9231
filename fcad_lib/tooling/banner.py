"""The banner at the top of every results page: which profile made the numbers, and what it can
and cannot show. Numbers from the CI smoke test must never pass for a reproduction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fcad_lib.tooling.pipeline import PROFILES_FILE, load_profile

#: What each profile's numbers can and cannot show, in the reader's words.
PROFILE_SCOPE = {
    "quick": (
        "that every step runs end to end and writes its files",
        "how good the architectures are: tiny models, a few hundred optimiser steps, one small "
        "generated area and one seed (intervals cover test tiles only, not the spread over "
        "seeds)",
    ),
    "default": (
        "how the methods rank on the full generated area, with the spread over seeds and "
        "bootstrap intervals behind each verdict",
        "the paper's absolute numbers: smaller patches and models than the paper's, a CPU "
        "training budget, and generated (not Baihetan) data",
    ),
    "paper": (
        "the methods at the paper's settings (128 px patches, FC-DenseNet103 size, lr 1e-4, "
        "trained to convergence), several seeds",
        "the paper's Baihetan numbers themselves: its data are private, so the areas here are "
        "generated or other public data",
    ),
}


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
        params = load_profile(profile, profiles_file)["parameters"]
        budget = _budget(params)
    except KeyError:
        params, budget = {}, "not in profiles.yml"
    can, cannot = PROFILE_SCOPE.get(profile, (
        "what its parameters allow", "anything its parameters were not sized for"))
    kind = "warning" if profile == "quick" else "note"
    lines = [
        f":::{{admonition}} Numbers from the `{profile}` profile",
        f":class: {kind}",
        f"**Settings:** {budget}.",
        "",
        f"**Can show:** {can}.",
        "",
        f"**Cannot show:** {cannot}.",
    ]
    if extra:
        lines += ["", extra]
    lines.append(":::")
    return "\n".join(lines)
