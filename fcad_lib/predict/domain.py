"""Is a new factor stack inside the model's training domain?

A model applied to a stack unlike its training data still returns a probability map, and nothing
in the map says it is meaningless: bands swapped under their names, a rate in the wrong unit, or
lithology units the model never saw (one-hot encoded as all zeros). Before predicting, the stack
is read block by block once and compared with the bundle's preprocessing:

- each continuous channel's mean and spread with the normaliser's (``mean``, ``std``, which were
  fitted on the training patches' valid pixels);
- each lithology code with the codes seen in training (``lithology_codes``);
- the fraction of pixels where every factor the model needs is finite.

Unseen lithology codes become nodata (:class:`UnseenCodesAsNodata`), never silent zeros.
No TensorFlow here: the check runs before the model is loaded.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import RasterioIOError
from rasterio.windows import Window

from fcad_lib.data.stack_io import BLOCK_SIZE, open_factor_stack
from fcad_lib.errors import FcadDataError

LITHOLOGY = "lithology"
#: A channel whose stack mean lies further than this many training standard deviations from the
#: training mean is out of domain.
MAX_SHIFT_STD = 3.0
#: A channel whose stack spread is more than this factor above or below the training spread is
#: out of domain.
MAX_SPREAD_RATIO = 3.0
#: Below this fraction of pixels where a factor is finite, the factor (or the whole stack) is
#: refused: a map of it would be mostly nodata.
MIN_VALID_FRACTION = 0.05


class DomainError(FcadDataError):
    """The stack is outside the model's training domain (``--strict``), or has no valid pixel."""


@dataclass(frozen=True)
class ChannelCheck:
    """One continuous channel: stack statistics against the normaliser's."""

    name: str
    stack_mean: float
    stack_std: float
    train_mean: float
    train_std: float

    @property
    def shift_std(self) -> float:
        """``|stack mean - training mean|`` in training standard deviations."""
        return abs(self.stack_mean - self.train_mean) / self.train_std

    @property
    def spread_ratio(self) -> float:
        """Stack standard deviation / training standard deviation."""
        return self.stack_std / self.train_std

    @property
    def problem(self) -> str | None:
        """Why the channel is out of domain, or None."""
        if not np.isfinite(self.stack_mean):
            return None  # no valid pixel: reported by the valid-fraction check
        if self.shift_std > MAX_SHIFT_STD:
            return (f"channel {self.name!r}: mean {self.stack_mean:.4g} is {self.shift_std:.1f} "
                    f"training std from the training mean {self.train_mean:.4g}")
        ratio = self.spread_ratio
        if ratio > MAX_SPREAD_RATIO or ratio < 1 / MAX_SPREAD_RATIO:
            return (f"channel {self.name!r}: std {self.stack_std:.4g} is {ratio:.2g}x the "
                    f"training std {self.train_std:.4g}")
        return None


@dataclass(frozen=True)
class DomainReport:
    """What :func:`check_domain` found; ``problems`` lists the out-of-domain findings.

    ``stack`` is the stack that was read; ``inputs`` the user's files it was made from (the
    caller names them, e.g. an area's layers, as :func:`check_domain` only sees the stack).
    """

    stack: str
    pixels: int
    valid_pixels: int
    finite_fraction: dict[str, float]
    channels: list[ChannelCheck]
    lithology_pixels: int = 0
    unseen_codes: dict[int, int] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()

    @property
    def valid_fraction(self) -> float:
        """Fraction of pixels where every needed factor is finite."""
        return self.valid_pixels / self.pixels if self.pixels else 0.0

    @property
    def unseen_pixels(self) -> int:
        """Pixels whose lithology code the model never saw (they become nodata)."""
        return int(sum(self.unseen_codes.values()))

    @property
    def problems(self) -> list[str]:
        """One line per out-of-domain finding (channels, unseen lithology codes)."""
        lines = [c.problem for c in self.channels if c.problem]
        if self.unseen_codes:
            share = self.unseen_pixels / max(self.lithology_pixels, 1)
            codes = ", ".join(f"{k} ({v} px)" for k, v in sorted(self.unseen_codes.items()))
            lines.append(f"channel 'lithology': {share:.1%} of its pixels carry codes never seen "
                         f"in training: {codes}; they are mapped as nodata")
        return lines

    def summary(self) -> dict[str, Any]:
        """JSON-safe summary (no NaN or Infinity)."""
        return {
            "stack": self.stack,
            "inputs": list(self.inputs),
            "valid_fraction": round(self.valid_fraction, 6),
            "unseen_lithology_pixels": self.unseen_pixels,
            "unseen_lithology_codes": {str(k): v for k, v in sorted(self.unseen_codes.items())},
            "problems": self.problems,
        }


def _accumulate(src: rasterio.io.DatasetReader, bands: Sequence[int], names: Sequence[str],
                continuous: Sequence[str]) -> dict[str, Any]:
    """One pass over the stack by block rows: finite counts, sums of valid pixels, codes."""
    acc: dict[str, Any] = {
        "finite": dict.fromkeys(names, 0), "n": 0,
        "sum": dict.fromkeys(continuous, 0.0), "sumsq": dict.fromkeys(continuous, 0.0),
        "codes": {},
    }
    for r0 in range(0, src.height, BLOCK_SIZE):
        win = Window(0, r0, src.width, min(BLOCK_SIZE, src.height - r0))
        raw = src.read(list(bands), window=win).astype("float64")
        finite = np.isfinite(raw)
        valid = finite.all(axis=0)
        acc["n"] += int(valid.sum())
        for i, name in enumerate(names):
            acc["finite"][name] += int(finite[i].sum())
            if name in continuous:
                v = raw[i][valid]
                acc["sum"][name] += float(v.sum())
                acc["sumsq"][name] += float((v * v).sum())
            elif name == LITHOLOGY:
                codes, counts = np.unique(raw[i][finite[i]], return_counts=True)
                for c, k in zip(codes.tolist(), counts.tolist(), strict=True):
                    acc["codes"][c] = acc["codes"].get(c, 0) + k
    return acc


def check_domain(preprocessing: Any, stack_path: str | os.PathLike[str]) -> DomainReport:
    """Compare a factor stack with a bundle's preprocessing, reading the stack by blocks.

    Parameters
    ----------
    preprocessing : Preprocessing
        The bundle's (``factors``, ``channels``, ``mean``, ``std``, ``lithology_codes``).
    stack_path : path
        Factor-stack GeoTIFF (:func:`fcad_lib.data.stack_io.write_factor_stack`).

    Returns
    -------
    DomainReport

    Raises
    ------
    DomainError
        A needed factor is finite on fewer than :data:`MIN_VALID_FRACTION` of the pixels, or no
        pixel has every needed factor: the map would be nodata.
    ValueError
        The stack lacks a needed factor.
    """
    names = list(getattr(preprocessing, "factors", None) or preprocessing.channels)
    stats = dict(zip(preprocessing.channels, zip(preprocessing.mean, preprocessing.std,
                                                 strict=True), strict=True))
    continuous = [n for n in names if n != LITHOLOGY and n in stats]
    try:
        src, stack_factors = open_factor_stack(stack_path)
    except RasterioIOError as exc:
        raise FcadDataError(stack_path, f"cannot open the stack: {exc}") from None
    with src:
        missing = [n for n in names if n not in stack_factors]
        if missing:
            raise ValueError(f"{stack_path}: factor stack lacks {missing} needed by the model")
        bands = [stack_factors.index(n) + 1 for n in names]
        pixels = src.width * src.height
        try:
            acc = _accumulate(src, bands, names, continuous)
        except RasterioIOError as exc:  # e.g. a truncated stack whose header is intact
            raise FcadDataError(stack_path, f"cannot read the stack (truncated or corrupt?): "
                                f"{exc}") from None
    fractions = {n: acc["finite"][n] / pixels for n in names}
    low = [f"{n} ({fr:.1%})" for n, fr in fractions.items() if fr < MIN_VALID_FRACTION]
    if low:
        raise DomainError(stack_path, f"factor(s) {', '.join(low)} finite on fewer than "
                          f"{MIN_VALID_FRACTION:.0%} of the pixels: the map would be nodata")
    n = acc["n"]
    if n == 0:
        raise DomainError(stack_path, "no pixel has every factor the model needs "
                          f"({', '.join(names)}): the map would be nodata")
    channels = []
    for name in continuous:
        mean = acc["sum"][name] / n
        std = float(np.sqrt(max(acc["sumsq"][name] / n - mean * mean, 0.0)))
        train_mean, train_std = (float(v) for v in stats[name])
        channels.append(ChannelCheck(name, mean, std, train_mean, train_std or 1.0))
    seen = {int(c) for c in getattr(preprocessing, "lithology_codes", []) or []}
    codes = acc["codes"]
    unseen = {int(c): k for c, k in codes.items() if int(c) not in seen} if LITHOLOGY in names \
        else {}
    return DomainReport(str(stack_path), pixels, n, fractions, channels,
                        int(sum(codes.values())), unseen)


def enforce(report: DomainReport, strict: bool = False) -> list[str]:
    """Return the report's problems; with ``strict``, raise :class:`DomainError` on the first."""
    problems = report.problems
    if strict and problems:
        raise DomainError(report.stack, f"outside the model's training domain: {problems[0]}"
                          + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return problems


def mask_unseen_codes(factor_arrays: Mapping[str, np.ndarray],
                      codes: Sequence[int]) -> dict[str, np.ndarray]:
    """The arrays with lithology codes outside ``codes`` set to NaN (nodata)."""
    out = dict(factor_arrays)
    if LITHOLOGY in out and len(codes):
        lith = np.asarray(out[LITHOLOGY], dtype="float32")
        unseen = np.isfinite(lith) & ~np.isin(lith, np.asarray(codes, dtype="float32"))
        if unseen.any():
            lith = lith.copy()
            lith[unseen] = np.nan
        out[LITHOLOGY] = lith
    return out


class UnseenCodesAsNodata:
    """A preprocessing whose ``encode`` first turns unseen lithology codes into nodata.

    Everything else is the wrapped preprocessing's, so the predictor uses it unchanged; pixels
    with an unseen code come out as nodata instead of an all-zero one-hot vector.
    """

    def __init__(self, preprocessing: Any) -> None:
        self._wrapped = preprocessing

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)

    def encode(self, factor_arrays: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``preprocessing.encode`` of the arrays after :func:`mask_unseen_codes`."""
        codes = getattr(self._wrapped, "lithology_codes", []) or []
        return self._wrapped.encode(mask_unseen_codes(factor_arrays, codes))
