"""The book's one table style: human labels, no row numbers, no NaN, one format per column."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from fcad_book.display import (
    BookTable,
    book_tables,
    format_number,
    human_label,
    key_value_table,
    readable,
)
from fcad_book.pipeline import ROOT
from tests.reader_html import parse, table_problems


def cells(table: BookTable) -> list[list[str]]:
    return parse(table.to_html()).tables[0].rows


def test_labels_are_words():
    assert human_label("label_set") == "Label set"
    assert human_label("excludes_zero") == "Interval excludes 0"
    assert human_label("insar_augmented_tested_on_independent") == \
        "InSAR-augmented, tested on independent samples"
    assert human_label("peak_rss_mb") == "Peak RSS (MB)"  # a trailing unit in parentheses
    assert human_label("patches_per_s") == "Patches per s"  # ... but not after "per"
    assert human_label("km2_per_min") == "km² per min"  # a unit keeps its case
    assert human_label("some_new_column") == "Some new column"  # the generic fallback
    assert human_label("skip_attention0") == "Skip attention 0"
    assert human_label("paper f1") == "Paper F1"
    assert human_label("RS-DR") == "RS-DR" and human_label("F1(A) - F1(B)") == "F1(A) - F1(B)"


def test_numbers_never_show_e_notation_negative_zero_or_nan():
    assert format_number(1.036e-01, 3) == "0.104"
    assert format_number(-2e-5, 3) == "0.000"
    assert format_number(-0.0, 0) == "0"
    assert format_number(float("nan"), 3) == "n/a" and format_number(-math.inf, 2) == "n/a"


def test_a_table_of_runs_reads_like_the_paper():
    frame = pd.DataFrame({
        "label_set": ["independent", "insar_augmented"], "f1": [0.1036, -0.00001],
        "lo": [1.0e-5, np.nan], "hi": [np.inf, 0.25], "folds": [5, 5],
        "excludes_zero": [True, False], "ap": ["0.61234 ± 0.01234", "0.5 ± nan"]})
    table = readable(frame)
    assert not table.show_index  # a RangeIndex numbers rows: hidden
    assert list(table.text.columns) == ["Label set", "F1", "95 % low", "95 % high", "Folds",
                                        "Interval excludes 0", "AP"]
    assert cells(table) == [
        ["independent", "0.104", "0.000", "n/a", "5", "yes", "0.612 ± 0.012"],
        ["InSAR-augmented", "0.000", "n/a", "0.250", "5", "no", "0.5"]]
    assert table_problems(parse(table.to_html()).tables[0]) == []
    assert frame.loc[0, "f1"] == 0.1036  # the original is unchanged
    sorted_rows = readable(frame.sort_values("f1").iloc[:1])  # row numbers 1: still no index
    assert not sorted_rows.show_index


def test_large_quantities_keep_significant_figures_not_three_decimals():
    bench = pd.DataFrame({"peak_rss_mb": [1208.9, 1232.64], "km2": [163.84, 655.36],
                          "seam_score": [9.7182, 0.778], "overhead": [0.0521, 0.0622]})
    assert readable(bench).text.values.tolist() == [["1,209", "163.8", "9.718", "0.052"],
                                                    ["1,233", "655.4", "0.778", "0.062"]]


def test_a_rate_without_landslides_says_so_and_counts_have_no_decimals():
    scores = pd.DataFrame({"n_reference": [12.0, 0.0], "detection_rate": [0.25, np.nan]},
                          index=pd.Index(["small", "large"], name="size_class"))
    table = readable(scores)
    assert table.show_index and table.text.index.name == "Size class"
    assert list(table.text.index) == ["Small", "Large"]
    assert table.text.values.tolist() == [["12", "0.250"], ["0", "no landslide"]]
    params = readable(pd.DataFrame({"params": [69919, 976]}, index=pd.Index(["FCN", "x"])))
    assert params.text["Parameters"].tolist() == ["69,919", "976"]


def test_seeds_in_column_headers_are_named_and_rows_may_be_their_own_quantity():
    pivot = pd.DataFrame([[0.5, 0.25]], index=pd.Index(["FCN"], name="model"),
                         columns=pd.MultiIndex.from_tuples([("random", 0), ("random", 1)],
                                                           names=["split", "seed"]))
    assert list(readable(pivot).text.columns) == [("Random", "Seed 0"), ("Random", "Seed 1")]
    factors = pd.DataFrame({"units": ["m", "1"], "median": [1234.5678, 0.073456]},
                           index=pd.Index(["elevation", "optical_B2"], name="factor"))
    assert readable(factors, per_row=True).text["Median"].tolist() == ["1235", "0.0735"]
    evidence = pd.Series({"fill_fraction": 0.3781, "measured_near_zero": 64.0}, name="set")
    assert readable(evidence, per_row=True).text["Set"].tolist() == ["0.378", "64"]


def test_the_html_scrolls_in_its_own_frame_with_the_first_column_pinned():
    html = readable(pd.DataFrame({"a_b": [1.5]})).to_html()
    assert html.startswith('<div class="fcad-table-frame">')
    assert "overflow-x:auto" in html and "position:sticky" in html
    assert parse(html).tables[0].head == ["A b"]


def test_dicts_and_dataclasses_become_two_column_tables():
    @dataclasses.dataclass(frozen=True)
    class Config:
        growth_rate: int = 8
        dropout: float = 0.2
        layers_per_block: tuple = (2, 2)

    summary = {"shape": (200, 300), "resolution_m": 12.5, "missing_roles": []}
    assert readable(key_value_table(summary)).text.to_dict() == {"Value": {
        "Shape": "200 x 300", "Resolution (m)": "12.5", "Missing roles": "none"}}
    table = readable(key_value_table(Config()))
    assert table.text["Value"].tolist() == ["8", "0.2", "2, 2"]
    assert "Config(" not in table.to_html()


def _published_csvs() -> list:
    folders = [ROOT / "results" / "default", *sorted((ROOT / "runs").glob("*"))]
    return sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*.csv")
                  if "experiments" not in p.relative_to(folder).parts)


@pytest.mark.parametrize("path", _published_csvs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_published_table_renders_in_the_book_style(path):
    frame = pd.read_csv(path)
    if frame.columns[0].startswith("Unnamed"):  # written with its index
        frame = pd.read_csv(path, index_col=0)
    from fcad_book.glance import REAL_DATA_HINTS, real_data_table

    shown = [frame]
    if any(h in path.name.lower() for h in REAL_DATA_HINTS):  # as notebook 11 shows it
        shown.append(real_data_table(path))
    for one in shown:
        table = readable(one)
        parsed = parse(table.to_html()).tables
        assert len(parsed) == 1
        assert table_problems(parsed[0]) == [], path
        assert not any("Unnamed" in str(c) for c in table.text.columns)


def test_book_tables_elide_nothing():
    # every option it sets is restored afterwards, so that no other test sees them
    with pd.option_context("display.max_colwidth", 50, "display.max_columns", 20,
                           "display.max_rows", 60, "display.width", 80,
                           "display.precision", 6):
        book_tables()
        assert pd.get_option("display.max_colwidth") is None
        assert pd.get_option("display.max_columns") is None
        assert pd.get_option("display.precision") == 3


@pytest.mark.parametrize("name", ["comparison.csv", "ablation.csv", "balakot.csv",
                                  "hongkong.csv"])
def test_published_summaries_render_in_the_book_style(name):
    from fcad_book.publish import published_summary

    _, summary = published_summary(name)
    if summary is None:
        pytest.skip(f"results/default/{name} is not in this checkout")
    table = parse(readable(summary).to_html()).tables[0]
    assert table_problems(table) == []
    assert "Split" in table.head and "F1" in table.head


def test_negative_zero_inside_an_interval_written_as_text():
    from fcad_book.display import readable

    frame = pd.DataFrame({"ECE A - B (95 % interval)": ["-0.0001 [-0.0002, -0.0000]"]})
    assert readable(frame).text.iloc[0, 0] == "-0.0001 [-0.0002, 0.0000]"
