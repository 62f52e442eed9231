"""Training samples: tiling, splits, normalisation, lithology encoding, augmentation, ``tf.data``.

The paper cuts the aligned factor stack into non-overlapping 128 x 128 windows, z-scores every
channel, splits the patches 7:3 (train : test) at random and augments the rare landslide class.
This module does the same, and adds what the paper leaves open:

* a validation split carved out of the training part (checkpointing and threshold choice never
  see the test patches);
* a spatially blocked split, so that neighbouring (spatially autocorrelated) patches cannot sit
  on both sides of the train / test boundary;
* an explicit validity mask: missing pixels are ``NaN`` in the raw patches, 0 in the network
  input, and weight 0 in the loss.

TensorFlow is imported inside the functions that need it, so the rest of the library (and the
whole-area predictor's :class:`Preprocessing`) does not pay its import time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import xarray as xr

if TYPE_CHECKING:
    import tensorflow as tf

LithologyEncoding = Literal["onehot", "ordinal"]
LITHOLOGY = "lithology"
ONEHOT_PREFIX = "lithology_"

__all__ = [
    "Normalizer",
    "Patches",
    "Preprocessing",
    "augment",
    "encode_channels",
    "extract_patches",
    "lithology_channels",
    "make_dataset",
    "oversample_positive",
    "split_blocked",
    "split_random",
    "tile_origins",
]


# --------------------------------------------------------------------------------------------
# Tiling and channel encoding
# --------------------------------------------------------------------------------------------


def tile_origins(shape: Sequence[int], size: int = 128, stride: int = 128) -> np.ndarray:
    """Upper-left corners of the windows of a sliding-window tiling.

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


def _valid_of(factor_arrays: Mapping[str, np.ndarray], factors: Sequence[str]) -> np.ndarray:
    """True where every one of ``factors`` is finite."""
    valid = np.ones(np.shape(factor_arrays[factors[0]]), dtype=bool)
    for name in factors:
        valid &= np.isfinite(factor_arrays[name])
    return valid


# --------------------------------------------------------------------------------------------
# Patches
# --------------------------------------------------------------------------------------------


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

    arrays = {name: np.asarray(ds[name].values, dtype=np.float32) for name in factors}
    codes: list[int] = []
    if LITHOLOGY in arrays:
        lith = arrays[LITHOLOGY]
        codes = [int(c) for c in np.unique(lith[np.isfinite(lith)])]
    valid_all = _valid_of(arrays, factors)
    if "valid" in ds.data_vars:
        valid_all &= np.asarray(ds["valid"].values, dtype=bool)
    label = np.asarray(ds["label"].values).astype(np.uint8)

    channels = lithology_channels(factors, lithology_encoding, codes)
    kept: list[np.ndarray] = []
    for row, col in tile_origins(label.shape, size, stride):
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


# --------------------------------------------------------------------------------------------
# Splits
# --------------------------------------------------------------------------------------------


def _check_fractions(test_fraction: float, val_fraction: float) -> None:
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")


def _take(
    order: np.ndarray, sizes: np.ndarray, target: float, at_least_one: bool, keep: int
) -> tuple[list[int], np.ndarray]:
    """Take groups from ``order`` while that brings the taken size closer to ``target``.

    A group is taken when the running total plus half its size stays below the target (for unit
    sizes: round half down). ``at_least_one`` forces one group; ``keep`` groups are always left.
    """
    taken: list[int] = []
    total = 0.0
    limit = max(len(order) - keep, 0)
    for g in order:
        if len(taken) >= limit:
            break
        if total + sizes[g] / 2.0 < target:
            taken.append(int(g))
            total += sizes[g]
    if not taken and at_least_one and limit > 0:
        taken.append(int(order[0]))
    rest = np.array([g for g in order if g not in set(taken)], dtype=np.int64)
    return taken, rest


def _allocate_groups(
    sizes: np.ndarray,
    positive: np.ndarray,
    test_fraction: float,
    val_fraction: float,
    rng: np.random.Generator,
) -> dict[str, list[int]]:
    """Allocate groups (patches or blocks) to train / val / test, stratified by ``positive``.

    Positive and negative groups are allocated separately, each in the split proportions, so
    the rare landslide patches reach every split. In the positive stratum the test split gets
    at least one group when there are two, the validation split when there are three (the
    threshold is chosen there), and training always keeps at least one.
    """
    out: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for is_pos in (True, False):
        groups = np.flatnonzero(positive == is_pos)
        if groups.size == 0:
            continue
        order = groups[rng.permutation(groups.size)]
        n_total = float(sizes[groups].sum())
        test, rest = _take(order, sizes, test_fraction * n_total, is_pos, keep=1)
        n_rest = float(sizes[rest].sum()) if rest.size else 0.0
        val, train = _take(rest, sizes, val_fraction * n_rest, is_pos and val_fraction > 0, 1)
        out["test"] += test
        out["val"] += val
        out["train"] += [int(g) for g in train]
    return out


def _finish(split: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    split = {k: np.sort(np.asarray(v, dtype=np.int64)) for k, v in split.items()}
    if split["train"].size == 0 or split["test"].size == 0:
        raise ValueError(
            f"too few patches ({n}) to make non-empty train and test splits "
            f"(train {split['train'].size}, test {split['test'].size}); use a larger area, "
            "smaller patches or smaller blocks"
        )
    return split


def split_random(
    n: int,
    test_fraction: float = 0.3,
    val_fraction: float = 0.15,
    seed: int = 0,
    positive: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The paper's random train : test split, with a validation part carved out of training.

    Parameters
    ----------
    n : int
        Number of patches.
    test_fraction : float
        Fraction of patches in the test split (the paper's 7:3 -> 0.3).
    val_fraction : float
        Fraction of the *non-test* patches held out for validation (checkpointing and threshold
        choice), so the test split is never looked at before the final evaluation.
    seed : int
        Seed of the permutation; the split is a deterministic function of its arguments.
    positive : numpy.ndarray, optional
        ``(n,)`` bool, patches holding landslide pixels (:attr:`Patches.positive`). When given,
        positive and negative patches are split separately in the same proportions (light
        stratification), so the test split has landslide patches whenever there are two.

    Returns
    -------
    dict
        ``{"train", "val", "test"}`` -> sorted int index arrays, disjoint, covering ``range(n)``.
        ``val`` may be empty for tiny ``n``; ``train`` and ``test`` never are (ValueError).
    """
    _check_fractions(test_fraction, val_fraction)
    if n < 2:
        raise ValueError(f"too few patches ({n}) for a train / test split: need at least 2")
    pos = np.zeros(n, dtype=bool) if positive is None else np.asarray(positive, dtype=bool)
    if pos.shape != (n,):
        raise ValueError(f"`positive` must have shape ({n},), got {pos.shape}")
    rng = np.random.default_rng(seed)
    split = _allocate_groups(np.ones(n), pos, test_fraction, val_fraction, rng)
    return _finish({k: np.asarray(v) for k, v in split.items()}, n)


def block_ids(origins: np.ndarray, block_size_px: int) -> np.ndarray:
    """``(N,)`` int id of the square block of side ``block_size_px`` holding each patch origin."""
    origins = np.asarray(origins, dtype=np.int64).reshape(-1, 2)
    if block_size_px < 1:
        raise ValueError(f"block_size_px must be positive, got {block_size_px}")
    cells = origins // int(block_size_px)
    _, ids = np.unique(cells, axis=0, return_inverse=True)
    return ids.reshape(-1)


def split_blocked(
    origins: np.ndarray,
    block_size_px: int,
    test_fraction: float = 0.3,
    val_fraction: float = 0.15,
    seed: int = 0,
    positive: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Spatially blocked split: whole square blocks of patches go to one split.

    Patches are grouped by the block of side ``block_size_px`` (pixels, e.g. 4 patch sides)
    that holds their origin, and blocks are allocated at random, so two patches of one block
    never end on both sides of the train / test boundary and spatial autocorrelation leaks
    less than with :func:`split_random`. Blocks are taken until each split's *patch* count is
    closest to its fraction; with few large blocks the proportions are approximate.

    Parameters
    ----------
    origins : numpy.ndarray
        ``(N, 2)`` patch origins ``(row, col)`` (:attr:`Patches.origins`).
    block_size_px : int
        Block side in pixels.
    test_fraction, val_fraction, seed
        As in :func:`split_random` (``val_fraction`` is of the non-test patches).
    positive : numpy.ndarray, optional
        ``(N,)`` bool; a block is positive when any of its patches is, and positive and
        negative blocks are allocated separately (light stratification).

    Returns
    -------
    dict
        ``{"train", "val", "test"}`` -> sorted int patch index arrays.
    """
    _check_fractions(test_fraction, val_fraction)
    ids = block_ids(origins, block_size_px)
    n = ids.size
    n_blocks = int(ids.max()) + 1 if n else 0
    if n_blocks < 2:
        raise ValueError(
            f"too few blocks ({n_blocks}, from {n} patches) for a blocked train / test split; "
            f"use a smaller block_size_px than {block_size_px}"
        )
    pos = np.zeros(n, dtype=bool) if positive is None else np.asarray(positive, dtype=bool)
    if pos.shape != (n,):
        raise ValueError(f"`positive` must have shape ({n},), got {pos.shape}")
    sizes = np.bincount(ids, minlength=n_blocks).astype(float)
    block_pos = np.bincount(ids, weights=pos.astype(float), minlength=n_blocks) > 0
    rng = np.random.default_rng(seed)
    blocks = _allocate_groups(sizes, block_pos, test_fraction, val_fraction, rng)
    split = {k: np.flatnonzero(np.isin(ids, v)) for k, v in blocks.items()}
    return _finish(split, n)


def oversample_positive(indices: np.ndarray, patches: Patches, factor: int) -> np.ndarray:
    """Repeat the landslide-bearing patches among ``indices`` (training only).

    The paper augments the rare landslide class (1 : 224 pixels); repeating the patches that
    hold landslide pixels ``factor`` times in total, combined with random dihedral augmentation
    in :func:`make_dataset`, shows the network different views of them. Use it on the training
    indices only: repeating validation or test patches would bias their scores.

    Parameters
    ----------
    indices : numpy.ndarray
        Patch indices (e.g. ``split["train"]``).
    patches : Patches
    factor : int
        Total number of occurrences of each positive patch (1 = unchanged).

    Returns
    -------
    numpy.ndarray
        ``indices`` followed by ``factor - 1`` extra copies of its positive patches.
    """
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    indices = np.asarray(indices, dtype=np.int64)
    pos = indices[patches.positive[indices]]
    return np.concatenate([indices] + [pos] * (int(factor) - 1))


# --------------------------------------------------------------------------------------------
# Normalisation and the saved preprocessing
# --------------------------------------------------------------------------------------------


def _is_onehot(channel: str) -> bool:
    return channel.startswith(ONEHOT_PREFIX)


def _scale(
    X: np.ndarray, valid: np.ndarray | None, mean: np.ndarray, std: np.ndarray
) -> np.ndarray:
    """z-score, then 0 where not finite or not valid (masked pixels carry no information)."""
    out = (np.asarray(X, dtype=np.float32) - mean.astype(np.float32)) / std.astype(np.float32)
    bad = ~np.isfinite(out)
    if valid is not None:
        v = np.asarray(valid, dtype=bool)
        if v.ndim == out.ndim - 1:
            v = v[..., None]
        bad |= ~v
    out[np.broadcast_to(bad, out.shape)] = 0.0
    return out.astype(np.float32, copy=False)


@dataclass
class Normalizer:
    """Per-channel z-score with statistics of the training patches only.

    Use as ``Normalizer().fit(train_patches)`` (scikit-learn style: ``fit`` returns the fitted
    normaliser). One-hot lithology channels are left unscaled (mean 0, std 1): they are
    already 0 / 1 indicators, and scaling them would give rare units huge values. Channels with
    zero spread get std 1 (constant input, nothing to scale).
    """

    channels: list[str] = field(default_factory=list)
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    std: np.ndarray = field(default_factory=lambda: np.ones(0))

    def fit(self, patches: Patches) -> Normalizer:
        """Fit on ``patches`` (pass the training split), valid pixels only, NaN ignored.

        Returns
        -------
        Normalizer
            ``self``, with ``channels``, ``mean`` and ``std`` set.
        """
        mask = patches.valid[..., 0]
        n_ch = len(patches.channels)
        mean = np.zeros(n_ch, dtype=np.float64)
        std = np.ones(n_ch, dtype=np.float64)
        for c, name in enumerate(patches.channels):
            if _is_onehot(name):
                continue
            values = patches.X[..., c][mask].astype(np.float64)
            values = values[np.isfinite(values)]
            if values.size == 0:
                continue
            mean[c] = values.mean()
            spread = values.std()
            std[c] = spread if spread > 0 else 1.0
        self.channels, self.mean, self.std = list(patches.channels), mean, std
        return self

    def transform(self, X: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
        """z-score ``X`` (``(..., C)``) and set NaN and invalid pixels to 0 after scaling.

        The masked pixels then carry no information; pass ``valid`` as sample weight 0 to
        the loss so they do not count either.
        """
        if np.shape(X)[-1] != len(self.channels):
            raise ValueError(f"X has {np.shape(X)[-1]} channels, normaliser {len(self.channels)}")
        return _scale(X, valid, self.mean, self.std)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{"channels", "mean", "std"}``."""
        return {
            "channels": list(self.channels),
            "mean": [float(v) for v in self.mean],
            "std": [float(v) for v in self.std],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Normalizer:
        """Inverse of :meth:`to_dict`."""
        return cls(list(d["channels"]), np.asarray(d["mean"], float), np.asarray(d["std"], float))


@dataclass
class Preprocessing:
    """Everything needed to turn raw factor rasters into a saved model's input.

    Saved as ``preprocessing.json`` beside ``model.keras`` in a bundle, so a model can be
    applied to any window of any stack with the same factors (:meth:`encode`).
    """

    channels: list[str]
    factors: list[str]
    lithology_encoding: LithologyEncoding
    lithology_codes: list[int]
    mean: list[float]
    std: list[float]
    patch_size: int
    threshold: float = 0.5
    model_name: str | None = None

    @classmethod
    def from_patches(
        cls,
        patches: Patches,
        normalizer: Normalizer,
        threshold: float = 0.5,
        model_name: str | None = None,
    ) -> Preprocessing:
        """Combine the patches' channel layout with a fitted normaliser."""
        if list(normalizer.channels) != list(patches.channels):
            raise ValueError("normaliser and patches have different channels")
        return cls(
            channels=list(patches.channels),
            factors=list(patches.factors),
            lithology_encoding=patches.lithology_encoding,
            lithology_codes=[int(c) for c in patches.lithology_codes],
            mean=[float(v) for v in normalizer.mean],
            std=[float(v) for v in normalizer.std],
            patch_size=int(patches.X.shape[1]),
            threshold=float(threshold),
            model_name=model_name,
        )

    @property
    def normalizer(self) -> Normalizer:
        """The z-score as a :class:`Normalizer`."""
        return Normalizer(list(self.channels), np.asarray(self.mean), np.asarray(self.std))

    def encode(self, factor_arrays: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Raw factor rasters of one window -> normalised network input and validity mask.

        Parameters
        ----------
        factor_arrays : mapping of str to numpy.ndarray
            ``(H, W)`` raw rasters by factor name (e.g. ``{v: ds[v].values[win] ...}``); keys the
            model does not use are ignored.

        Returns
        -------
        x : numpy.ndarray
            ``(H, W, C)`` float32, z-scored, NaN and invalid pixels set to 0.
        valid : numpy.ndarray
            ``(H, W)`` bool, True where every factor the model uses is finite.
        """
        missing = [f for f in self.factors if f not in factor_arrays]
        if missing:
            raise ValueError(
                f"the model needs factors {self.factors}; missing from the input: {missing}"
            )
        raw = encode_channels(
            factor_arrays, self.factors, self.lithology_encoding, self.lithology_codes
        )
        if raw.shape[-1] != len(self.channels):
            raise ValueError(f"encoded {raw.shape[-1]} channels, expected {len(self.channels)}")
        valid = _valid_of(factor_arrays, self.factors)
        return _scale(raw, valid, np.asarray(self.mean), np.asarray(self.std)), valid

    def to_json(self, path: str | PathLike[str]) -> None:
        """Write as JSON (indented, so a bundle is readable)."""
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def from_json(cls, path: str | PathLike[str]) -> Preprocessing:
        """Read what :meth:`to_json` wrote."""
        d = json.loads(Path(path).read_text())
        return cls(**d)


# --------------------------------------------------------------------------------------------
# Augmentation and tf.data
# --------------------------------------------------------------------------------------------


def augment(x: tf.Tensor, y: tf.Tensor, w: tf.Tensor, seed: Any) -> tuple[tf.Tensor, ...]:
    """Apply one of the 8 dihedral transforms (flips x rot90), the same to image, label, weight.

    Parameters
    ----------
    x, y, w : tf.Tensor
        ``(H, W, C)``, ``(H, W, 1)``, ``(H, W, 1)`` (square patches: rotation keeps the shape).
    seed : int or tf.Tensor
        Stateless seed, an int or a shape-``(2,)`` int tensor; the transform is a deterministic
        function of it, so this works inside ``tf.data.Dataset.map``.

    Returns
    -------
    tuple of tf.Tensor
        ``(x, y, w)`` float32, transformed alike.
    """
    import tensorflow as tf

    seed = tf.convert_to_tensor(seed, dtype=tf.int64)
    if seed.shape.rank == 0:
        seed = tf.stack([seed, tf.constant(0, tf.int64)])
    k = tf.random.stateless_uniform([], seed=seed, minval=0, maxval=8, dtype=tf.int32)
    x = tf.cast(x, tf.float32)
    n_x = tf.shape(x)[-1]
    # One stacked tensor, so every transform moves image, label and weight together.
    z = tf.concat([x, tf.cast(y, tf.float32), tf.cast(w, tf.float32)], axis=-1)
    z = tf.cond(k >= 4, lambda: tf.image.flip_left_right(z), lambda: z)
    z = tf.image.rot90(z, k=k % 4)
    return z[..., :n_x], z[..., n_x : n_x + 1], z[..., n_x + 1 : n_x + 2]


def make_dataset(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None = None,
    batch_size: int = 8,
    shuffle: bool = True,
    augment: bool = False,
    seed: int = 0,
    repeat: bool = False,
) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of ``(x, y, sample_weight)`` float32 batches.

    Parameters
    ----------
    X : numpy.ndarray
        ``(N, H, W, C)`` normalised inputs (no NaN: see :meth:`Normalizer.transform`).
    y : numpy.ndarray
        ``(N, H, W, 1)`` labels.
    w : numpy.ndarray, optional
        ``(N, H, W, 1)`` per-pixel weights, usually ``Patches.valid`` (0 = masked); default 1.
    batch_size : int
    shuffle : bool
        Reshuffle every epoch (seeded).
    augment : bool
        Random dihedral transform per element (:func:`augment`), a different one each epoch.
    seed : int
        The dataset is a deterministic function of its inputs and ``seed``.
    repeat : bool
        Repeat forever (for ``steps_per_epoch`` training).
    """
    import tensorflow as tf

    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == X.ndim - 1:
        y = y[..., None]
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=np.float32)
    if w.ndim == X.ndim - 1:
        w = w[..., None]
    if not len(X) == len(y) == len(w):
        raise ValueError(f"X, y, w lengths differ: {len(X)}, {len(y)}, {len(w)}")
    ds = tf.data.Dataset.from_tensor_slices((X, y, w))
    if shuffle:
        ds = ds.shuffle(len(X), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    if augment:
        # A running element counter makes each element's (and each epoch's) seed distinct.
        ds = ds.enumerate().map(
            lambda i, el: _augment_element(el, seed, i), num_parallel_calls=1, deterministic=True
        )
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _augment_element(el: tuple, seed: int, i: Any) -> tuple:
    import tensorflow as tf

    return augment(*el, tf.stack([tf.constant(seed, tf.int64), tf.cast(i, tf.int64)]))
