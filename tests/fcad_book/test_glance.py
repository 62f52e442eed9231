"""Results at a glance: paper beside ours, from whatever CSVs exist, naming what is missing."""

import pandas as pd

from fcad_book import glance
from fcad_lib.training.experiments import PAPER_TABLE3


def _runs() -> pd.DataFrame:
    rows = []
    for seed, (a, b) in enumerate([(0.60, 0.50), (0.70, 0.40)]):
        rows += [{"model": "FCADenseNet", "split": "random", "seed": seed, "f1": a, "pre": a,
                  "rec": a},
                 {"model": "FC-DenseNet", "split": "random", "seed": seed, "f1": b, "pre": b,
                  "rec": b},
                 {"model": "threshold rule", "split": "random", "seed": seed, "f1": 0.3,
                  "pre": 0.3, "rec": 0.3}]
    return pd.DataFrame(rows)


def test_side_by_side_puts_the_paper_beside_mean_and_std():
    verdicts = pd.DataFrame([{"split": "random", "A": "FCADenseNet", "B": "FC-DenseNet",
                              "verdict": "FCADenseNet beats FC-DenseNet"}])
    table = glance.side_by_side(_runs(), "model", PAPER_TABLE3, "random", verdicts)
    row = table.loc["FCADenseNet"]
    assert row["paper f1"] == f"{PAPER_TABLE3.loc['FCADenseNet', 'f1']:.3f}"
    # mean 0.65 and sample std of (0.6, 0.7) = 0.0707, computed by hand
    assert row["ours f1"] == "0.650 ± 0.071"
    assert row["seeds"] == 2
    assert row["verdict"] == "FCADenseNet beats FC-DenseNet"
    assert table.loc["threshold rule", "paper f1"] == "—"  # a baseline the paper does not have
    assert table.loc["threshold rule", "ours f1"] == "0.300 ± 0.000"
    assert table.loc["FC-DenseNet", "verdict"] == "—"


def test_one_seed_shows_no_spread():
    one = _runs()[lambda f: f["seed"] == 0]
    assert glance.side_by_side(one, "model", PAPER_TABLE3, "random").loc[
        "FCADenseNet", "ours f1"] == "0.600"


def test_missing_files_are_named(tmp_path):
    run_dir = tmp_path / "runs" / "quick"
    run_dir.mkdir(parents=True)
    _runs().to_csv(run_dir / "comparison.csv", index=False)
    sources = glance.result_sources(run_dir, "quick", published_dir=tmp_path / "nope")
    assert list(sources) == ["this build (quick profile)"]
    text = glance.missing_markdown(glance.inventory(sources))
    assert "`ablation.csv` in this build (quick profile)" in text
    assert "comparison.csv" not in text
    summary = glance.glance_summary(sources)
    # FCADenseNet 0.65 - FC-DenseNet 0.45 = +0.200
    assert "FCADenseNet − FC-DenseNet = +0.200" in summary
    assert glance.missing_markdown(glance.inventory({})).startswith("**No results at all")


def test_paper_tables_cover_each_split_present_and_join_baseline_files(tmp_path):
    frame = _runs()
    frame[frame["model"] != "threshold rule"].to_csv(tmp_path / "comparison.csv", index=False)
    frame[frame["model"] == "threshold rule"].to_csv(tmp_path / "baselines.csv", index=False)
    tables = glance.paper_tables({"here": tmp_path}, "3")
    assert [h for h, _ in tables] == ["**here, random split**"]  # no blocked rows in the files
    assert list(tables[0][1].index) == ["FCADenseNet", "FC-DenseNet", "threshold rule"]
    assert glance.paper_tables({"here": tmp_path}, "4") == []  # no ablation.csv: nothing


def test_published_markdown_warns_when_the_profile_changed(tmp_path):
    import json

    import yaml

    from fcad_book.profiles import PROFILES_FILE, load_profile
    from fcad_book.publish import NO_RESULTS, profile_hash

    assert glance.published_markdown("quick", tmp_path / "nope") == NO_RESULTS
    prov = {"profile": "default", "profile_sha256": profile_hash(load_profile("default")),
            "git_commit": "abc123", "finished": "2026-11-25T11:52:00+00:00",
            "wall_seconds": 4000, "cpu_count": 2, "complete": True}
    (tmp_path / "provenance.json").write_text(json.dumps(prov))
    text = glance.published_markdown("default", tmp_path)
    assert "previous run" in text and "1:07 (h:mm)" in text
    assert "STALE" not in text and not text.startswith(":::")
    profiles = yaml.safe_load(PROFILES_FILE.read_text())
    profiles["default"]["parameters"]["seeds"] = [0]
    edited = tmp_path / "profiles.yml"
    edited.write_text(yaml.safe_dump(profiles))
    text = glance.published_markdown("quick", tmp_path, edited)
    assert text.startswith(":::{warning}") and "**STALE:**" in text
    assert "previous run" not in text
    sources = glance.result_sources(tmp_path / "runs", "default", published_dir=tmp_path)
    assert list(sources) == ["published (default profile, previous run)"]


def test_real_data_files_of_single_runs_are_summarised_over_runs(tmp_path):
    _runs().to_csv(tmp_path / "balakot.csv", index=False)
    table = glance.real_data_table(tmp_path / "balakot.csv")
    assert list(table.index.names) == ["split", "model"] and len(table) == 3
    assert table.loc[("random", "FCADenseNet"), "f1"] == "0.6500 ± 0.0707"
    assert table.loc[("random", "FCADenseNet"), "seeds"] == 2
    folds = _runs().rename(columns={"seed": "fold"})
    folds.to_csv(tmp_path / "hk_x.csv", index=False)
    assert "folds" in glance.real_data_table(tmp_path / "hk_x.csv").columns
    objects = pd.DataFrame({"size_class": ["small", "all"], "n_reference": [3, 5]})
    objects.to_csv(tmp_path / "balakot_objects.csv", index=False)
    pd.testing.assert_frame_equal(glance.real_data_table(tmp_path / "balakot_objects.csv"),
                                  objects)


def test_summary_names_networks_below_the_baselines_and_still_improving_runs(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({
        "model": ["FCADenseNet", "FCADenseNet", "Threshold rule", "Threshold rule"],
        "split": ["random"] * 4, "seed": [0, 1, 0, 1], "f1": [0.05, 0.07, 0.10, 0.12],
        "best_epoch": [3, 1, None, None], "epochs_run": [4, 4, None, None]})
    folder = tmp_path / "pub"
    folder.mkdir()
    frame.to_csv(folder / "comparison.csv", index=False)
    text = glance.glance_summary({"published": folder})
    assert ("best network FCADenseNet (F1 0.060) is below the best non-learned baseline "
            "Threshold rule (0.110)") in text
    assert "1 of 2 network runs had their best validation epoch last" in text
    frame.loc[0, "f1"] = 0.30  # now the network's mean (0.185) is above the rule's (0.110)
    frame.to_csv(folder / "comparison.csv", index=False)
    assert "is above the best non-learned baseline" in glance.glance_summary({"published": folder})
