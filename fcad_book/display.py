"""How the book's pages show tables and figure captions.

- :func:`readable` is the book's one table style: human column names, no integer index, "n/a"
  for missing or infinite values, one number of decimals per column and never e-notation, in a
  frame that scrolls sideways with its first column pinned (the CSV files keep every digit);
- :func:`key_value_table` turns a dict or a dataclass (a grid summary, a model config) into a
  two-column table for :func:`readable`, so that no ``repr`` reaches the reader;
- :func:`book_tables` sets pandas' display options once per notebook, for anything else;
- :func:`figure_caption` shows a caption computed from the data under a figure;
  :func:`fcad_book.pages.prepare_for_readers` moves it into the cell's ``mystnb.figure``
  caption, so that the page shows a numbered figure with that caption.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import pandas as pd

#: Output metadata key that marks a figure caption (see :func:`figure_caption`).
CAPTION_KEY = "fcad_figure_caption"

#: What a missing or infinite number reads as.
NOT_AVAILABLE = "n/a"
#: What a per-class rate reads as in a row without any mapped landslide (nothing to detect).
NO_LANDSLIDE = "no landslide"
#: Columns that count a row's mapped landslides (pixels or objects): 0 there means "no landslide".
POSITIVE_COUNTS = ("n_reference", "landslide_px")

#: Whole labels (column names, index names and values) and what the reader sees instead.
LABELS = {
    "pre": "Precision", "rec": "Recall", "f1": "F1", "ap": "AP", "miou": "mIoU",
    "kappa": "Kappa", "ece": "ECE", "brier": "Brier", "val_ap": "Validation AP",
    "label_set": "Label set", "with_dv": "With DV", "without_dv": "Without DV",
    "dv_only": "DV only", "independent": "Independent",
    "insar_augmented": "InSAR-augmented",
    "insar_augmented_tested_on_independent": "InSAR-augmented, tested on independent samples",
    "excludes_zero": "Interval excludes 0", "lo": "95 % low", "hi": "95 % high",
    "low": "95 % low", "high": "95 % high",
    "n_reference": "Mapped", "n_detected": "Detected", "n_predicted": "Predicted",
    "n_false_alarms": "False alarms", "false_alarm_ratio": "False-alarm ratio",
    "finite_fraction": "Valid fraction", "p01": "1st percentile", "p99": "99th percentile",
    "params": "Parameters", "trainable_params": "Trainable parameters",
    "gflops_per_patch": "GFLOPs per patch", "crs": "CRS",
    "n_first_filters": "Filters of the first convolution", "n_pool": "Transitions down",
}
#: Words inside snake_case names that are abbreviations or units.
WORDS = {
    "f1": "F1", "ap": "AP", "dv": "DV", "insar": "InSAR", "km2": "km²", "m2": "m²",
    "rss": "RSS", "mb": "MB", "ece": "ECE", "vif": "VIF", "tol": "TOL", "gbt": "GBT",
    "rf": "RF", "gflops": "GFLOPs", "auroc": "AUROC", "crs": "CRS", "miou": "mIoU",
    "mc": "MC", "tta": "TTA", "ndvi": "NDVI", "cpu": "CPU", "gpu": "GPU", "roc": "ROC",
    "auc": "AUC", "q1": "Q1", "q2": "Q2", "q3": "Q3", "q4": "Q4", "gb": "GB",
}
#: A last word that is a unit goes in parentheses: ``peak_rss_mb`` -> "Peak RSS (MB)".
UNITS = {"s": "s", "mb": "MB", "gb": "GB", "px": "px", "m": "m", "km2": "km²", "m2": "m²",
         "mm": "mm", "pct": "%"}

_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_NUMBERED = re.compile(r"^([a-z]{3,})(\d+)$")
_NUMBER = re.compile(r"-?\d+\.\d+")
_MEAN_STD = re.compile(r"^\s*-?\d+\.\d+(\s*±\s*-?\d+\.\d+)?\s*$")
_NAN_STD = re.compile(r"\s*±\s*nan\b", re.IGNORECASE)
_NAN = re.compile(r"(?<![\w.])-?(nan|inf)(?![\w.])", re.IGNORECASE)
# a zero with a sign, alone or inside text ("-0.0001 [-0.0002, -0.0000]"): zero has none
_NEGATIVE_ZERO = re.compile(r"(?<![\w.])-(0(\.0+)?)(?![\d.])")
_BREAK = "_\u200b"  # an underscore followed by a zero-width space: the browser may wrap there

# The table's own frame scrolls sideways; its first column stays in view while it does.
_FRAME_CSS = (
    ".fcad-table-frame{overflow-x:auto;max-width:100%;margin-bottom:1em}"
    ".fcad-table-frame table.fcad-table{border-collapse:separate;border-spacing:0}"
    ".fcad-table-frame table.fcad-table th,.fcad-table-frame table.fcad-table td"
    "{padding:0.2em 0.6em;white-space:normal}"
    ".fcad-table-frame table.fcad-table tr>:first-child{position:sticky;left:0;z-index:1;"
    "background:var(--pst-color-background,#fff)}"
)


def human_label(name: Any) -> Any:
    """The reader's words for a column or index name (``label_set`` -> "Label set").

    Known names come from :data:`LABELS`; any other snake_case name has its underscores
    replaced by spaces, abbreviations spelled as in :data:`WORDS`, a trailing unit put in
    parentheses (:data:`UNITS`) and its first letter capitalised. Labels that are not
    lowercase identifiers ("RS-DR", "F1(A) - F1(B)") are only capitalised word by word where a
    word is a known name ("paper f1" -> "Paper F1").
    """
    if not isinstance(name, str) or not name:
        return name
    if name in LABELS:
        return LABELS[name]
    if _SNAKE.match(name):
        words = name.split("_")
        unit = ""
        if len(words) > 1 and words[-1] in UNITS and words[-2] != "per":
            unit = f" ({UNITS[words.pop()]})"
        first = words[0]
        # "down_block0" -> "Down block 0"; abbreviations with a digit ("f1", "q1") are words
        text = " ".join(WORDS.get(w, _NUMBERED.sub(r"\1 \2", w)) for w in words) + unit
    else:
        first = name.split(" ")[0]
        text = " ".join(LABELS.get(w, WORDS.get(w, w)) if _SNAKE.match(w) else w
                        for w in name.split(" "))
    # an abbreviation or unit keeps its own case ("km² per min", "mIoU")
    return text if first in WORDS else text[:1].upper() + text[1:]


def _row_value(value: Any) -> Any:
    """An index value as a row label: lowercase names in words (:func:`human_label`), others
    ("FCADenseNet", "RS-DR", file names) as they are."""
    return human_label(value) if isinstance(value, str) and _SNAKE.match(value) else value


def decimals_for(values: Any, figures: int = 3) -> int:
    """Decimals that give the largest of ``values`` about ``figures`` significant figures."""
    finite = [abs(float(v)) for v in values if _is_number(v) and math.isfinite(float(v))]
    top = max(finite, default=0.0)
    if top == 0.0:
        return figures
    return int(min(6, max(0, figures - 1 - math.floor(math.log10(top)))))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def format_number(value: Any, decimals: int, missing: str = NOT_AVAILABLE,
                  grouping: bool = False) -> str:
    """``value`` with ``decimals`` decimals: never e-notation, never "-0.000", "n/a" if not finite;
    thousands separated by commas with ``grouping``.

    Examples
    --------
    >>> format_number(0.1036, 3), format_number(-0.0001, 3), format_number(float("nan"), 3)
    ('0.104', '0.000', 'n/a')
    """
    if value is None or not math.isfinite(float(value)):
        return missing
    text = f"{float(value):,.{decimals}f}" if grouping else f"{float(value):.{decimals}f}"
    return _NEGATIVE_ZERO.sub(r"\1", text)


def _format_text(value: str, digits: int) -> str:
    text = _NAN_STD.sub("", value)  # a single run has no spread: "0.5 ± nan" is "0.5"
    if _MEAN_STD.match(text):  # shortened to `digits` decimals, never padded
        text = _NUMBER.sub(lambda m: m.group() if len(m.group().split(".")[1]) <= digits
                           else format_number(float(m.group()), digits), text)
    text = _NAN.sub(NOT_AVAILABLE, text)
    text = _NEGATIVE_ZERO.sub(r"\1", text)
    if text in _VALUE_WORDS:
        text = LABELS[text]
    return text.replace("_", _BREAK) if _BREAK not in text else text


#: Cell values (not only labels) spelled in words wherever they appear.
_VALUE_WORDS = ("with_dv", "without_dv", "dv_only", "insar_augmented",
                "insar_augmented_tested_on_independent")


def _format_cell(value: Any, decimals: int, digits: int, missing: str,
                 grouping: bool = False) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value is pd.NA or value is pd.NaT:
        return missing
    if isinstance(value, int):
        return f"{value:,}" if grouping else str(value)
    if _is_number(value):
        return format_number(value, decimals, missing, grouping)
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return _format_cell(value.item(), decimals, digits, missing, grouping)
    if isinstance(value, str):
        return _format_text(value, digits)
    if isinstance(value, PurePath):
        return value.name
    if isinstance(value, list | tuple):
        return ", ".join(_format_cell(v, decimals, digits, missing) for v in value) or "none"
    return str(value)


def _is_count(values: pd.Series) -> bool:
    """Floats that are all whole numbers, some above 1: counts (with NaN) shown without decimals."""
    finite = values[pd.notna(values)].astype(float)
    finite = finite[finite.map(math.isfinite)]
    return bool(len(finite)) and bool((finite == finite.round()).all()) \
        and bool((finite.abs() > 1).any())


def _labels(index: pd.Index, row: bool) -> pd.Index:
    """Human labels of an index (columns: every label; rows: :func:`_row_value`); a whole number
    in a named level (a seed, a fold) is shown with its level's name: "Seed 0"."""
    def one(value: Any, level_name: Any) -> Any:
        if _is_number(value) and float(value).is_integer() and isinstance(level_name, str):
            return f"{human_label(level_name)} {int(value)}"
        return _row_value(value) if row else human_label(value)

    if isinstance(index, pd.MultiIndex):
        tuples = [tuple(one(v, n) for v, n in zip(t, index.names, strict=True))
                  for t in index]
        return pd.MultiIndex.from_tuples(tuples, names=[human_label(n) for n in index.names])
    return pd.Index([one(v, index.name) for v in index], name=human_label(index.name))


def _default_index(index: pd.Index) -> bool:
    """An unnamed integer index (a RangeIndex, or what is left of one after filtering or
    sorting): row numbers, not labels."""
    if isinstance(index, pd.MultiIndex) or index.name is not None:
        return False
    return isinstance(index, pd.RangeIndex) or pd.api.types.is_integer_dtype(index)


@dataclasses.dataclass(frozen=True)
class BookTable:
    """A table as the book shows it (see :func:`readable`).

    Attributes
    ----------
    text : pandas.DataFrame
        Every cell already formatted as text, labels in words.
    show_index : bool
        False when the index only numbered the rows.
    """

    text: pd.DataFrame
    show_index: bool

    def to_html(self) -> str:
        """The table in its scrolling frame (inline CSS, so Jupyter and the book agree)."""
        uid = hashlib.sha1(self.text.to_csv().encode()).hexdigest()[:10]
        styler = self.text.style
        styler.set_uuid(uid)
        styler.set_table_attributes('class="fcad-table"')
        styler.format(escape="html").format_index(escape="html", axis=0)
        styler.format_index(escape="html", axis=1)
        if not self.show_index:
            styler.hide(axis="index")
        body = styler.to_html(sparse_index=False, sparse_columns=True)
        return f'<div class="fcad-table-frame"><style>{_FRAME_CSS}</style>{body}</div>'

    def to_string(self) -> str:
        """Plain text (what a terminal or a text-only output shows)."""
        return self.text.to_string(index=self.show_index)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return self.to_string()


def readable(table: Any, digits: int = 3, *, decimals: Mapping[Any, int] | None = None,
             per_row: bool = False, missing: str = NOT_AVAILABLE) -> BookTable:
    """The book's table style: the same values, shown for a reader.

    Parameters
    ----------
    table : pandas.DataFrame or pandas.Series
        Any table; ``mean ± std`` strings (:func:`fcad_lib.training.report.summary_table`)
        are recognised and shortened to ``digits`` decimals.
    digits : int
        Decimals of float columns (fewer for columns of values of 10 and more, which keep
        ``digits + 1`` significant figures) and of ``mean ± std`` strings. A float column of whole
        numbers above 1 (counts with a gap) is shown without decimals; counts of 1,000 and more
        with thousands separators.
    decimals : mapping, optional
        Decimals of named columns, overriding ``digits``.
    per_row : bool
        Each row is its own quantity (the rows are factors with different units, the columns
        statistics of them): the other numeric columns get, row by row, the decimals that give
        three significant figures (:func:`decimals_for`).
    missing : str
        Text of a missing or infinite number. In a row that counts no mapped landslide
        (a zero in a :data:`POSITIVE_COUNTS` column) a missing rate reads :data:`NO_LANDSLIDE`.

    Returns
    -------
    BookTable
        Human labels (:func:`human_label`), the index hidden when it only numbers the rows,
        Booleans as yes/no, and an HTML form that scrolls sideways inside its own frame with
        the first column pinned.
    """
    frame = table.to_frame() if isinstance(table, pd.Series) else table
    decimals = dict(decimals or {})
    counts = [c for c in POSITIVE_COUNTS if c in frame.columns]
    empty_rows = frame[counts].eq(0).any(axis=1) if counts else pd.Series(False, frame.index)
    row_decimals = None
    if per_row:
        numeric = [c for c in frame.columns if c not in decimals
                   and pd.api.types.is_numeric_dtype(frame[c])]
        row_decimals = [0 if _is_count(pd.Series(r, dtype=float)) else decimals_for(r)
                        for r in frame[numeric].itertuples(index=False)]

    columns = {}
    for j, col in enumerate(frame.columns):
        values = frame.iloc[:, j]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        count = numeric and (pd.api.types.is_integer_dtype(values) or _is_count(values))
        by_row = row_decimals is not None and numeric and not count and col not in decimals
        if col in decimals:
            col_decimals = decimals[col]
        elif count:
            col_decimals = 0
        elif numeric:
            # large quantities keep about digits + 1 significant figures: 1232.6 MB, not 1232.600
            col_decimals = min(digits, decimals_for(values.tolist(), figures=digits + 1))
        else:
            col_decimals = digits
        # numbers of four digits and more read in groups of thousands, the whole column alike
        grouping = numeric and not by_row and col_decimals == 0 \
            and bool((values.abs() >= 1000).any())
        cells = []
        for i, value in enumerate(values.tolist()):
            gap = NO_LANDSLIDE if bool(empty_rows.iloc[i]) else missing
            cells.append(_format_cell(value, row_decimals[i] if by_row else col_decimals, digits,
                                      gap, grouping))
        columns[j] = cells
    text = pd.DataFrame(columns, index=frame.index)
    text.columns = _labels(frame.columns, row=False)
    show_index = not _default_index(frame.index)
    text.index = _labels(frame.index, row=True) if show_index else pd.RangeIndex(len(frame))
    return BookTable(text=text, show_index=show_index)


def key_value_table(items: Any, value: str = "value") -> pd.DataFrame:
    """A dict or a dataclass as a two-column table (name, value), for :func:`readable`.

    Lists and tuples read as comma-separated words ("none" when empty), a ``shape`` as ``rows
    x columns``, paths by their file name, floats with three significant figures.
    """
    if dataclasses.is_dataclass(items) and not isinstance(items, type):
        items = {f.name: getattr(items, f.name) for f in dataclasses.fields(items)}

    def text(key: Any, v: Any) -> str:
        if str(key).endswith("shape") and isinstance(v, tuple | list):
            return " x ".join(str(x) for x in v)
        if _is_number(v) and not isinstance(v, int):  # each row its own quantity: 0.2, 12.5
            short = format_number(v, decimals_for([v]))
            return short.rstrip("0").rstrip(".") if "." in short else short
        return _format_cell(v, 3, 3, NOT_AVAILABLE)

    return pd.DataFrame({value: [text(k, v) for k, v in items.items()]},
                        index=pd.Index(list(items)))


def book_tables(precision: int = 3) -> None:
    """pandas display options for the book: every column and all of each cell, ``precision``
    decimals for floats."""
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_columns", None)
    pd.set_option("display.max_rows", 500)
    pd.set_option("display.width", 250)
    pd.set_option("display.precision", precision)


def figure_caption(text: str) -> None:
    """Show ``text`` (MyST Markdown) as the caption of the figure drawn in the same cell.

    In Jupyter the caption appears under the figure. When the book is prepared
    (:func:`fcad_book.pages.prepare_for_readers`), it becomes the cell's figure caption:
    the page then shows one numbered figure with it. Draw only that figure in the cell: myst-nb
    wraps every displayed output of a captioned cell in the same figure.
    """
    from IPython.display import Markdown, display

    display(Markdown(text), metadata={CAPTION_KEY: True})
