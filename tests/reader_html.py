"""What a reader must not see in a rendered page or table (shared by the display and book tests).

The checks parse the HTML with the standard library, so that they read a table the way a browser
lays it out: header cells (``th``) of the head and of the rows, and data cells (``td``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
NOT_A_NUMBER = re.compile(r"(?<![\w.])-?(nan|inf)(?![\w.])", re.IGNORECASE)
NUMERIC_TEXT = re.compile(r"^[\s\d.,+\-−±\[\]()%]*$")  # what is left of a cell of numbers
E_NOTATION = re.compile(r"(?<![\w.])-?\d+(\.\d+)?e[-+]?\d+(?![\w.])", re.IGNORECASE)
NEGATIVE_ZERO = re.compile(r"(?<![\w.])-0(\.0+)?(?![\d.])")
PLAIN_NUMBER = re.compile(r"^-?\d+(\.(\d+))?$")
RAW_REPRS = ("PosixPath", "FCDenseNetConfig(", "WindowsPath")


@dataclass
class Table:
    """One ``<table>``: its head's header cells and, per body row, its header and data cells."""

    head: list[str] = field(default_factory=list)
    row_headers: list[list[str]] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[Table] = []
        self.literals: list[str] = []
        self._stack: list[Table] = []
        self._in_head = False
        self._cell: list[str] | None = None
        self._cell_tag = ""
        self._literal: list[str] | None = None
        self._hidden = 0  # inside <style> or <script>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag in ("style", "script"):
            self._hidden += 1
        elif tag == "table":
            self._stack.append(Table())
        elif tag == "thead":
            self._in_head = True
        elif tag == "tbody":
            self._in_head = False
        elif tag == "tr" and self._stack and not self._in_head:
            self._stack[-1].row_headers.append([])
            self._stack[-1].rows.append([])
        elif tag in ("th", "td") and self._stack:
            self._cell, self._cell_tag = [], tag
        elif tag == "code" and "literal" in classes:
            self._literal = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._hidden -= 1
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
        elif tag == "thead":
            self._in_head = False
        elif tag in ("th", "td") and self._cell is not None and self._stack:
            text = "".join(self._cell).replace("\u200b", "").replace("\xa0", " ").strip()
            table = self._stack[-1]
            if self._in_head or not table.rows:
                table.head.append(text)
            elif tag == "th":
                table.row_headers[-1].append(text)
            else:
                table.rows[-1].append(text)
            self._cell = None
        elif tag == "code" and self._literal is not None:
            self.literals.append("".join(self._literal).strip())
            self._literal = None

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._cell is not None:
            self._cell.append(data)
        if self._literal is not None:
            self._literal.append(data)


def parse(html: str) -> _Tables:
    """Tables and inline code literals of a page."""
    parser = _Tables()
    parser.feed(html)
    return parser


def table_problems(table: Table, decimals: bool = True) -> list[str]:
    """What a reader should not see in one table.

    Parameters
    ----------
    table : Table
        A parsed table.
    decimals : bool
        Also require one number of decimals per column (off for tables whose rows are different
        quantities).
    """
    problems = []
    headers = table.head + [h for row in table.row_headers for h in row]
    problems += [f"snake_case header {h!r}" for h in headers if SNAKE_CASE.match(h)]
    firsts = [row[0] for row in table.row_headers if row]
    if firsts and all(re.fullmatch(r"\d+", f) for f in firsts):
        problems.append("integer index (row numbers as row headers)")
    for text in headers + [c for row in table.rows for c in row]:
        # a number that is NaN or inf ("nan", "0.5 ± nan"), not a sentence about NaN
        if NOT_A_NUMBER.search(text) and NUMERIC_TEXT.match(NOT_A_NUMBER.sub("", text)):
            problems.append(f"NaN or inf in {text!r}")
        if E_NOTATION.search(text) and NUMERIC_TEXT.match(E_NOTATION.sub("", text)):
            problems.append(f"e-notation in {text!r}")
        if NEGATIVE_ZERO.search(text):
            problems.append(f"negative zero in {text!r}")
    if decimals:
        width = max((len(r) for r in table.rows), default=0)
        for j in range(width):
            places = {len(m.group(2) or "") for row in table.rows if j < len(row)
                      for m in [PLAIN_NUMBER.match(row[j])] if m}
            if len(places) > 1:
                problems.append(f"column {j} mixes {sorted(places)} decimals")
    return problems


def template_variable(text: str, names: set[str]) -> bool:
    """``text`` (inline code) is a parameter's name, or one indexed (``seeds[0]``)."""
    return re.sub(r"\[[^\]]*\]$", "", text.strip()) in names


def page_problems(html: str, template_names: set[str] = frozenset()) -> list[str]:
    """What a reader should not see on a built page: raw reprs anywhere, table problems, and
    inline code that names one of ``template_names`` (a notebook's parameters, on the pages of
    executed notebooks) where its value belongs (``seeds[0]``)."""
    parsed = parse(html)
    problems = [f"raw repr {r!r}" for r in RAW_REPRS if r in html]
    for table in parsed.tables:
        problems += table_problems(table, decimals=False)
    problems += [f"template variable `{lit}`" for lit in parsed.literals
                 if template_variable(lit, template_names)]
    return problems
