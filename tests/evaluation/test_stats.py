"""Per-tile counts, paired bootstrap intervals, verdicts and the runs to distrust."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, f1_score

from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.evaluation.stats import (
    RunId,
    compare,
    distrusted_runs,
    paired_bootstrap,
    ranking_flips,
    seed_table,
    tile_counts,
    tile_f1,
    verdict,
)


def test_tile_counts_match_sklearn_per_tile() -> None:
    rng = np.random.default_rng(0)
    y = rng.random((5, 8, 8, 1)) < 0.2
    pred = rng.random((5, 8, 8, 1)) < 0.3
    valid = rng.random((5, 8, 8, 1)) < 0.9
    counts = tile_counts(y, pred, valid)
    for i in range(5):
        keep = valid[i].ravel()
        tn, fp, fn, tp = confusion_matrix(y[i].ravel()[keep], pred[i].ravel()[keep],
                                          labels=[0, 1]).ravel()
        assert counts[i].tolist() == [tp, fp, fn, tn]
        assert tile_f1(counts)[i] == pytest.approx(
            f1_score(y[i].ravel()[keep], pred[i].ravel()[keep], zero_division=0))


def _tiles(rng: np.random.Generator, n: int, hit: float) -> np.ndarray:
    """Tiles with 50 landslide pixels of which a fraction ``hit`` is found, and 20 false alarms."""
    tp = rng.binomial(50, hit, size=n)
    fp = rng.binomial(40, 0.5, size=n)
    return np.stack([tp, fp, 50 - tp, 4000 - fp], axis=1)


def test_identical_methods_give_an_interval_around_zero() -> None:
    counts = [_tiles(np.random.default_rng(s), 30, 0.6) for s in range(2)]
    boot = paired_bootstrap(counts, counts, n_boot=500)
    assert boot.diff == 0.0 and boot.low <= 0.0 <= boot.high
    assert verdict("A", "B", boot) == "no detectable difference between A and B"


def test_a_clearly_better_method_excludes_zero() -> None:
    rng = np.random.default_rng(1)
    good, bad = _tiles(rng, 30, 0.9), _tiles(rng, 30, 0.3)
    boot = paired_bootstrap([good], [bad], n_boot=500)
    assert boot.low > 0.0 and boot.excludes_zero
    assert verdict("good", "bad", boot) == "good beats bad"
    assert verdict("bad", "good", paired_bootstrap([bad], [good], n_boot=500)) == "good beats bad"


def test_noisy_small_difference_is_not_a_verdict() -> None:
    # two methods differing on one tile only out of 30: the interval must straddle 0
    rng = np.random.default_rng(2)
    a = _tiles(rng, 30, 0.6)
    b = a.copy()
    b[0, 0] -= 5
    b[0, 2] += 5
    boot = paired_bootstrap([a], [b], n_boot=1000)
    assert boot.diff > 0 and boot.low <= 0.0


def test_the_observed_difference_is_the_pooled_f1_difference() -> None:
    rng = np.random.default_rng(3)
    a, b = _tiles(rng, 10, 0.7), _tiles(rng, 10, 0.5)
    boot = paired_bootstrap([a], [b], n_boot=10)
    f1 = [2 * c[0] / (2 * c[0] + c[1] + c[2]) for c in (a.sum(0), b.sum(0))]
    assert boot.diff == pytest.approx(f1[0] - f1[1])


def _result(label: str, split: str, seed: int, counts: np.ndarray,
            **extra: object) -> ExperimentResult:
    total = counts.sum(0)
    tp, fp, fn, tn = (int(v) for v in total)
    pre, rec = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    f1 = 2 * pre * rec / (pre + rec) if pre + rec else 0.0
    return ExperimentResult.from_dict({
        "label": label, "spec": {"model": label, "split": split, "seed": seed, "epochs": 8},
        "test": {"pre": pre, "rec": rec, "f1": f1, "kappa": 0.5, "miou": 0.5},
        "test_counts": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
        "test_tile_counts": counts.tolist(), **extra})


def flipping_results() -> list[ExperimentResult]:
    """Net leads on the random split (unconverged there) and trails on the blocked one."""
    rng = np.random.default_rng(4)
    results = []
    for seed in (0, 1):
        results += [
            _result("Net", "random", seed, _tiles(rng, 20, 0.9), best_epoch=7, epochs_run=8),
            _result("Rule", "random", seed, _tiles(rng, 20, 0.4)),
            _result("Net", "blocked", seed, _tiles(rng, 20, 0.2), best_epoch=3, epochs_run=8),
            _result("Rule", "blocked", seed, _tiles(rng, 20, 0.7)),
        ]
    return results


def test_compare_flags_and_flips() -> None:
    results = flipping_results()
    # Net's random runs kept their last epoch (unconverged): no verdict for a run that did not
    # converge, however large its lead
    assert compare(results, "Net", "Rule", "random").text == "not comparable (Net did not learn)"
    assert compare(results, "Net", "Rule", "blocked").text == "Rule beats Net"
    assert ranking_flips(results)[0][:2] == ("Net", "Rule")
    table = seed_table(results)
    assert table.loc["Net", ("random", "seeds")] == 2
    distrusted = distrusted_runs(results)
    assert distrusted["unconverged"] == [RunId("Net", "random", 0), RunId("Net", "random", 1)]


def test_collapsed_and_degenerate_runs_are_named() -> None:
    empty = np.array([[0, 0, 50, 4000]] * 5)
    allpos = np.array([[50, 4000, 0, 0]] * 5)
    results = [_result("Dead", "random", 0, empty), _result("Greedy", "random", 0, allpos)]
    results[1] = results[1].updated(test={**results[1].scores, "kappa": 0.0})
    distrusted = distrusted_runs(results)
    # Greedy calls every pixel a landslide: one class everywhere, collapsed as well
    assert distrusted["collapsed"] == [RunId("Dead", "random", 0), RunId("Greedy", "random", 0)]
    assert distrusted["degenerate_threshold"] == [RunId("Greedy", "random", 0)]


def test_the_bootstrap_is_paired() -> None:
    # Tiles differ a lot (hit rate 0.1 to 0.9) but A finds 3 more landslide pixels than B on
    # every tile: a paired resampling sees a consistent gain, an unpaired one mostly tile noise.
    rng = np.random.default_rng(5)
    hit = rng.uniform(0.1, 0.9, size=25)
    tp_b = rng.binomial(60, hit)
    b = np.stack([tp_b, np.full(25, 20), 60 - tp_b, np.full(25, 4000)], axis=1)
    a = b.copy()
    a[:, 0] += 3
    a[:, 2] -= 3
    boot = paired_bootstrap([a], [b], n_boot=1000)
    assert boot.low > 0.0


def test_unpaired_tiles_are_refused() -> None:
    rng = np.random.default_rng(6)
    a = _tiles(rng, 10, 0.5)
    b = a.copy()
    b[0, 2] += 7  # one tile holds more landslide pixels: not the same tile
    with pytest.raises(ValueError, match="same test tiles"):
        paired_bootstrap([a], [b])


def _run(ap: float, prev: float = 0.01, converged: bool | None = True,
         predicted: int = 50, best_epoch: int | None = 2) -> ExperimentResult:
    return ExperimentResult.from_dict({
        "ap": ap, "test_prevalence": prev, "converged": converged, "best_epoch": best_epoch,
        "test_counts": {"tp": 10, "fp": predicted - 10, "fn": 5, "tn": 1000}})


def test_learnt_rule() -> None:
    from fcad_lib.evaluation.stats import learnt

    assert learnt(_run(0.2))
    assert not learnt(_run(0.02))  # AP twice the prevalence: chance
    assert not learnt(_run(0.2, converged=False))
    assert not learnt(_run(0.2, predicted=10 ** 6))  # calls everything a landslide
    assert learnt(_run(0.2, converged=None, best_epoch=None))  # a baseline


def test_no_verdict_between_runs_that_did_not_learn() -> None:
    from fcad_lib.evaluation.stats import compare

    # the same landslide pixels per tile (TP + FN); A finds all of them, B a fifth
    tiles = np.array([[2, 5, 8, 4000]] * 30)
    better = np.array([[10, 5, 0, 4000]] * 30)

    def res(label: str, counts: np.ndarray, ap: float) -> ExperimentResult:
        c = counts.sum(0)
        return ExperimentResult.from_dict({
            "label": label, "spec": {"split": "random", "seed": 0}, "ap": ap,
            "test_prevalence": 0.01, "converged": True, "best_epoch": 3,
            "test_tile_counts": counts.tolist(),
            "test_counts": dict(zip(("tp", "fp", "fn", "tn"), map(int, c), strict=True))})

    ok = compare([res("A", better, 0.3), res("B", tiles, 0.3)], "A", "B", "random")
    assert ok.comparable and ok.text == "A beats B"
    bad = compare([res("A", better, 0.3), res("B", tiles, 0.015)], "A", "B", "random")
    assert not bad.comparable and bad.text == "not comparable (B did not learn)"
    assert "beats" not in bad.text
