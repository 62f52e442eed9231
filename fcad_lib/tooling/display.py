"""How the book's pages show tables and figure captions.

- :func:`book_tables` sets pandas' display options once per notebook: no column or cell text is
  elided with "…", floats show 3 decimals;
- :func:`readable` makes a wide table fit the page: snake_case labels may wrap, and
  ``mean ± std`` strings are shortened to 3 decimals (the CSV files keep every digit);
- :func:`figure_caption` shows a caption computed from the data under a figure;
  :func:`fcad_lib.tooling.pages.prepare_for_readers` moves it into the cell's ``mystnb.figure``
  caption, so that the page shows a numbered figure with that caption.
"""

from __future__ import annotations

import re
from typing import Any

#: Output metadata key that marks a figure caption (see :func:`figure_caption`).
CAPTION_KEY = "fcad_figure_caption"

_NUMBER = re.compile(r"-?\d+\.\d+")
_MEAN_STD = re.compile(r"^\s*-?\d+\.\d+(\s*±\s*-?\d+\.\d+)?\s*$")
_BREAK = "_\u200b"  # an underscore followed by a zero-width space: the browser may wrap there


def book_tables(precision: int = 3) -> None:
    """pandas display options for the book: every column and all of each cell, ``precision``
    decimals for floats."""
    import pandas as pd

    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_columns", None)
    pd.set_option("display.max_rows", 500)
    pd.set_option("display.width", 250)
    pd.set_option("display.precision", precision)


def _wrappable(value: Any) -> Any:
    return value.replace("_", _BREAK) if isinstance(value, str) and _BREAK not in value \
        else value


def _shorten(value: Any, digits: int) -> Any:
    if isinstance(value, str) and _MEAN_STD.match(value):
        return _NUMBER.sub(lambda m: f"{float(m.group()):.{digits}f}", value)
    return value


def readable(table: Any, digits: int = 3) -> Any:
    """A copy of ``table`` that fits the page; the values are the same, shown shorter.

    Parameters
    ----------
    table : pandas.DataFrame
        Any table; ``mean ± std`` strings (:func:`fcad_lib.training.experiments.summary_table`)
        are recognised.
    digits : int
        Decimals of floats and of ``mean ± std`` strings.

    Returns
    -------
    pandas.DataFrame
        Labels (columns, index, index names) and string cells with a zero-width space after each
        underscore, so that long snake_case names wrap instead of widening the table; floats
        rounded to ``digits``.
    """
    import pandas as pd

    def text(dtype: Any) -> bool:
        return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)

    out = table.copy()
    for col in out.columns:
        if text(out[col].dtype):
            out[col] = out[col].map(lambda v: _wrappable(_shorten(v, digits)))
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(digits)

    def relabel(index: pd.Index) -> pd.Index:
        if isinstance(index, pd.MultiIndex):
            return index.set_levels([lvl.map(_wrappable) if text(lvl.dtype) else lvl
                                     for lvl in index.levels]).set_names(
                [_wrappable(n) for n in index.names])
        new = index.map(_wrappable) if text(index.dtype) else index
        return new.rename(_wrappable(index.name))

    out.index = relabel(out.index)
    out.columns = relabel(out.columns)
    return out


def figure_caption(text: str) -> None:
    """Show ``text`` (MyST Markdown) as the caption of the figure drawn in the same cell.

    In Jupyter the caption appears under the figure. When the book is prepared
    (:func:`fcad_lib.tooling.pages.prepare_for_readers`), it becomes the cell's figure caption:
    the page then shows one numbered figure with it. Draw only that figure in the cell: myst-nb
    wraps every displayed output of a captioned cell in the same figure.
    """
    from IPython.display import Markdown, display

    display(Markdown(text), metadata={CAPTION_KEY: True})
