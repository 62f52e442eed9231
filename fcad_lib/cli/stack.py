"""``fcad-stack AREA OUT``: the aligned factor stack of a registered area, as one GeoTIFF.

The same stack ``fcad-predict`` stages as ``factors.tif``
(:func:`fcad_lib.data.stack_build.build_factor_stack`, block by block, bounded memory): one
``float32`` band per factor the area has, band descriptions = factor names, NaN = no data.
Feed it to ``fcad-predict BUNDLE OUT.tif DIR``, or open it in a GIS to look at the factors.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path

from fcad_lib.cli.common import check_new_output, run_command
from fcad_lib.data.manifest import get_area
from fcad_lib.data.stack_build import build_factor_stack
from fcad_lib.data.stack_io import open_factor_stack

PROG = "fcad-stack"


def write_area_stack(area_name: str, out: str | os.PathLike[str],
                     manifest: str | os.PathLike[str] | None = None,
                     resolution_m: float | None = None, overwrite: bool = False) -> dict:
    """Write the area's factor stack to ``out``; what was written.

    Parameters
    ----------
    area_name : str
        An area of ``manifest``.
    out : path
        The GeoTIFF to write (atomically: a killed run leaves no half file).
    manifest : path, optional
        Default ``$FCAD_MANIFEST``, else ``data_manifest.yml`` in the working directory or
        one of its parents.
    resolution_m : float, optional
        Pixel size (default: the area's ``resolution_m``).
    overwrite : bool
        Replace an existing ``out``.

    Returns
    -------
    dict
        ``stack``, ``factors`` (band order), ``resolution_m``, ``crs``, ``width``, ``height``.
    """
    path = check_new_output(out, overwrite, "output stack")
    area = get_area(area_name, manifest)
    build_factor_stack(area, path, resolution_m=resolution_m)
    src, factors = open_factor_stack(path)
    with src:
        return {"stack": str(path), "factors": factors, "resolution_m": abs(float(src.res[0])),
                "crs": src.crs.to_string(), "width": src.width, "height": src.height}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``fcad-stack AREA OUT [--manifest M] [--resolution-m R] [--overwrite]``."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("area", help="area name in the manifest")
    parser.add_argument("out", type=Path, help="output GeoTIFF")
    parser.add_argument("--manifest", help="manifest of the area (default: $FCAD_MANIFEST, else "
                        "data_manifest.yml in the working directory or a parent)")
    parser.add_argument("--resolution-m", type=float, default=None,
                        help="pixel size in metres (default: the area's resolution_m)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    args = parser.parse_args(argv)

    def body() -> int:
        record = write_area_stack(args.area, args.out, args.manifest, args.resolution_m,
                                  args.overwrite)
        print(json.dumps(record))
        return 0

    return run_command(PROG, body)


if __name__ == "__main__":
    raise SystemExit(main())
