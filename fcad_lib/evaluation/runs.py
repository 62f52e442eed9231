"""What a run's result says about its training: prevalence, convergence, "did it learn".

A verdict between two methods means something only if both learnt (:func:`learnt`), and every
result table shows, beside the scores, how each run trained (:func:`run_diagnostics`). The rule
itself is :func:`learnt_rule`: :func:`learnt` applies it to a result, and the book's tooling to
the rows of a result table.
"""

from __future__ import annotations

from typing import Any

from fcad_lib.evaluation.result import ExperimentResult

__all__ = ["LEARNT_AP_FACTOR", "learnt", "learnt_rule", "prevalence", "run_diagnostics"]


def _unconverged(r: ExperimentResult) -> bool:
    if r.unconverged is not None:
        return bool(r.unconverged)
    best = r.best_epoch
    if best is None:
        return False
    # a record without the key (older results) falls back on the spec's epochs
    last = r.record.get("epochs_run", r.spec.get("epochs"))
    return last is not None and int(best) == int(last) - 1


#: A run learnt when its test AP is at least this many times the test prevalence (chance).
LEARNT_AP_FACTOR = 3.0


def prevalence(result: ExperimentResult) -> float | None:
    """Landslide share of the valid test pixels (from the result, else its counts)."""
    if result.test_prevalence is not None:
        return float(result.test_prevalence)
    counts = result.test_counts
    n = sum(counts.values())
    return (counts.get("tp", 0) + counts.get("fn", 0)) / n if n else None


def learnt_rule(ap: float | None, prevalence: float | None, collapsed: bool,
                converged: bool | None) -> bool:
    """The book's rule for "this run learnt", from the facts it needs.

    Parameters
    ----------
    ap, prevalence : float or None
        Test AP and test prevalence; the AP must reach :data:`LEARNT_AP_FACTOR` times the
        prevalence (an AP at the prevalence is chance). ``None`` (or NaN) does not count
        against the run, nor does a prevalence of 0.
    collapsed : bool
        The run predicts no pixel, or nearly every pixel, as landslide at its threshold.
    converged : bool or None
        Whether a network converged; ``None`` for a baseline (nothing to converge).
    """
    if collapsed:
        return False
    if ap is not None and prevalence and ap < LEARNT_AP_FACTOR * prevalence:
        return False
    return converged is not False


def learnt(result: ExperimentResult) -> bool:
    """:func:`learnt_rule` applied to a result.

    A run learnt when (1) its test AP is at least :data:`LEARNT_AP_FACTOR` times the test
    prevalence (an AP at the prevalence is chance), (2) it did not collapse (it predicts some,
    but not nearly all, pixels as landslide at its threshold), and (3) for a network, it
    converged (``converged``; older results: its best epoch is not the last). The non-learned
    baselines need (1) and (2) where they have an AP.
    """
    counts = result.test_counts
    n = sum(counts.values())
    predicted = counts.get("tp", 0) + counts.get("fp", 0)
    collapsed = bool(n and (predicted == 0 or predicted > 0.95 * n))
    if result.best_epoch is None:  # a baseline: nothing to converge
        converged = None
    elif result.converged is not None:
        converged = bool(result.converged)
    else:
        converged = not _unconverged(result)
    return learnt_rule(result.ap, prevalence(result), collapsed, converged)


def run_diagnostics(r: ExperimentResult) -> dict[str, Any]:
    """The columns beside a run's scores: how it trained and how well calibrated it is.

    ``best_epoch`` (0-based), ``epochs_run``, ``converged`` and the ``*_calibrated`` scores are
    empty for the non-learned baselines (they neither train by epochs nor get a temperature).
    """
    calibrated = r.scores_of("test_calibrated")
    return {"best_epoch": r.best_epoch, "epochs_run": r.epochs_run,
            "converged": r.converged, "val_ap": r.val_scores.get("ap"),
            "test_prevalence": r.test_prevalence,
            "ece_calibrated": calibrated.get("ece"), "brier_calibrated": calibrated.get("brier")}
