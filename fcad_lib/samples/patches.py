"""Patches: the paper's 128 x 128 windows of the aligned stack, and the channel encoding.

The paper (Section 3.1) cuts the aligned factor stack into non-overlapping 128 x 128 windows.
:func:`extract_patches` does the same and keeps, beside the raw channels, an explicit validity
mask: missing pixels are ``NaN`` in the raw patches, 0 in the network input (after
:mod:`fcad_lib.samples.normalize`) and weight 0 in the loss. Lithology unit codes are nominal,
so they are one-hot encoded by default (:func:`encode_channels`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import xarray as xr

from fcad_lib.factors import LITHOLOGY

LithologyEncoding = Literal["onehot", "ordinal"]
ONEHOT_PREFIX = "lithology_"

__all__ = [
    "EncodedStack",
    "encode_stack",
    "ONEHOT_PREFIX",
    "LithologyEncoding",
    "Patches",
    "encode_channels",
    "extract_patches",
    "lithology_channels",
    "lithology_codes",
    "patch_origins",
    "valid_of",
]


def patch_origins(shape: Sequence[int], size: int = 128, stride: int = 128) -> np.ndarray:
    """Upper-left corners ``(row, col)`` of the patches of a 2-D sliding-window tiling.

    Parameters
    ----------
    shape : sequence of int
        ``(height, width)`` of the raster (extra trailing dimensions are ignored).
    size : int
        Window side in pixels.
    stride : int
        Step between windows; ``stride == size`` is the paper's non-overlapping tiling.

    Returns
    -------
    numpy.ndarray
        ``(N, 2)`` int array of ``(row, col)``; every window lies fully inside the raster, so a
        remainder strip narrower than ``size`` at the bottom / right edge is not covered.
    """
    if size < 1 or stride < 1:
        raise ValueError(f"size and stride must be positive, got size={size}, stride={stride}")
    height, width = int(shape[0]), int(shape[1])
    rows = np.arange(0, height - size + 1, stride)
    cols = np.arange(0, width - size + 1, stride)
    if rows.size == 0 or cols.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    return np.stack([rr.ravel(), cc.ravel()], axis=1).astype(np.int64)


def lithology_codes(values: np.ndarray) -> list[int]:
    """The sorted unit codes present in a lithology raster (NaN = missing, ignored)."""
    values = np.asarray(values)
    return [int(c) for c in np.unique(values[np.isfinite(values)])]


def lithology_channels(
    factors: Sequence[str], encoding: LithologyEncoding, codes: Sequence[int]
) -> list[str]:
    """Channel names produced by :func:`encode_channels` for ``factors``.

    One-hot lithology becomes one channel ``lithology_<code>`` per unit code, in place of the
    ``lithology`` factor; every other factor (and ordinal lithology) is one channel of its name.
    """
    _check_encoding(encoding)
    channels: list[str] = []
    for name in factors:
        if name == LITHOLOGY and encoding == "onehot":
            channels.extend(f"{ONEHOT_PREFIX}{int(c)}" for c in codes)
        else:
            channels.append(name)
    return channels


def encode_channels(
    factor_arrays: Mapping[str, np.ndarray],
    factors: Sequence[str],
    encoding: LithologyEncoding = "onehot",
    codes: Sequence[int] = (),
) -> np.ndarray:
    """Stack raw factor rasters into a ``(..., C)`` float32 channel array (NaN kept).

    Parameters
    ----------
    factor_arrays : mapping of str to numpy.ndarray
        Raw factor values, all of one shape (e.g. ``(H, W)``); extra keys are ignored.
    factors : sequence of str
        The factors to use, in channel order.
    encoding : {"onehot", "ordinal"}
        How lithology becomes channels. One-hot (the default) because unit codes are nominal:
        as one ordinal channel the network would read unit 5 as "more" than unit 2, an order
        the geologic map does not have.
    codes : sequence of int
        The lithology unit codes of the one-hot channels (those of the whole stack, so that
        every patch and every predicted window has the same channels).

    Returns
    -------
    numpy.ndarray
        ``(..., C)`` float32. A pixel with missing (NaN) lithology is NaN in every one-hot channel,
        so it stays visibly missing in the raw patches; after :meth:`Normalizer.transform` it is
        an all-zero one-hot vector. A code absent from ``codes`` (a unit not seen in the training
        stack) is also all-zero.
    """
    missing = [f for f in factors if f not in factor_arrays]
    if missing:
        raise ValueError(
            f"factor rasters missing for {missing}; the model needs factors {list(factors)}, "
            f"got {sorted(factor_arrays)}"
        )
    _check_encoding(encoding)
    layers: list[np.ndarray] = []
    for name in factors:
        values = np.asarray(factor_arrays[name], dtype=np.float32)
        if name == LITHOLOGY and encoding == "onehot":
            finite = np.isfinite(values)
            for code in codes:
                onehot = (values == np.float32(code)).astype(np.float32)
                onehot[~finite] = np.nan
                layers.append(onehot)
        else:
            layers.append(values)
    if not layers:
        raise ValueError("no channels: `factors` is empty or lithology has no unit codes")
    return np.stack(layers, axis=-1).astype(np.float32, copy=False)


def _check_encoding(encoding: str) -> None:
    if encoding not in ("onehot", "ordinal"):
        raise ValueError(f"lithology_encoding must be 'onehot' or 'ordinal', got {encoding!r}")


def valid_of(factor_arrays: Mapping[str, np.ndarray], factors: Sequence[str]) -> np.ndarray:
    """True where every one of ``factors`` is finite."""
    valid = np.ones(np.shape(factor_arrays[factors[0]]), dtype=bool)
    for name in factors:
        valid &= np.isfinite(factor_arrays[name])
    return valid


@dataclass(frozen=True)
class EncodedStack:
    """A whole stack as network channels: what :func:`extract_patches` cuts into tiles.

    Attributes
    ----------
    X
        ``(H, W, C)`` float32 raw channel values, NaN where a factor is missing.
    y
        ``(H, W)`` uint8 labels.
    valid
        ``(H, W)`` bool, pixels that may enter the loss.
    """

    X: np.ndarray
    y: np.ndarray
    valid: np.ndarray


@dataclass
class Patches:
    """Image patches of an aligned stack, in raw units (not yet normalised).

    Attributes
    ----------
    X : numpy.ndarray
        ``(N, H, W, C)`` float32 channels, ``NaN`` where a factor is missing.
    y : numpy.ndarray
        ``(N, H, W, 1)`` uint8 labels (1 = landslide).
    valid : numpy.ndarray
        ``(N, H, W, 1)`` bool, True where the pixel may enter the loss and the metrics.
    origins : numpy.ndarray
        ``(N, 2)`` int, ``(row, col)`` of each patch's upper-left pixel in the stack.
    channels : list of str
        Channel names, in order (one-hot lithology gives ``lithology_<code>``).
    factors : list of str
        The factors the channels come from.
    lithology_codes : list of int
        Unit codes of the one-hot channels (all codes of the stack, also for ordinal encoding).
    lithology_encoding : {"onehot", "ordinal"}
    """

    X: np.ndarray
    y: np.ndarray
    valid: np.ndarray
    origins: np.ndarray
    channels: list[str]
    factors: list[str]
    lithology_codes: list[int] = field(default_factory=list)
    lithology_encoding: LithologyEncoding = "onehot"

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @property
    def positive(self) -> np.ndarray:
        """``(N,)`` bool: the patch holds at least one valid landslide pixel."""
        return np.any((self.y[..., 0] > 0) & self.valid[..., 0], axis=(1, 2))

    def subset(self, idx: np.ndarray | Sequence[int]) -> Patches:
        """The patches at ``idx`` (integer indices or a boolean mask; repeats allowed)."""
        idx = np.asarray(idx)
        return Patches(
            X=self.X[idx],
            y=self.y[idx],
            valid=self.valid[idx],
            origins=self.origins[idx],
            channels=list(self.channels),
            factors=list(self.factors),
            lithology_codes=list(self.lithology_codes),
            lithology_encoding=self.lithology_encoding,
        )


def extract_patches(
    ds: xr.Dataset,
    factors: Sequence[str] | None = None,
    size: int = 128,
    stride: int = 128,
    min_valid_fraction: float = 0.5,
    lithology_encoding: LithologyEncoding = "onehot",
) -> Patches:
    """Cut an aligned stack into square patches.

    Parameters
    ----------
    ds : xarray.Dataset
        The aligned stack of :func:`fcad_lib.data.study_area.load_study_area` (needs ``label``).
    factors : sequence of str, optional
        Factors to use as channels, in order; default ``ds.attrs["factors"]``. Subsets give the
        ablations (e.g. without ``deformation_rate`` = the paper's "RS" input).
    size, stride : int
        Window side and step in pixels (stride = size: the paper's non-overlapping tiling).
    min_valid_fraction : float
        Drop windows whose fraction of valid pixels is below this.
    lithology_encoding : {"onehot", "ordinal"}
        See :func:`encode_channels`; one-hot by default because unit codes are nominal.

    Returns
    -------
    Patches
        The mask is ``ds["valid"]`` (every available factor finite) and-ed with the finiteness
        of the chosen factors, so channel subsets are scored on the same pixels as the full set.
    """
    if factors is None:
        factors = list(ds.attrs["factors"])
    factors = list(factors)
    absent = [f for f in factors if f not in ds.data_vars]
    if absent:
        raise ValueError(f"factors {absent} are not in the stack (it has {list(ds.data_vars)})")
    if "label" not in ds.data_vars:
        raise ValueError(
            f"the stack of area {ds.attrs.get('area', '?')!r} has no `label`: patches for "
            "training need a landslide inventory"
        )
    _check_encoding(lithology_encoding)

    arrays, valid_all, label, codes = _stack_arrays(ds, factors)
    channels = lithology_channels(factors, lithology_encoding, codes)
    kept: list[np.ndarray] = []
    for row, col in patch_origins(label.shape, size, stride):
        window = valid_all[row : row + size, col : col + size]
        if window.mean() >= min_valid_fraction:
            kept.append(np.array([row, col]))
    origins = np.array(kept, dtype=np.int64).reshape(-1, 2)

    n = len(origins)
    X = np.empty((n, size, size, len(channels)), dtype=np.float32)
    y = np.empty((n, size, size, 1), dtype=np.uint8)
    valid = np.empty((n, size, size, 1), dtype=bool)
    for i, (row, col) in enumerate(origins):
        win = (slice(row, row + size), slice(col, col + size))
        X[i] = encode_channels(
            {k: v[win] for k, v in arrays.items()}, factors, lithology_encoding, codes
        )
        y[i, ..., 0] = label[win]
        valid[i, ..., 0] = valid_all[win]
    return Patches(X, y, valid, origins, channels, factors, codes, lithology_encoding)


def _stack_arrays(ds: xr.Dataset, factors: Sequence[str]) -> tuple[
        dict[str, np.ndarray], np.ndarray, np.ndarray, list[int]]:
    """Raw factor arrays, validity mask, labels and lithology codes of a stack."""
    arrays = {name: np.asarray(ds[name].values, dtype=np.float32) for name in factors}
    codes = lithology_codes(arrays[LITHOLOGY]) if LITHOLOGY in arrays else []
    valid_all = valid_of(arrays, factors)
    if "valid" in ds.data_vars:
        valid_all &= np.asarray(ds["valid"].values, dtype=bool)
    label = np.asarray(ds["label"].values).astype(np.uint8)
    return arrays, valid_all, label, codes


def encode_stack(ds: xr.Dataset, patches: Patches) -> EncodedStack:
    """The whole stack with the channels, codes and mask of ``patches`` (cut from ``ds``).

    What :class:`fcad_lib.samples.crops.CropSampler` crops from: the same values as the
    patches, at every pixel.
    """
    arrays, valid_all, label, _ = _stack_arrays(ds, patches.factors)
    X = encode_channels(arrays, patches.factors, patches.lithology_encoding,
                        patches.lithology_codes)
    return EncodedStack(X, label, valid_all)
