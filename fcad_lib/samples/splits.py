"""Train / validation / test splits of the patches, and oversampling of the rare class.

The paper splits the patches 7:3 (train : test) at random (:func:`split_random`). A validation
split is carved out of the training part, so checkpointing and the threshold choice never see
the test patches, and :func:`split_blocked` keeps whole spatial blocks in one split, so that
neighbouring (spatially autocorrelated) patches cannot sit on both sides of the boundary.
"""

from __future__ import annotations

import numpy as np

from fcad_lib.samples.patches import Patches

__all__ = ["block_ids", "content_strata", "oversample_positive", "split_blocked",
           "split_random"]


def content_strata(landslide_px: np.ndarray, n_bins: int = 3) -> np.ndarray:
    """Strata by landslide content: 0 = none, then ``n_bins`` quantile bins of the pixel count.

    Allocating each stratum in the split proportions gives every split landslides of every
    size class, not only "some" landslide patches (light stratification by presence alone left
    the blocked split's validation part with almost none).

    Parameters
    ----------
    landslide_px
        ``(n,)`` landslide pixels per group (patch or block).
    n_bins
        Bins of the positive groups, by quantiles of their count (fewer with few groups).
    """
    counts = np.asarray(landslide_px, dtype=float)
    strata = np.zeros(counts.shape, dtype=np.int64)
    pos = counts > 0
    bins = min(int(n_bins), int(pos.sum()) // 3)
    if bins <= 1:
        strata[pos] = 1
        return strata
    edges = np.quantile(counts[pos], np.linspace(0, 1, bins + 1)[1:-1])
    strata[pos] = 1 + np.searchsorted(edges, counts[pos], side="right")
    return strata


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
    strata: np.ndarray,
    test_fraction: float,
    val_fraction: float,
    rng: np.random.Generator,
) -> dict[str, list[int]]:
    """Allocate groups (patches or blocks) to train / val / test, stratified by ``strata``.

    Each stratum (0 = no landslide, > 0 = landslide content classes) is allocated separately,
    in the split proportions, so the rare landslide patches reach every split. In a landslide
    stratum the test split gets at least one group when there are two, the validation split
    when there are three (the threshold is chosen there), and training always keeps at least
    one.
    """
    out: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    strata = np.asarray(strata, dtype=np.int64)
    for stratum in sorted(set(strata.tolist()), reverse=True):
        is_pos = stratum > 0
        groups = np.flatnonzero(strata == stratum)
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
    strata: np.ndarray | None = None,
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
    strata : numpy.ndarray, optional
        ``(n,)`` int strata (:func:`content_strata`: 0 = no landslide); they replace
        ``positive`` when given.

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
    groups = pos.astype(np.int64) if strata is None else np.asarray(strata, dtype=np.int64)
    if groups.shape != (n,):
        raise ValueError(f"`strata` must have shape ({n},), got {groups.shape}")
    rng = np.random.default_rng(seed)
    split = _allocate_groups(np.ones(n), groups, test_fraction, val_fraction, rng)
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
    buffer_px: int = 0,
    landslide_px: np.ndarray | None = None,
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
    buffer_px : int
        Buffer around the test blocks: training and validation patches whose origin lies
        within ``buffer_px`` (Chebyshev distance, pixels) of a test patch's origin are dropped
        from the split altogether. With ``buffer_px`` = the patch side, the ring of tiles that
        border a test block is left out, so no training tile touches a test tile (a landslide
        cut by a block edge, or the autocorrelation of the factors, no longer reaches across).
        0 keeps every patch.
    landslide_px : numpy.ndarray, optional
        ``(N,)`` landslide pixels per patch; when given, blocks are stratified by their summed
        content (:func:`content_strata`) instead of by presence alone.

    Returns
    -------
    dict
        ``{"train", "val", "test"}`` -> sorted int patch index arrays (the buffer patches in
        none of them).
    """
    _check_fractions(test_fraction, val_fraction)
    if buffer_px < 0:
        raise ValueError(f"buffer_px must be >= 0, got {buffer_px}")
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
    if landslide_px is None:
        block_strata = (np.bincount(ids, weights=pos.astype(float), minlength=n_blocks) > 0
                        ).astype(np.int64)
    else:
        block_strata = content_strata(np.bincount(
            ids, weights=np.asarray(landslide_px, float), minlength=n_blocks))
    rng = np.random.default_rng(seed)
    blocks = _allocate_groups(sizes, block_strata, test_fraction, val_fraction, rng)
    split = {k: np.flatnonzero(np.isin(ids, v)) for k, v in blocks.items()}
    if buffer_px > 0 and split["test"].size:
        kept = {k: v if k == "test" else v[~_near(origins, v, split["test"], buffer_px)]
                for k, v in split.items()}
        if split["val"].size and not kept["val"].size:
            raise ValueError(
                f"the {buffer_px}-pixel buffer around the test blocks leaves no validation "
                f"patch (of {split['val'].size}); use smaller blocks or a larger area"
            )
        split = kept
    return _finish(split, n)


def _near(origins: np.ndarray, idx: np.ndarray, test: np.ndarray, buffer_px: int) -> np.ndarray:
    """``(len(idx),)`` bool: the patch origin lies within ``buffer_px`` of a test origin."""
    origins = np.asarray(origins, dtype=np.int64).reshape(-1, 2)
    if idx.size == 0:
        return np.zeros(0, dtype=bool)
    # (n_idx, n_test) Chebyshev distances; a few thousand patches at most per area
    dist = np.abs(origins[idx, None, :] - origins[None, test, :]).max(axis=2)
    return (dist <= buffer_px).any(axis=1)


def oversample_positive(
    indices: np.ndarray, positive: Patches | np.ndarray, factor: int
) -> np.ndarray:
    """Repeat the landslide-bearing patches among ``indices`` (training only).

    The paper augments the rare landslide class (1 : 224 pixels); repeating the patches that
    hold landslide pixels ``factor`` times in total, combined with random dihedral augmentation
    in :func:`fcad_lib.samples.dataset.make_dataset`, shows the network different views of
    them. Use it on the training indices only: repeating validation or test patches would bias
    their scores.

    Parameters
    ----------
    indices : numpy.ndarray
        Patch indices (e.g. ``split["train"]``).
    positive : Patches or numpy.ndarray
        The patches (their :attr:`Patches.positive` is used), or a bool array that ``indices``
        index, True for a landslide-bearing patch.
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
    mask = positive.positive if isinstance(positive, Patches) else np.asarray(positive, bool)
    pos = indices[mask[indices]]
    return np.concatenate([indices] + [pos] * (int(factor) - 1))
