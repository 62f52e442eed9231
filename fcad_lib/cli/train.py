"""``fcad-train AREA OUT``: train a model bundle on a registered area with the book's recipe.

The training budget (patch size, batch size, epochs, steps per epoch, learning rate, model
size) is a profile's of ``profiles.yml`` (``--profile quick`` by default; the file is
``--profiles PATH``, default ``profiles.yml`` in the working directory), with ``--epochs``
and ``--steps-per-epoch`` to override it; the recipe is the profile's ``recipe`` or
``rare-foreground`` (:mod:`fcad_lib.training.recipe`). The model trains on the requested
factors the area has (an area with a DEM alone gives the four terrain factors), on one split
and seed, as :func:`fcad_lib.training.experiments.run_experiment` does in the notebooks: the
threshold is chosen on the validation tiles and the test tiles are scored once. OUT receives
the bundle (``model.keras``, ``preprocessing.json`` with the training grid,
``train_config.json``, ``history.csv``) and ``result.json`` (scores, spec, area, profile).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from fcad_lib.bundle import CONFIG_FILE, HISTORY_FILE, MODEL_FILE, PREPROCESSING_FILE
from fcad_lib.cli.common import check_new_output, run_command
from fcad_lib.data.manifest import StudyArea, get_area, yaml_problem
from fcad_lib.errors import FcadDataError, MissingFileError
from fcad_lib.evaluation.result import RESULT_FILE, ExperimentResult
from fcad_lib.factors import FACTOR_GROUPS, FACTOR_ORDER, ROLE_FACTORS
from fcad_lib.jsonio import dumps

PROG = "fcad-train"
#: Profile parameters that set the training budget (the rest of a profile is the notebooks').
BUDGET_KEYS = ("patch_size", "stride", "batch_size", "epochs", "steps_per_epoch",
               "learning_rate", "model_config", "recipe")
#: The profiles file read when none is given: ``profiles.yml`` in the working directory.
PROFILES_FILE = Path("profiles.yml")
#: Recipe of a profile that names none: the book's (``book/training_recipe.md``).
DEFAULT_RECIPE = "rare-foreground"
#: Scores printed, in the paper's column order, and the average precision.
COLUMNS = ("pre", "rec", "f1", "kappa", "miou", "ap")


def requested_factors(names: Sequence[str] | None) -> list[str]:
    """Factor names, with group names (``terrain``, ``RS-DR`` ...) expanded; default all."""
    if not names:
        return list(FACTOR_ORDER)
    out: list[str] = []
    for name in names:
        group = FACTOR_GROUPS.get(name, (name,))
        unknown = [f for f in group if f not in FACTOR_ORDER]
        if unknown:
            raise ValueError(f"unknown factor {name!r}; factors: {', '.join(FACTOR_ORDER)}; "
                             f"groups: {', '.join(FACTOR_GROUPS)}")
        out += [f for f in group if f not in out]
    return out


def area_factors(area: StudyArea, wanted: Sequence[str]) -> tuple[list[str], list[str]]:
    """``(kept, missing)``: the wanted factors the area's layers make, and the others.

    Raises
    ------
    FcadDataError
        None of the wanted factors is there (naming them all).
    """
    provided = {f for role in area.roles for f in ROLE_FACTORS.get(role, ())}
    kept = [f for f in wanted if f in provided]
    missing = [f for f in wanted if f not in provided]
    if not kept:
        raise FcadDataError(area.manifest_path, f"area {area.name!r} has none of the factors "
                            f"{missing}; it has {[f for f in FACTOR_ORDER if f in provided]}")
    return kept, missing


def profile_parameters(profile: str, path: str | os.PathLike[str] = PROFILES_FILE
                       ) -> dict[str, Any]:
    """The ``parameters`` of one profile of a profiles file (the book's ``profiles.yml``).

    The library does not import the book's tooling: this reads only what ``fcad-train`` needs,
    the profile's papermill parameters.

    Parameters
    ----------
    profile : str
        Profile name (``quick``, ``default``, ``paper``, ...).
    path : str or PathLike
        The profiles file; default ``profiles.yml`` in the working directory.

    Raises
    ------
    MissingFileError
        The file does not exist.
    FcadDataError
        Bad YAML, or no such profile (the message lists the known ones).
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(path.resolve(), "profiles file does not exist; pass --profiles "
                               "PATH or run where profiles.yml is")
    try:
        profiles = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise FcadDataError(path, yaml_problem(exc)) from None
    if not isinstance(profiles, Mapping):
        raise FcadDataError(path, "expected a mapping of profile names")
    if profile not in profiles:
        raise FcadDataError(path, f"no profile {profile!r}; known: {sorted(profiles)}")
    params = (profiles[profile] or {}).get("parameters") or {}
    if not isinstance(params, Mapping):
        raise FcadDataError(path, f"profile {profile!r}: parameters must be a mapping")
    return dict(params)


def budget(profile: str, epochs: int | None = None, steps_per_epoch: int | None = None,
           profiles: str | os.PathLike[str] = PROFILES_FILE) -> dict[str, Any]:
    """The profile's training budget and recipe, with the command line's overrides."""
    params = profile_parameters(profile, profiles)
    out = {k: params[k] for k in BUDGET_KEYS if k in params}
    out.setdefault("recipe", DEFAULT_RECIPE)
    if epochs is not None:
        out["epochs"] = epochs
    if steps_per_epoch is not None:
        out["steps_per_epoch"] = steps_per_epoch
    return out


@dataclass(frozen=True)
class TrainSettings:
    """What ``fcad-train`` trains: which factors, with which budget, model, split and seed.

    Attributes
    ----------
    factors : sequence of str, optional
        Factors or groups (``terrain``, ``RS-DR`` ...); those the area lacks are left out.
        Default: all the area has.
    profile : str
        Profile of ``profiles.yml`` whose training budget is used.
    model : str
        ``fcadensenet``, ``fcdensenet``, ``unet`` or ``fcn``.
    split : str
        ``blocked`` (spatial blocks) or ``random`` (the paper's).
    seed : int
        Seed of the split and the training.
    epochs, steps_per_epoch : int, optional
        Override the profile's.
    profiles : path
        The profiles file (default ``profiles.yml`` in the working directory).
    """

    factors: Sequence[str] | None = None
    profile: str = "quick"
    model: str = "fcadensenet"
    split: str = "blocked"
    seed: int = 0
    epochs: int | None = None
    steps_per_epoch: int | None = None
    profiles: str | os.PathLike[str] = PROFILES_FILE


def train_area(area_name: str, out: str | os.PathLike[str],
               settings: TrainSettings | None = None, *,
               manifest: str | os.PathLike[str] | None = None,
               resolution_m: float | None = None, overwrite: bool = False,
               verbose: int = 1) -> ExperimentResult:
    """Train one bundle on an area and copy it to ``out``; the experiment's result.

    Parameters
    ----------
    area_name : str
        Area of the manifest; it needs an inventory.
    out : path
        Bundle folder to write.
    settings : TrainSettings, optional
        Factors, budget, model, split and seed (default ``TrainSettings()``).
    manifest : path, optional
        Manifest of the area (default ``$FCAD_MANIFEST``, else ``data_manifest.yml`` in the
        working directory or one of its parents).
    resolution_m : float, optional
        Pixel size in metres (default: the area's).
    overwrite : bool
        Replace a non-empty ``out``.
    verbose : int
        Keras progress (0: none).

    Returns
    -------
    ExperimentResult
        :func:`~fcad_lib.training.experiments.run_experiment`'s result, its record extended by
        ``area``, ``manifest``, ``profile``, ``recipe`` and ``factors_missing``, with
        ``bundle_dir`` = ``out``; the record is also written as ``out/result.json``.
    """
    s = settings or TrainSettings()
    out = check_new_output(out, overwrite, "output folder")
    area = get_area(area_name, manifest)
    if not area.has("inventory"):
        raise FcadDataError(area.manifest_path, f"area {area.name!r} has no inventory to "
                            "train on")
    kept, missing = area_factors(area, requested_factors(s.factors))
    if missing and s.factors:
        print(f"{PROG}: note: area {area.name!r} lacks {missing}; training on {kept}",
              file=sys.stderr)
    params = budget(s.profile, s.epochs, s.steps_per_epoch, s.profiles)
    # TensorFlow only now: every mistake above is reported in a second, not after the import
    from fcad_lib.data.study_area import load_study_area
    from fcad_lib.training.experiments import ExperimentSpec, prepare_data, run_experiment

    ds = load_study_area(area, resolution_m=resolution_m)
    spec = ExperimentSpec.from_params(params, model=s.model, factors=tuple(kept), split=s.split,
                                      seed=s.seed)
    data = prepare_data(ds, spec)
    if data.preprocessing.grid is not None:
        data.preprocessing.grid = replace(data.preprocessing.grid, profile=s.profile)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fcad-train-", dir=out) as work:
        run = run_experiment(ds, spec, work, reuse=False, prepared=data, verbose=verbose)
        bundle = run.bundle_dir  # a network's: never None
        for name in (MODEL_FILE, PREPROCESSING_FILE, CONFIG_FILE, HISTORY_FILE):
            if bundle is not None and (bundle / name).exists():
                shutil.copy2(bundle / name, out / name)
    # the command's record adds where it trained (area, profile ...) to the experiment's
    result = run.updated(bundle_dir=str(out), area=area.name, manifest=str(area.manifest_path),
                         profile=s.profile, recipe=params["recipe"], factors_missing=missing)
    (out / RESULT_FILE).write_text(dumps(result.record, indent=2) + "\n")
    return result


def score_table(result: ExperimentResult) -> str:
    """Validation and test scores as a small fixed-width table."""
    lines = [f"{'split':<6}" + "".join(f"{c:>8}" for c in COLUMNS)]
    for split in ("val", "test"):
        scores = result.scores_of(split)
        cells = "".join(f"{'-':>8}" if scores.get(c) is None else f"{scores[c]:>8.4f}"
                        for c in COLUMNS)
        lines.append(f"{split:<6}{cells}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``fcad-train AREA OUT [--factors ...] [--profile quick] ...``."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("area", help="area name in the manifest (it needs an inventory)")
    parser.add_argument("out", type=Path, help="bundle folder to write")
    parser.add_argument("--factors", nargs="+", default=None,
                        help="factors or groups (terrain, optical, RS-DR ...) to train on; those "
                        "the area lacks are left out (default: all the area has)")
    parser.add_argument("--profile", default="quick",
                        help="training budget of profiles.yml: quick, default or paper")
    parser.add_argument("--profiles", type=Path, default=PROFILES_FILE,
                        help="the profiles file (default: profiles.yml in the working directory)")
    parser.add_argument("--model", default="fcadensenet",
                        choices=["fcadensenet", "fcdensenet", "unet", "fcn"])
    parser.add_argument("--split", default="blocked", choices=["blocked", "random"],
                        help="blocked: spatial blocks (honest on new ground); random: the paper's")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None, help="override the profile's")
    parser.add_argument("--steps-per-epoch", type=int, default=None,
                        help="override the profile's")
    parser.add_argument("--manifest", help="manifest of the area (default: $FCAD_MANIFEST, else "
                        "data_manifest.yml in the working directory or a parent)")
    parser.add_argument("--resolution-m", type=float, default=None,
                        help="pixel size in metres (default: the area's resolution_m)")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty OUT")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    def body() -> int:
        settings = TrainSettings(
            factors=args.factors, profile=args.profile, model=args.model, split=args.split,
            seed=args.seed, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
            profiles=args.profiles)
        result = train_area(args.area, args.out, settings, manifest=args.manifest,
                            resolution_m=args.resolution_m, overwrite=args.overwrite,
                            verbose=0 if args.no_progress else 1)
        n = result.n_patches
        print(f"{PROG}: {result.model} on {result.record['area']} "
              f"({', '.join(result.spec['factors'])}), {args.split} split, seed {args.seed}: "
              f"{n.get('train', 0)} / {n.get('val', 0)} / {n.get('test', 0)} tiles; "
              f"threshold {result.threshold:.2f} (chosen on val)")
        print(score_table(result))
        print(dumps({"bundle": str(args.out), "threshold": result.threshold,
                     "val": result.val_scores, "test": result.scores}))
        return 0

    return run_command(PROG, body)


if __name__ == "__main__":
    raise SystemExit(main())
