"""Generated study areas: run an area's generator when its files are missing or stale, and reseed.

The manifest (:mod:`fcad_lib.data.manifest`) says what an area is; this module makes the files of
a generated one exist, recording the generator's call beside them (``generator.json``).
"""

from __future__ import annotations

import importlib
import json
import logging
from dataclasses import replace

from fcad_lib.data.checksums import CHECKSUM_FILE
from fcad_lib.data.manifest import Generator, StudyArea
from fcad_lib.errors import ManifestError, MissingFileError

__all__ = ["GENERATOR_RECORD", "ensure_generated", "reseed"]

log = logging.getLogger(__name__)

GENERATOR_RECORD = "generator.json"


def ensure_generated(area: StudyArea) -> bool:
    """Run the area's generator when any of its files (or ``checksums.sha256``) is missing.

    Also when the files were made with other generator parameters than the manifest's now
    (recorded in ``generator.json`` beside them).

    The generator ``module:function`` is called as ``function(out_dir=<layers' dir>, **params)``,
    plus ``overwrite=True`` when only part of the files exist.

    Returns
    -------
    bool
        True when the generator ran, False when nothing was missing or the area is not generated.
    """
    if area.generator is None:
        return False
    out_dirs = {layer.path.parent for layer in area.layers}
    if len(out_dirs) != 1:
        raise ManifestError(
            area.manifest_path, f"generated area {area.name!r} must keep its layers in one folder"
        )
    out_dir = out_dirs.pop()
    needed = [layer.path for layer in area.layers] + [out_dir / CHECKSUM_FILE]
    # The generator's call is recorded beside its files: files made with other parameters
    # (the manifest changed since) are stale and are regenerated, not silently reused.
    recipe_path = out_dir / GENERATOR_RECORD
    recipe = {"function": area.generator.function, "params": dict(area.generator.params)}
    recorded = json.loads(recipe_path.read_text()) if recipe_path.is_file() else None
    if all(p.is_file() for p in needed) and recorded == recipe:
        return False
    module_name, func_name = area.generator.function.split(":", 1)
    try:
        func = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as exc:
        raise ManifestError(
            area.manifest_path, f"cannot import generator {area.generator.function!r}: {exc}"
        ) from exc
    params = dict(area.generator.params)
    if any(p.is_file() for p in needed):
        # An incomplete or stale set (interrupted run, deleted file, new parameters): the
        # generator is deterministic, so rewriting the whole set is safe, and it refuses to
        # overwrite unless told to.
        log.warning("area %r: incomplete or stale files in %s, regenerating", area.name, out_dir)
        params["overwrite"] = True
    log.info("generating study area %r in %s", area.name, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    func(out_dir=out_dir, **params)
    for p in needed:
        if not p.is_file():
            raise MissingFileError(p, f"generator {area.generator.function} did not write it")
    recipe_path.write_text(json.dumps(recipe, indent=2, sort_keys=True) + "\n")
    return True


def reseed(area: StudyArea, seed: int) -> StudyArea:
    """The same generated area drawn with another seed, in a folder of its own.

    Parameters
    ----------
    area
        A generated area (with a ``generator``).
    seed
        Seed passed to the generator instead of the manifest's.

    Returns
    -------
    StudyArea
        Named ``<name>_seed<seed>``, its layers under ``<folder>_seed<seed>/``; the manifest's
        files are never touched.
    """
    if area.generator is None:
        raise ManifestError(area.manifest_path, f"area {area.name!r} is not generated: no seed")
    if int(area.generator.params.get("seed", -1)) == int(seed):
        return area
    suffix = f"_seed{int(seed)}"
    layers = tuple(
        replace(layer, path=layer.path.parent.with_name(layer.path.parent.name + suffix)
                / layer.path.name)
        for layer in area.layers
    )
    generator = Generator(area.generator.function, {**area.generator.params, "seed": int(seed)})
    return replace(area, name=area.name + suffix, layers=layers, generator=generator)
