"""The diagnostic columns every result table shows beside the scores."""

from __future__ import annotations

from fcad_lib.analysis.real_balakot import balakot_frame
from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.evaluation.runs import run_diagnostics
from fcad_lib.training.report import results_frame

NETWORK = ExperimentResult.from_dict({
    "spec": {"model": "unet", "tag": "", "split": "random", "seed": 1},
    "threshold": 0.4, "test": {"f1": 0.3, "ap": 0.2, "ece": 0.05, "brier": 0.01},
    "val": {"f1": 0.2, "ap": 0.15}, "best_epoch": 6, "epochs_run": 9, "converged": True,
    "test_prevalence": 0.006, "test_calibrated": {"ece": 0.02, "brier": 0.009}})
BASELINE = ExperimentResult.from_dict({
    "spec": {"model": "pixel_gbt", "tag": "", "split": "random", "seed": 1},
    "threshold": 0.7, "test": {"f1": 0.25, "ap": 0.18, "ece": 0.3, "brier": 0.1},
    "val": {"f1": 0.2}, "best_epoch": None, "epochs_run": None, "unconverged": None})


def test_diagnostics_of_a_network_and_of_a_baseline() -> None:
    assert run_diagnostics(NETWORK) == {
        "best_epoch": 6, "epochs_run": 9, "converged": True, "val_ap": 0.15,
        "test_prevalence": 0.006, "ece_calibrated": 0.02, "brier_calibrated": 0.009}
    assert set(run_diagnostics(BASELINE).values()) == {None}


def test_both_tables_carry_the_same_diagnostics() -> None:
    frame = results_frame([NETWORK, BASELINE])
    balakot = balakot_frame([NETWORK, BASELINE], ["U-Net", "Pixel GBT"])
    for col, value in run_diagnostics(NETWORK).items():
        assert frame.loc[0, col] == value and balakot.loc[0, col] == value, col
    assert balakot.loc[0, "ece"] == 0.05 and frame.loc[1, "ece"] == 0.3
