"""Calibration tables and paired intervals for the results notebooks (05, 09, 11)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from fcad_lib.evaluation.calibration import TileCalibration, paired_calibration_bootstrap
from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.evaluation.stats import method_label

__all__ = ["CALIBRATED_SUFFIX", "calibration_intervals", "calibration_table",
           "reliability_curves"]

#: Suffix of a network's label after temperature scaling.
CALIBRATED_SUFFIX = " (calibrated)"


def _tiles(results: Sequence[ExperimentResult], split: str) -> dict[str, dict[int, Any]]:
    """``{label: {seed: TileCalibration}}`` of one split, calibrated networks as own labels."""
    out: dict[str, dict[int, TileCalibration]] = {}
    for r in results:
        detail = r.calibration
        if not detail or r.split != split:
            continue
        seed, label = r.seed, method_label(r)
        out.setdefault(label, {})[seed] = TileCalibration.from_dict(detail["raw"])
        if detail.get("calibrated"):
            out.setdefault(label + CALIBRATED_SUFFIX, {})[seed] = TileCalibration.from_dict(
                detail["calibrated"])
    return out


def reliability_curves(results: Sequence[ExperimentResult], split: str = "random"
                       ) -> dict[str, list[TileCalibration]]:
    """``{label: [TileCalibration of each seed]}`` of one split, for the reliability diagram.

    A network calibrated by temperature scaling appears a second time, its label followed by
    :data:`CALIBRATED_SUFFIX`.
    """
    return {label: [by_seed[s] for s in sorted(by_seed)]
            for label, by_seed in _tiles(results, split).items()}


def calibration_table(results: Sequence[ExperimentResult]) -> pd.DataFrame:
    """ECE and Brier score per method and split, before and after calibration (seed means).

    Methods without a probability (the threshold rule) are left out. ``T`` is the mean
    temperature fitted on validation (networks only).
    """
    rows = []
    for r in results:
        detail = r.calibration
        if not detail:
            continue
        cal = r.scores_of("test_calibrated")
        rows.append({"method": method_label(r), "split": r.split, "seed": r.seed,
                     "ECE": r.scores.get("ece"), "Brier": r.scores.get("brier"),
                     "ECE calibrated": cal.get("ece"),
                     "Brier calibrated": cal.get("brier"), "T": detail.get("temperature")})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    table = frame.groupby(["split", "method"], sort=False).mean(numeric_only=True)
    table["seeds"] = frame.groupby(["split", "method"], sort=False).size()
    return table.drop(columns="seed")


def calibration_intervals(results: Sequence[ExperimentResult], pairs: Sequence[tuple[str, str]],
                          splits: Sequence[str] = ("random", "blocked"),
                          n_boot: int = 2000) -> pd.DataFrame:
    """Paired tile-bootstrap intervals of the ECE and Brier differences ``A - B``.

    Labels may carry :data:`CALIBRATED_SUFFIX` to name a network after temperature scaling
    (e.g. ``("FCADenseNet (calibrated)", "FCADenseNet")``). Negative: A is better calibrated.
    """
    rows = []
    for split in splits:
        tiles = _tiles(results, split)
        for a, b in pairs:
            seeds = sorted(set(tiles.get(a, {})) & set(tiles.get(b, {})))
            if not seeds:
                continue
            row: dict[str, Any] = {"split": split, "A": a, "B": b, "seeds": len(seeds)}
            for metric, name in (("ece", "ECE"), ("brier", "Brier")):
                diff, low, high = paired_calibration_bootstrap(
                    [tiles[a][s] for s in seeds], [tiles[b][s] for s in seeds], metric, n_boot)
                # one narrow column per quantity: the difference with its interval, and who is
                # better calibrated (only where the interval excludes 0)
                row[f"{name} A - B (95 % interval)"] = f"{diff:+.4f} [{low:+.4f}, {high:+.4f}]"
                row[f"{name}: better calibrated"] = ("A" if high < 0 else "B" if low > 0
                                                     else "neither")
            rows.append(row)
    return pd.DataFrame(rows)
