"""Splits stratified by landslide content give validation landslides of every size class."""

from __future__ import annotations

import numpy as np

from fcad_lib.samples import content_strata, split_blocked, split_random


def test_content_strata_bins_the_landslide_tiles_by_quantile() -> None:
    counts = np.array([0, 0, 1, 2, 3, 10, 20, 30, 100, 200, 300, 0])
    strata = content_strata(counts)
    assert (strata[counts == 0] == 0).all()
    assert sorted(set(strata[counts > 0].tolist())) == [1, 2, 3]
    # more landslide pixels never fall in a lower stratum
    pos = counts > 0
    order = np.argsort(counts[pos])
    assert (np.diff(strata[pos][order]) >= 0).all()
    assert (content_strata(np.array([0, 4, 0])) == [0, 1, 0]).all()  # too few for bins


def test_every_stratum_reaches_validation() -> None:
    rng = np.random.default_rng(0)
    counts = np.where(rng.random(400) < 0.15, rng.integers(1, 500, 400), 0)
    strata = content_strata(counts)
    split = split_random(400, val_fraction=0.25, seed=3, strata=strata)
    for s in (1, 2, 3):
        assert np.isin(np.flatnonzero(strata == s), split["val"]).any()
    assert sum(len(v) for v in split.values()) == 400


def test_blocked_split_stratified_by_content_keeps_its_blocks_whole() -> None:
    origins = np.array([(r, c) for r in range(0, 640, 32) for c in range(0, 640, 32)])
    rng = np.random.default_rng(1)
    counts = np.where(rng.random(len(origins)) < 0.2, rng.integers(1, 300, len(origins)), 0)
    split = split_blocked(origins, 96, seed=0, positive=counts > 0, landslide_px=counts)
    blocks = {name: {tuple(o // 96) for o in origins[idx]} for name, idx in split.items()}
    assert not blocks["train"] & blocks["test"] and not blocks["val"] & blocks["test"]
    assert counts[split["val"]].sum() > 0
