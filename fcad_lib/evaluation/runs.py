"""What a run's result says about its training: prevalence, convergence, "did it learn".

A verdict between two methods means something only if both learnt (:func:`learnt`), and every
result table shows, beside the scores, how each run trained (:func:`run_diagnostics`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["LEARNT_AP_FACTOR", "learnt", "prevalence", "run_diagnostics"]


def _unconverged(r: dict[str, Any]) -> bool:
    if r.get("unconverged") is not None:
        return bool(r["unconverged"])
    best = r.get("best_epoch")
    if best is None:
        return False
    last = r.get("epochs_run", r["spec"].get("epochs"))
    return last is not None and int(best) == int(last) - 1


#: A run learnt when its test AP is at least this many times the test prevalence (chance).
LEARNT_AP_FACTOR = 3.0


def prevalence(result: dict[str, Any]) -> float | None:
    """Landslide share of the valid test pixels (from the result, else its counts)."""
    if result.get("test_prevalence") is not None:
        return float(result["test_prevalence"])
    counts = result.get("test_counts") or {}
    n = sum(counts.values())
    return (counts.get("tp", 0) + counts.get("fn", 0)) / n if n else None


def learnt(result: dict[str, Any]) -> bool:
    """The book's rule for "this run learnt", before any verdict involves it.

    A run learnt when (1) its test AP is at least :data:`LEARNT_AP_FACTOR` times the test
    prevalence (an AP at the prevalence is chance), (2) it did not collapse (it predicts some,
    but not nearly all, pixels as landslide at its threshold), and (3) for a network, it
    converged (``converged``; older results: its best epoch is not the last). The non-learned
    baselines need (1) and (2) where they have an AP.
    """
    counts = result.get("test_counts") or {}
    n = sum(counts.values())
    predicted = counts.get("tp", 0) + counts.get("fp", 0)
    if n and (predicted == 0 or predicted > 0.95 * n):
        return False
    ap, prev = result.get("ap", (result.get("test") or {}).get("ap")), prevalence(result)
    if ap is not None and prev and ap < LEARNT_AP_FACTOR * prev:
        return False
    if result.get("best_epoch") is None:  # a baseline: nothing to converge
        return True
    if result.get("converged") is not None:
        return bool(result["converged"])
    return not _unconverged(result)


def run_diagnostics(r: dict[str, Any]) -> dict[str, Any]:
    """The columns beside a run's scores: how it trained and how well calibrated it is.

    ``best_epoch`` (0-based), ``epochs_run``, ``converged`` and the ``*_calibrated`` scores are
    empty for the non-learned baselines (they neither train by epochs nor get a temperature).
    """
    calibrated = r.get("test_calibrated") or {}
    return {"best_epoch": r.get("best_epoch"), "epochs_run": r.get("epochs_run"),
            "converged": r.get("converged"), "val_ap": (r.get("val") or {}).get("ap"),
            "test_prevalence": r.get("test_prevalence"),
            "ece_calibrated": calibrated.get("ece"), "brier_calibrated": calibrated.get("brier")}
