"""Command line and high-level entry point: bundle + area or stack -> maps and polygons.

Everything a user can get wrong is checked before TensorFlow is imported (seconds): the bundle's
files, the area (manifest, name) or stack, and the output folder. Then the factor stack is built
(or reused from a killed run), compared with the training domain
(:mod:`fcad_lib.predict.domain`), and only then is the model loaded. Outputs are staged and
published together (:mod:`fcad_lib.predict.staging`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from fcad_lib.bundle import (
    MODEL_FILE,
    PREPROCESSING_FILE,
    Preprocessing,
    check_bundle_files,
    load_bundle,
)
from fcad_lib.data.manifest import StudyArea, get_area
from fcad_lib.data.stack_build import build_factor_stack
from fcad_lib.data.stack_io import open_factor_stack
from fcad_lib.errors import FcadDataError, MissingFileError
from fcad_lib.factors import ROLE_FACTORS
from fcad_lib.predict.domain import DomainReport, UnseenCodesAsNodata, check_domain, enforce
from fcad_lib.predict.lock import StaleLockWarning, output_lock
from fcad_lib.predict.output import PredictionResult
from fcad_lib.predict.polygons import MIN_POLYGON_PX, vectorize, write_polygons
from fcad_lib.predict.resolution import check_resolution, target_resolution_m
from fcad_lib.predict.review import write_review
from fcad_lib.predict.sequential import predict_raster
from fcad_lib.predict.staging import (
    check_out_dir,
    publish,
    reuse_or_write_stack,
    run_key,
    stack_key,
    staging_dir,
)
from fcad_lib.predict.uncertainty import MC_PASSES, METHODS, check_method


class DomainWarning(UserWarning):
    """The stack differs from the model's training data (see :mod:`fcad_lib.predict.domain`)."""


def read_preprocessing(bundle_dir: str | os.PathLike[str]) -> Preprocessing:
    """The bundle's preprocessing, read without Keras; ``MissingFileError`` for a bad bundle."""
    bundle = check_bundle_files(bundle_dir)
    try:
        return Preprocessing.from_json(bundle / PREPROCESSING_FILE)
    except (ValueError, TypeError) as exc:
        raise FcadDataError(bundle / PREPROCESSING_FILE, f"not a preprocessing record: {exc}") \
            from None


def load_model(bundle_dir: str | os.PathLike[str]) -> Any:
    """The bundle's Keras model (imports TensorFlow: call it last)."""
    return load_bundle(bundle_dir)[0]


def _resolve_input(area_or_stack: str | os.PathLike[str],
                   manifest: str | os.PathLike[str] | None) -> tuple[StudyArea | None, Path]:
    """``(area, None-stack)`` for a manifest name, ``(None, stack)`` for a stack GeoTIFF."""
    candidate = Path(area_or_stack)
    if candidate.suffix.lower() in (".tif", ".tiff") or candidate.is_file():
        if not candidate.is_file():
            raise MissingFileError(candidate, "factor stack does not exist")
        src, _ = open_factor_stack(candidate)  # band names checked here
        src.close()
        return None, candidate
    return get_area(str(area_or_stack), manifest), candidate


def _check_area_factors(area: StudyArea, preprocessing: Preprocessing) -> None:
    """Refuse, before any layer is read, an area that lacks a factor the model needs."""
    provided = {f for role in area.roles for f in ROLE_FACTORS.get(role, ())}
    missing = [f for f in preprocessing.factors if f not in provided]
    if missing:
        raise FcadDataError(area.manifest_path, f"area {area.name!r} lacks factor(s) {missing} "
                            f"that the model needs (it was trained on {preprocessing.factors})")


def _user_files(area: StudyArea | None, stack: Path) -> tuple[str, ...]:
    """The files the user gave: the stack, or the area's layers that make its factors."""
    if area is None:
        return (str(stack),)
    return tuple(str(area.layer(r).path) for r in ROLE_FACTORS if area.has(r))


@dataclass(frozen=True)
class MapOptions:
    """What :func:`predict_area` does besides predicting: the smallest polygon it keeps, and how
    it treats a stack unlike the model's training data.

    Attributes
    ----------
    min_area_m2 : float, optional
        Smallest polygon kept; default ``min_area_px`` pixels of the stack.
    min_area_px : float
        Smallest polygon in pixels when ``min_area_m2`` is not given
        (:data:`~fcad_lib.predict.polygons.MIN_POLYGON_PX`).
    strict : bool
        Stop (``DomainError``) when the stack is outside the training domain; else warn
        (:class:`DomainWarning`).
    on_domain : callable, optional
        Receives the :class:`~fcad_lib.predict.domain.DomainReport` (its ``problems`` are then
        the caller's to report; without it each is a :class:`DomainWarning`).
    allow_resolution_mismatch : bool
        Map a grid more than 1.5x finer or coarser than the model's training grid
        (:mod:`fcad_lib.predict.resolution`) instead of refusing it; the result's ``grid``
        records the comparison either way.
    """

    min_area_m2: float | None = None
    min_area_px: float = MIN_POLYGON_PX
    strict: bool = False
    on_domain: Callable[[DomainReport], None] | None = None
    allow_resolution_mismatch: bool = False


def predict_area(
    bundle_dir: str | os.PathLike,
    area_or_stack: str | os.PathLike,
    out_dir: str | os.PathLike,
    resolution_m: float | None = None,
    *,
    manifest: str | os.PathLike | None = None,
    overwrite: bool = False,
    options: MapOptions | None = None,
    **kwargs: Any,
) -> PredictionResult:
    """Bundle + study area (manifest name) or factor-stack GeoTIFF -> maps and polygons.

    Parameters
    ----------
    bundle_dir : path
        Model bundle (``model.keras`` + ``preprocessing.json``).
    area_or_stack : str or path
        An area of ``manifest``, or a factor-stack GeoTIFF.
    out_dir : path
        Output folder: ``probability.tif``, ``landslide_map.tif``, ``polygons.gpkg`` and, for an
        area, ``factors.tif``. Must be empty or absent unless ``overwrite``.
    resolution_m : float, optional
        Grid of an area's stack (default: the manifest's).
    manifest : path, optional
        Manifest of the area (default ``$FCAD_MANIFEST``, else ``data_manifest.yml`` in the
        working directory or one of its parents).
    overwrite : bool
        Replace the outputs of an earlier run in ``out_dir``.
    options : MapOptions, optional
        Smallest polygon, strictness about the training domain and grid (default
        ``MapOptions()``).
    **kwargs
        Passed to :func:`~fcad_lib.predict.predict_raster` (``tile``, ``overlap``,
        ``uncertainty``, ``passes`` ...). With ``uncertainty="tta"`` or ``"mc"`` the
        probability is the mean over the passes, ``uncertainty.tif`` holds their standard
        deviation, the polygons get a ``mean_uncertainty`` column and ``review.tif`` holds the
        four-class review map (:mod:`fcad_lib.predict.review`).

    Notes
    -----
    A killed run resumes when called again with the same arguments: each run stages in
    ``out_dir/.staging/<run key>/`` (:func:`~fcad_lib.predict.staging.run_key`), the staged
    stack of an area is reused, and the predictor's checkpoint matches by content (not by
    modification time). The output folder is locked for the whole run
    (:mod:`fcad_lib.predict.lock`): a second run on it raises
    :class:`~fcad_lib.errors.OutputLockedError`.
    """
    misplaced = sorted(set(kwargs) & {f.name for f in fields(MapOptions)})
    if misplaced:  # before MapOptions these were keywords of predict_area itself
        raise TypeError(f"predict_area: pass {', '.join(misplaced)} as "
                        f"options=MapOptions({misplaced[0]}=...), not as keywords")
    opts = options or MapOptions()
    out = check_out_dir(out_dir, overwrite)  # fail fast, before the lock creates the folder
    preprocessing = read_preprocessing(bundle_dir)
    check_method(kwargs.get("uncertainty", "none"), preprocessing.channels)
    area, stack = _resolve_input(area_or_stack, manifest)
    if area is not None:
        _check_area_factors(area, preprocessing)
    grid = check_resolution(
        preprocessing, target_resolution_m(area, stack, resolution_m),
        area.manifest_path if area is not None else stack, opts.allow_resolution_mismatch,
        hint="--resolution-m" if area is not None else "a stack rebuilt with fcad-stack "
        "--resolution-m")
    source = (stack_key(area, resolution_m) if area is not None
              else f"{stack.resolve()}:{stack.stat().st_size}")
    settings = {k: v for k, v in kwargs.items() if k not in ("progress", "on_strip_done")}
    key = run_key([Path(bundle_dir) / MODEL_FILE, Path(bundle_dir) / PREPROCESSING_FILE],
                  source, resolution_m=resolution_m, min_area_m2=opts.min_area_m2,
                  min_area_px=opts.min_area_px, **settings)
    with output_lock(out):
        check_out_dir(out, overwrite)  # again: a run that ended meanwhile may have filled it
        staging = staging_dir(out, key)
        names = ["probability.tif", "landslide_map.tif", "polygons.gpkg"]
        if area is not None:
            stack = reuse_or_write_stack(
                staging, stack_key(area, resolution_m),
                lambda tif: build_factor_stack(area, tif, resolution_m=resolution_m))
            names.insert(0, stack.name)
        report = check_domain(preprocessing, stack)
        problems = enforce(report, opts.strict)  # a refusal names the stack it read
        # the staged stack is gone after the run: name the published one and the user's files
        report = replace(report, stack=str(out / stack.name) if area is not None else str(stack),
                         inputs=_user_files(area, stack))
        if opts.on_domain is not None:
            opts.on_domain(report)
        else:
            for problem in problems:
                warnings.warn(problem, DomainWarning, stacklevel=2)
        model = load_model(bundle_dir)
        result = predict_raster(model, UnseenCodesAsNodata(preprocessing), stack, staging,
                                **kwargs)
        gdf = vectorize(result.landslide_map, min_area_m2=opts.min_area_m2,
                        probability_path=result.probability, min_area_px=opts.min_area_px,
                        uncertainty_path=result.uncertainty)
        write_polygons(gdf, staging / "polygons.gpkg")
        if result.uncertainty is not None:
            write_review(result.probability, result.uncertainty, staging / "review.tif",
                         result.threshold)
            names += ["uncertainty.tif", "review.tif"]
        paths = publish(staging, out, names)
    return replace(result, probability=paths["probability.tif"],
                   landslide_map=paths["landslide_map.tif"], polygons=paths["polygons.gpkg"],
                   stack=paths.get("factors.tif", stack), grid=grid,
                   uncertainty=paths.get("uncertainty.tif"), review=paths.get("review.tif"))


def _uncertainty_args(args: argparse.Namespace) -> dict[str, Any]:
    """The uncertainty keywords of a command line (none: none, so run keys stay as they were)."""
    if args.uncertainty == "none":
        return {}
    return {"uncertainty": args.uncertainty, "passes": args.passes, "seed": args.seed}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``fcad-predict MODEL_DIR AREA OUT_DIR [options]``."""
    parser = argparse.ArgumentParser(
        prog="fcad-predict", description="Whole-area landslide map from a trained model bundle."
    )
    parser.add_argument("model_dir", help="model bundle (model.keras + preprocessing.json)")
    parser.add_argument("area", help="manifest area name, or path to a factor-stack GeoTIFF")
    parser.add_argument("out_dir", help="output folder (must be empty, see --overwrite)")
    parser.add_argument("--manifest", help="manifest of the area (default: $FCAD_MANIFEST, else "
                        "data_manifest.yml in the working directory or a parent)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the outputs of an earlier run in OUT_DIR")
    parser.add_argument("--strict", action="store_true",
                        help="stop when the stack is outside the model's training domain")
    parser.add_argument("--overlap", type=int, default=32, help="tile overlap in pixels")
    parser.add_argument("--threshold", type=float, default=None,
                        help="probability threshold (default: the bundle's)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--tile", type=int, default=None, help="tile size (default: patch size)")
    parser.add_argument("--window", default="hann", choices=["hann", "triangle", "none"])
    parser.add_argument("--resolution-m", type=float, default=None,
                        help="pixel size of an area's grid (default: the manifest's)")
    parser.add_argument("--allow-resolution-mismatch", action="store_true",
                        help="map a grid more than 1.5x finer or coarser than the model's "
                        "training grid (recorded in the output JSON)")
    parser.add_argument("--min-area-px", type=float, default=MIN_POLYGON_PX,
                        help=f"drop polygons under this many pixels (default {MIN_POLYGON_PX})")
    parser.add_argument("--min-area-m2", type=float, default=None,
                        help="drop polygons under this area in m2 (overrides --min-area-px)")
    parser.add_argument("--uncertainty", default="none", choices=list(METHODS),
                        help="also write uncertainty.tif: the standard deviation of the "
                        "probability over test-time flips/rotations (tta, geometry-free stacks "
                        "only) or Monte Carlo dropout passes (mc); probability.tif is then their "
                        "mean")
    parser.add_argument("--passes", type=int, default=None,
                        help=f"mc passes per tile (default {MC_PASSES}; tta always makes 8)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the mc dropout masks")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    domain: dict[str, Any] = {}

    def report(r: DomainReport) -> None:
        domain.update(r.summary())
        for problem in r.problems:
            print(f"fcad-predict: warning: {problem}", file=sys.stderr)

    def one_line(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
        print(f"fcad-predict: warning: {message}", file=sys.stderr)  # no source line

    try:
        with warnings.catch_warnings():
            warnings.showwarning = one_line
            warnings.simplefilter("always", StaleLockWarning)  # every run says it, not once
            options = MapOptions(min_area_m2=args.min_area_m2, min_area_px=args.min_area_px,
                                 strict=args.strict, on_domain=report,
                                 allow_resolution_mismatch=args.allow_resolution_mismatch)
            result = predict_area(
                args.model_dir, args.area, args.out_dir, resolution_m=args.resolution_m,
                manifest=args.manifest, overwrite=args.overwrite, options=options,
                tile=args.tile, overlap=args.overlap, batch_size=args.batch_size,
                threshold=args.threshold, window_fn=args.window,
                progress=not args.no_progress, **_uncertainty_args(args),
            )
    except (FcadDataError, OSError, ValueError) as exc:  # OSError: also rasterio's IO errors
        # bad input is the user's to fix: say what is wrong, without a traceback
        print(f"fcad-predict: error: {exc}", file=sys.stderr)
        return 2
    summary = {k: str(v) for k, v in result.__dict__.items()
               if k in ("probability", "landslide_map", "threshold", "tiles", "polygons",
                        "stack")}
    extra = {"uncertainty": result.uncertainty_summary()} if result.uncertainty else {}
    print(json.dumps({**summary, **extra, "grid": result.grid, "domain": domain},
                     allow_nan=False))
    return 0
