"""The conclusion boxes (fcad_book.conclusions): computed from the tables, never "beats"
where the verdict table does not say it."""

from __future__ import annotations

import pandas as pd

from fcad_book import conclusions as c
from fcad_lib.evaluation.result import ExperimentResult


def _runs(**over) -> pd.DataFrame:
    rows = []
    for split in ("random", "blocked"):
        for model, f1, ap, conv in [("FCADenseNet", 0.30, 0.20, True), ("FC-DenseNet", 0.25, 0.15,
                                    True), ("U-Net", 0.05, 0.011, False),
                                    ("Pixel GBT", 0.20, 0.10, None)]:
            rows.append({"model": model, "split": split, "seed": 0, "f1": f1, "ap": ap,
                         "pre": 0.3, "rec": 0.3, "test_prevalence": 0.01, "converged": conv})
    frame = pd.DataFrame(rows)
    for key, value in over.items():
        frame[key] = value
    return frame


def _verdicts(text: str = "FCADenseNet beats Pixel GBT") -> pd.DataFrame:
    rows = []
    for split in ("random", "blocked"):
        rows += [{"split": split, "A": "FCADenseNet", "B": "Pixel GBT", "F1(A) - F1(B)": 0.1,
                  "low": 0.02, "high": 0.18, "verdict": text},
                 {"split": split, "A": "FCADenseNet", "B": "FC-DenseNet", "F1(A) - F1(B)": 0.05,
                  "low": -0.01, "high": 0.11,
                  "verdict": "no detectable difference between FCADenseNet and FC-DenseNet"}]
    return pd.DataFrame(rows)


def test_learnt_rows_applies_the_books_rule():
    frame = _runs()
    ok = c.learnt_rows(frame)
    # U-Net: AP 0.011 < 3 x 0.01 and unconverged; the GBT has no convergence to check
    assert ok.tolist() == [True, True, False, True] * 2
    assert not c.learnt_rows(frame.assign(rec=0.0)).any()  # predicts no landslide: collapsed
    collapsed = frame.assign(rec=1.0, pre=0.0101)  # everything a landslide, at the prevalence
    assert not c.learnt_rows(collapsed).any()
    assert not c.learnt_rows(frame.assign(ap=0.02)).any()  # 2x the prevalence is not enough


def test_learnt_rows_is_the_librarys_rule(monkeypatch):
    """The table's rows and the library's results are judged by one rule: change it, both change."""
    from fcad_lib.evaluation import runs

    def result(ap: float, converged: bool | None, predicted: int) -> ExperimentResult:
        return ExperimentResult.from_dict({
            "spec": {"model": "unet", "split": "random", "seed": 0}, "ap": ap,
            "test_prevalence": 0.01, "converged": converged,
            "best_epoch": None if converged is None else 2,
            "test_counts": {"tp": min(predicted, 10), "fp": max(predicted - 10, 0),
                            "fn": 10 - min(predicted, 10), "tn": 990 - max(predicted - 10, 0)}})

    cases = [result(0.2, True, 20), result(0.02, True, 20), result(0.2, False, 20),
             result(0.2, None, 20), result(0.2, True, 0), result(0.035, None, 20)]
    frame = pd.DataFrame([{"ap": r.ap, "test_prevalence": r.test_prevalence,
                           "converged": r.converged,
                           "rec": r.test_counts["tp"] / 10,
                           "pre": r.test_counts["tp"] / max(r.test_counts["tp"]
                                                            + r.test_counts["fp"], 1)}
                          for r in cases])
    assert c.learnt_rows(frame).tolist() == [runs.learnt(r) for r in cases] \
        == [True, False, False, True, False, True]
    monkeypatch.setattr(runs, "LEARNT_AP_FACTOR", 4.0)  # the rule, in one place
    assert c.learnt_rows(frame).tolist() == [runs.learnt(r) for r in cases] \
        == [True, False, False, True, False, False]


def test_comparison_conclusion_repeats_verdicts_and_counts_learnt_runs():
    text = c.comparison_conclusion(_runs(), _verdicts(), "Budget: 600 steps.")
    assert text.startswith(":::{admonition} Conclusion") and text.endswith(":::")
    assert "Budget: 600 steps." in text
    assert "4 of 6 network runs learnt" in text and "U-Net never did" in text
    assert "On the blocked split the best mean test F1 is 0.300 (FCADenseNet)" in text
    assert "FCADenseNet beats Pixel GBT (ΔF1 +0.100, 95 % interval +0.020 to +0.180)" in text
    assert "cannot be concluded" in text and "no detectable difference" in text


def test_no_beats_unless_the_verdict_table_says_so():
    text = c.comparison_conclusion(_runs(), _verdicts("not comparable (Pixel GBT did not learn)"),
                                   "Budget.")
    assert "beats" not in text
    assert "not comparable (Pixel GBT did not learn)" in text


def test_tables_without_the_rules_columns_say_so():
    old = _runs().drop(columns=["test_prevalence", "converged"])
    text = c.comparison_conclusion(old, None, "Budget.")
    assert "cannot be told" in text and "learnt by" not in text


def test_ablation_conclusion_names_the_design_effect_only_when_the_rate_wins():
    frame = pd.DataFrame([{"group": g, "split": s, "seed": 0, "f1": 0.3, "ap": 0.2,
                           "test_prevalence": 0.01, "converged": True, "pre": 0.3, "rec": 0.3}
                          for g in ("RS", "RS-DR") for s in ("random", "blocked")])
    wins = pd.DataFrame([{"split": s, "A": "RS-DR", "B": "RS", "F1(A) - F1(B)": 0.05,
                          "low": 0.01, "high": 0.09, "verdict": "RS-DR beats RS"}
                         for s in ("random", "blocked")])
    text = c.ablation_conclusion(frame, wins, "Budget.")
    assert "4 of 4 RS and RS-DR runs learnt" in text and "by design" in text
    none = wins.assign(verdict="no detectable difference between RS-DR and RS")
    assert "No gain of the deformation rate" in c.ablation_conclusion(frame, none, "Budget.")


def test_budget_sentence_reads_the_profiles_keys():
    params = {"epochs": 12, "steps_per_epoch": 50, "batch_size": 8, "patch_size": 64,
              "model_config": "compact", "recipe": "rare-foreground", "seeds": [0, 1, 2],
              "balakot_epochs": 5, "balakot_steps_per_epoch": 40}
    assert "at most 600 optimiser steps" in c.budget_sentence(params, "default")
    assert "3 seeds (0, 1, 2)" in c.budget_sentence(params, "default")
    assert "at most 200 optimiser steps" in c.budget_sentence(params, "default", "balakot_")


def test_balakot_and_hongkong_conclusions():
    text = c.balakot_conclusion(_runs(), "Budget.")
    assert "prevalence of the test tiles is 0.010" in text
    assert "best network's mean AP 0.200 (FCADenseNet) and the Pixel GBT's 0.100" in text
    gains = pd.DataFrame([
        {"label_set": "independent", "split": "random", "gain": 0.002, "lo": -0.004,
         "hi": 0.008, "excludes_zero": False},
        {"label_set": "insar_augmented", "split": "random", "gain": 0.03, "lo": 0.02,
         "hi": 0.04, "excludes_zero": True}])
    text = c.hongkong_conclusion(gains)
    assert "independently of InSAR, the factor makes no detectable difference" in text
    assert "partly found with InSAR, the factor helps" in text and "15×" in text


def test_folder_box_reads_the_tables_it_needs(tmp_path):
    params = {"epochs": 2, "steps_per_epoch": 3, "seeds": [0]}
    assert c.folder_box("comparison", tmp_path, params, "quick") is None
    _runs().to_csv(tmp_path / "comparison.csv", index=False)
    _verdicts().to_csv(tmp_path / "comparison_verdicts.csv", index=False)
    text = c.folder_box("comparison", tmp_path, params, "quick")
    assert "at most 6 optimiser steps" in text and "FCADenseNet beats Pixel GBT" in text
    assert c.folder_box("hongkong", tmp_path, params, "quick") is None


def test_published_box_says_when_nothing_is_published(tmp_path):
    text = c.published_box("comparison", tmp_path)
    assert "No published default-profile results" in text


def test_overall_conclusion_answers_both_questions(tmp_path):
    _runs().to_csv(tmp_path / "comparison.csv", index=False)
    _verdicts().to_csv(tmp_path / "comparison_verdicts.csv", index=False)
    pd.DataFrame([{"split": "random", "A": "RS-DR", "B": "RS", "F1(A) - F1(B)": 0.01,
                   "low": -0.02, "high": 0.04,
                   "verdict": "no detectable difference between RS-DR and RS"}]).to_csv(
        tmp_path / "ablation_verdicts.csv", index=False)
    text = c.overall_conclusion(tmp_path, {"epochs": 1, "steps_per_epoch": 2}, "quick")
    assert "Conclusion (quick profile)" in text
    assert "best network is FCADenseNet (mean F1 0.300)" in text
    assert "FCADenseNet beats Pixel GBT" in text
    assert "Deformation rate, random split: no detectable difference" in text


def test_stale_tables_do_not_borrow_todays_budget():
    assert "earlier default profile" in c.budget_sentence(None, "default")


def test_map_conclusion_says_whether_the_run_learnt():
    training = {"spec": {"model": "fcadensenet", "split": "random", "seed": 0}, "ap": 0.01,
                "test_prevalence": 0.02, "converged": True, "best_epoch": 3,
                "test_counts": {"tp": 5, "fp": 5, "fn": 5, "tn": 100}}
    held = pd.DataFrame([{"n_reference": 10, "n_detected": 2, "n_predicted": 4,
                          "n_false_alarms": 1}], index=["all"])
    text = c.map_conclusion(ExperimentResult.from_dict(training), held, 0.7, 4, "Budget.")
    assert "did not learn" in text and "machinery" in text
    assert "found 2 of 10 mapped landslides" in text and "points at its errors: AUROC 0.70" in text
    text = c.map_conclusion(ExperimentResult.from_dict({**training, "ap": 0.2}), None,
                            float("nan"), 4, "Budget.")
    assert "That run learnt" in text and "AUROC" not in text


def test_titles_and_the_published_overall_box(tmp_path):
    _runs().to_csv(tmp_path / "comparison.csv", index=False)
    text = c.folder_box("comparison", tmp_path, {}, "quick", title="Conclusion of this build")
    assert text.startswith(":::{admonition} Conclusion of this build\n")
    assert "No published default-profile results" in c.published_overall(tmp_path / "none")


def test_bottom_line_says_when_no_ranking_is_possible():
    frame = _runs()
    # 4 of 6 network runs learnt (67 %) and FCADenseNet has the best F1: no ranking possible
    text = c.comparison_conclusion(frame, None, "Budget.")
    assert "only 67% of the network runs learnt" in text and "trees" not in text
    gbt_wins = frame.assign(f1=frame["f1"].where(frame["model"] != "Pixel GBT", 0.9))
    assert "gradient-boosted trees without convolutions score highest (random: Pixel GBT, " \
           "blocked: Pixel GBT)" in c.comparison_conclusion(gbt_wins, None, "Budget.")
    learnt = frame[frame["model"] != "U-Net"]
    text = c.comparison_conclusion(learnt, None, "B.")
    assert "Most network runs learnt, so the verdicts" in text
