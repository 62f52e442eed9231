"""``fcad-evaluate BUNDLE AREA``: score a model bundle against an area's landslide inventory.

The bundle maps the area (``fcad-predict``'s :func:`~fcad_lib.predict.predict_area`, into a
temporary folder), or ``--prediction DIR`` reuses the outputs of an ``fcad-predict`` run of the
same bundle on the same area. The map is scored with the book's pixel scores at the bundle's
threshold, the average precision, and object detection by size class
(:mod:`fcad_lib.evaluation.area_scores`); a small table is printed and ``--out`` writes JSON.

The whole inventory is scored: on the area a bundle was trained on this includes its training
tiles, so the scores are optimistic there (``fcad-train``'s test scores are the held-out ones);
the command says so when the bundle's ``result.json`` names the same area.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fcad_lib.cli.common import run_command
from fcad_lib.errors import FcadDataError, MissingFileError
from fcad_lib.evaluation.metrics import SCORES
from fcad_lib.jsonio import dumps

PROG = "fcad-evaluate"
OBJECT_COLUMNS = ("n_reference", "n_detected", "detection_rate", "n_predicted",
                  "n_false_alarms", "false_alarm_ratio")


def _trained_on(bundle: Path) -> str | None:
    """The area an ``fcad-train`` bundle was trained on (its ``result.json``), if known."""
    try:
        return json.loads((bundle / "result.json").read_text()).get("area")
    except (OSError, ValueError):
        return None


def score_map(prediction: Path, inventory: Any, threshold: float, rule: str = "iou",
              iou_threshold: float = 0.1) -> dict[str, Any]:
    """Pixel and object scores of an ``fcad-predict`` output folder against an inventory."""
    import geopandas as gpd

    from fcad_lib.evaluation.area_scores import pixel_scores, polygon_scores, raster_footprint

    prob, polys = prediction / "probability.tif", prediction / "polygons.gpkg"
    for path in (prob, polys):
        if not path.is_file():
            raise MissingFileError(path, "not an fcad-predict output folder")
    predicted = gpd.read_file(polys)
    return {"pixels": pixel_scores(prob, inventory, threshold),
            "objects": polygon_scores(predicted, inventory, raster_footprint(prob), rule,
                                      iou_threshold)}


@dataclass(frozen=True)
class ObjectMatching:
    """How a predicted polygon is matched to a mapped landslide.

    See :func:`fcad_lib.evaluation.objects.match_objects`.

    Attributes
    ----------
    rule : str
        ``iou`` or ``centroid``.
    iou_threshold : float
        Smallest intersection over union of a match under the ``iou`` rule.
    """

    rule: str = "iou"
    iou_threshold: float = 0.1


def evaluate_bundle(bundle: str | os.PathLike[str], area_name: str, *,
                    prediction: str | os.PathLike[str] | None = None,
                    manifest: str | os.PathLike[str] | None = None,
                    resolution_m: float | None = None,
                    matching: ObjectMatching | None = None,
                    allow_resolution_mismatch: bool = False,
                    progress: bool = False) -> dict[str, Any]:
    """Score ``bundle`` on ``area_name``'s inventory; the JSON-ready record.

    Parameters are the command line's (see ``fcad-evaluate --help``); ``matching`` holds
    ``--rule`` and ``--iou-threshold`` (default ``ObjectMatching()``).

    Returns
    -------
    dict
        ``bundle``, ``area``, ``threshold``, ``prediction`` (the reused folder or None),
        ``pixels`` (:func:`~fcad_lib.evaluation.area_scores.pixel_scores`), ``objects`` (by
        size class), ``grid`` (None with ``prediction``) and ``includes_training_ground``.
    """
    from fcad_lib.data.manifest import get_area
    from fcad_lib.data.readers import read_inventory
    from fcad_lib.predict.cli import MapOptions, predict_area, read_preprocessing

    bundle = Path(bundle)
    match = matching or ObjectMatching()
    preprocessing = read_preprocessing(bundle)
    area = get_area(area_name, manifest)
    if not area.has("inventory"):
        raise FcadDataError(area.manifest_path, f"area {area.name!r} has no inventory to "
                            "score against")
    inventory = read_inventory(area.layer("inventory"))
    threshold = float(preprocessing.threshold)
    record: dict[str, Any] = {"bundle": str(bundle), "area": area.name, "threshold": threshold,
                              "prediction": None if prediction is None else str(prediction),
                              "grid": None}
    if prediction is not None:
        record.update(score_map(Path(prediction), inventory, threshold, match.rule,
                                match.iou_threshold))
    else:
        with tempfile.TemporaryDirectory(prefix="fcad-evaluate-") as tmp:
            options = MapOptions(allow_resolution_mismatch=allow_resolution_mismatch)
            result = predict_area(bundle, area_name, Path(tmp) / "map", resolution_m=resolution_m,
                                  manifest=manifest, options=options, progress=progress)
            record["grid"] = result.grid
            record.update(score_map(Path(tmp) / "map", inventory, threshold, match.rule,
                                    match.iou_threshold))
    record["includes_training_ground"] = _trained_on(bundle) == area.name
    return record


def table(record: dict[str, Any]) -> str:
    """The pixel scores and the object scores by size class, fixed width."""
    px = record["pixels"]

    def cell(v: Any) -> str:
        return f"{'-':>10}" if v is None or v != v else f"{v:>10.4f}"  # v != v: NaN

    lines = [f"{'pixels':<8}" + "".join(f"{c:>10}" for c in (*SCORES, "ap")),
             f"{'':<8}" + "".join(cell(px[c]) for c in (*SCORES, "ap")), "",
             f"{'objects':<8}" + "".join(f"{c:>18}" for c in OBJECT_COLUMNS)]
    for cls, row in record["objects"].items():
        cells = "".join(f"{row[c]:>18}" if isinstance(row[c], int) else
                        f"{'-' if row[c] != row[c] else format(row[c], '.4f'):>18}"
                        for c in OBJECT_COLUMNS)
        lines.append(f"{cls:<8}{cells}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``fcad-evaluate BUNDLE AREA [--prediction DIR] [--out JSON] ...``."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="model bundle (fcad-train's OUT)")
    parser.add_argument("area", help="area name in the manifest (it needs an inventory)")
    parser.add_argument("--prediction", type=Path, default=None,
                        help="score this fcad-predict output folder of the bundle instead of "
                        "mapping the area again")
    parser.add_argument("--out", type=Path, default=None, help="write the scores as JSON here")
    parser.add_argument("--manifest", help="manifest of the area (default: $FCAD_MANIFEST, else "
                        "data_manifest.yml in the working directory or a parent)")
    parser.add_argument("--resolution-m", type=float, default=None,
                        help="pixel size of the map (default: the area's resolution_m)")
    parser.add_argument("--rule", default="iou", choices=["iou", "centroid"],
                        help="object matching rule (book: objects)")
    parser.add_argument("--iou-threshold", type=float, default=0.1)
    parser.add_argument("--allow-resolution-mismatch", action="store_true",
                        help="as fcad-predict's")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    def body() -> int:
        record = evaluate_bundle(
            args.bundle, args.area, prediction=args.prediction, manifest=args.manifest,
            resolution_m=args.resolution_m,
            matching=ObjectMatching(rule=args.rule, iou_threshold=args.iou_threshold),
            allow_resolution_mismatch=args.allow_resolution_mismatch,
            progress=not args.no_progress)
        print(f"{PROG}: {args.bundle} on {record['area']}: {record['pixels']['n_pixels']} "
              f"pixels scored at threshold {record['threshold']:.2f} (the bundle's)")
        print(table(record))
        if record["includes_training_ground"]:
            print(f"{PROG}: note: the bundle was trained on {record['area']!r}: these scores "
                  "include its training tiles (fcad-train's test scores are the held-out "
                  "ones)", file=sys.stderr)
        if args.out is not None:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(dumps(record, indent=2) + "\n")
        return 0

    return run_command(PROG, body)


if __name__ == "__main__":
    raise SystemExit(main())
