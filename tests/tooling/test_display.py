"""Tables that fit the book's page: nothing elided, labels that wrap, 3 decimals."""

import pandas as pd

from fcad_lib.tooling.display import book_tables, readable


def test_readable_tables_shorten_mean_std_and_let_labels_wrap():
    table = pd.DataFrame({"f1": ["0.12345 ± 0.01234"], "rate_x": [0.123456]},
                         index=pd.Index(["with_dv"], name="factors"))
    out = readable(table)
    assert out.iloc[0, 0] == "0.123 ± 0.012" and out.iloc[0, 1] == 0.123
    assert out.index[0].replace("\u200b", "") == "with_dv"
    assert [c.replace("\u200b", "") for c in out.columns] == ["f1", "rate_x"]
    assert table.iloc[0, 0] == "0.12345 ± 0.01234"  # the original is unchanged


def test_book_tables_elide_nothing():
    # every option it sets is restored afterwards, so that no other test sees them
    with pd.option_context("display.max_colwidth", 50, "display.max_columns", 20,
                           "display.max_rows", 60, "display.width", 80,
                           "display.precision", 6):
        book_tables()
        assert pd.get_option("display.max_colwidth") is None
        assert pd.get_option("display.max_columns") is None
        assert pd.get_option("display.precision") == 3
