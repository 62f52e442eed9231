"""A generated study area in a folder of one's choosing, with parameters of one's choosing.

For tests, measurements and notebooks that vary a generator parameter: the area takes the
layer list of a manifest entry (by default ``generated_quick``) and points it at ``out_dir``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from fcad_lib.data.manifest import Generator, Manifest, StudyArea, get_area

__all__ = ["generated_area"]


def generated_area(
    out_dir: str | os.PathLike[str],
    template: str = "generated_quick",
    manifest: Manifest | str | os.PathLike[str] | None = None,
    **params: Any,
) -> StudyArea:
    """The manifest area ``template`` with its files in ``out_dir`` and ``params`` overridden.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder of the generated files (written on first load by ``ensure_generated``).
    template : str
        A generated area of the manifest whose layers and parameters are the starting point.
    manifest : Manifest or path, optional
        Default: :func:`fcad_lib.data.manifest.find_manifest` (``$FCAD_MANIFEST``, else
        ``data_manifest.yml`` in the working directory or one of its parents).
    **params
        Generator keyword arguments replacing the template's (e.g. ``size_px=256``,
        ``confounders={"dormant_fraction": 0.0}``).

    Returns
    -------
    StudyArea
        Load it with :func:`fcad_lib.data.study_area.load_study_area`.
    """
    area = get_area(template, manifest)
    if area.generator is None:
        raise ValueError(f"area {template!r} is not generated")
    out = Path(out_dir).resolve()
    layers = tuple(replace(layer, path=out / layer.path.name) for layer in area.layers)
    generator = Generator(area.generator.function, {**area.generator.params, **params})
    return replace(area, name=f"{template}@{out.name}", layers=layers, generator=generator)
