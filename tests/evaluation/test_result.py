"""The typed result of a run: its record round-trips unchanged, and its attributes read it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fcad_lib.evaluation.result import ExperimentResult, result_path, run_folder
from fcad_lib.jsonio import dumps

#: A network's ``result.json`` as run_experiment writes it (shortened lists, same keys).
NETWORK = {
    "spec": {"model": "fcadensenet", "factors": ["deformation_rate", "slope"], "split": "random",
             "seed": 1, "model_config": "compact", "patch_size": 64, "stride": 64,
             "batch_size": 8, "epochs": 3, "steps_per_epoch": 10, "learning_rate": 0.003,
             "loss": "bce_dice", "block_tiles": 3, "oversample": 1, "tag": "", "buffer_tiles": 1,
             "augment": "physical", "early_stopping_patience": 5, "reduce_lr_patience": None,
             "sampling": "foreground", "fg_fraction": 0.5, "lr_schedule": "warmup_poly",
             "monitor": "val_ap", "val_fraction": 0.25},
    "slug": "fcadensenet_random_seed1_0123abcd",
    "channels": ["deformation_rate", "slope"],
    "threshold": 0.42,
    "val": {"pre": 0.3, "rec": 0.5, "f1": 0.375, "kappa": 0.36, "miou": 0.6, "ap": 0.31},
    "test": {"pre": 0.25, "rec": 0.4, "f1": 0.3077, "kappa": 0.3, "miou": 0.58, "ap": 0.27,
             "ece": 0.02, "brier": 0.011},
    "test_calibrated": {"ece": 0.01, "brier": 0.010},
    "calibration": {"temperature": 1.3, "raw": {"n": [1, 2]}, "calibrated": {"n": [1, 2]}},
    "test_at_0.5": {"pre": 0.3, "rec": 0.2, "f1": 0.24, "kappa": 0.23, "miou": 0.56},
    "ap": 0.27,
    "test_tile_counts": [[4, 12, 6, 4074], [0, 0, 0, 4096]],
    "test_tile_origins": [[0, 0], [0, 64]],
    "test_counts": {"tp": 4, "fp": 12, "fn": 6, "tn": 8170},
    "test_counts_at_0.5": {"tp": 2, "fp": 5, "fn": 8, "tn": 8177},
    "n_patches": {"train": 30, "val": 8, "test": 2},
    "n_positive_test_px": 10,
    "test_prevalence": 0.00122,
    "best_epoch": 1,
    "epochs_run": 3,
    "unconverged": False,
    "converged": True,
    "curve": {"epoch": [0, 1, 2], "loss": [0.9, 0.7, 0.6], "val_ap": [0.1, 0.31, 0.3]},
    "augmented": False,
    "train_seconds": 12.5,
    "bundle_dir": "runs/quick/experiments/fcadensenet_random_seed1_0123abcd",
}

#: A baseline's record: no curve, no saved model, no epochs.
BASELINE = {
    "spec": {"model": "threshold_rule", "factors": ["deformation_rate"], "split": "blocked",
             "seed": 0, "tag": ""},
    "slug": "threshold_rule_blocked_seed0_89abcdef", "label": "Threshold rule",
    "channels": ["deformation_rate"], "threshold": 3.5, "val": {"f1": 0.2},
    "test": {"pre": 0.1, "rec": 0.2, "f1": 0.133, "ap": 0.05}, "test_at_0.5": {"f1": 0.133},
    "test_counts": {"tp": 2, "fp": 18, "fn": 8, "tn": 900},
    "test_counts_at_0.5": {"tp": 2, "fp": 18, "fn": 8, "tn": 900},
    "test_tile_counts": [[2, 18, 8, 900]], "ap": 0.05,
    "rule": {"channel": "deformation_rate", "direction": ">=", "threshold": 3.5,
             "absolute": True, "text": "|deformation_rate| >= 3.5"},
    "n_patches": {"train": 30, "val": 8, "test": 1}, "n_positive_test_px": 10,
    "best_epoch": None, "epochs_run": None, "unconverged": None, "train_seconds": 0.1,
}


def test_a_record_round_trips_key_for_key() -> None:
    for record in (NETWORK, BASELINE):
        from_disk = json.loads(json.dumps(record))
        result = ExperimentResult.from_dict(from_disk)
        assert result.to_dict() == from_disk
        assert list(result.to_dict()) == list(from_disk)  # the keys keep their order
        assert ExperimentResult.from_dict(result.to_dict()) == result


def test_the_file_on_disk_is_unchanged(tmp_path: Path) -> None:
    path = result_path(tmp_path, NETWORK["slug"])
    assert path == tmp_path / "experiments" / NETWORK["slug"] / "result.json"
    assert path.parent == run_folder(tmp_path, NETWORK["slug"])
    ExperimentResult.from_dict(NETWORK).write(path)
    # the bytes the runners wrote before the result was typed
    assert path.read_text() == dumps(NETWORK, indent=2)
    assert ExperimentResult.read(path).to_dict() == NETWORK
    assert [p.name for p in path.parent.iterdir()] == ["result.json"]  # no temporary left


def test_undefined_metrics_are_written_as_null(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    ExperimentResult.from_dict({**BASELINE, "ap": float("nan")}).write(path)
    assert json.loads(path.read_text())["ap"] is None


def test_attributes_read_a_network() -> None:
    r = ExperimentResult.from_dict(NETWORK)
    assert r.spec is r.record["spec"] and (r.model, r.split, r.seed) == ("fcadensenet",
                                                                         "random", 1)
    assert r.scores == NETWORK["test"] and r.scores["f1"] == 0.3077
    assert r.scores_of("test_at_0.5") == NETWORK["test_at_0.5"]
    assert r.val_scores["ap"] == 0.31 and r.scores_of("test_calibrated")["ece"] == 0.01
    assert r.curve == NETWORK["curve"]
    assert r.bundle_dir == Path(NETWORK["bundle_dir"])
    assert (r.slug, r.threshold, r.ap, r.test_prevalence) == (NETWORK["slug"], 0.42, 0.27,
                                                                0.00122)
    assert r.test_counts == NETWORK["test_counts"]
    assert r.test_counts_at_05 == NETWORK["test_counts_at_0.5"]
    assert r.tile_counts.dtype == np.int64 and r.tile_counts.shape == (2, 4)
    assert (r.best_epoch, r.epochs_run, r.converged, r.unconverged) == (1, 3, True, False)
    assert r.calibration["temperature"] == 1.3 and r.n_patches["test"] == 2
    assert r.label is None and r.group is None and r.rule is None


def test_attributes_read_a_baseline() -> None:
    r = ExperimentResult.from_dict(BASELINE)
    assert r.curve is None and r.bundle_dir is None and r.best_epoch is None
    assert r.converged is None and r.calibration is None and r.test_prevalence is None
    assert r.label == "Threshold rule" and r.rule["text"] == "|deformation_rate| >= 3.5"
    assert r.scores_of("test_calibrated") == {}


def test_the_ap_falls_back_on_the_test_scores() -> None:
    record = {k: v for k, v in NETWORK.items() if k != "ap"}
    assert ExperimentResult.from_dict(record).ap == NETWORK["test"]["ap"]


def test_updated_returns_a_copy() -> None:
    r = ExperimentResult.from_dict(BASELINE)
    named = r.updated(label="Rule (RS)", group="RS")
    assert (named.label, named.group) == ("Rule (RS)", "RS")
    assert r.label == "Threshold rule" and "group" not in r.record
    assert named.to_dict() == {**BASELINE, "label": "Rule (RS)", "group": "RS"}
