"""What the book's reader sees of the notebooks: folded code, values instead of variable names,
the paper's figures named as the paper's, links between pages, and (after a build) the pages."""

import re

import nbformat
import pytest

from fcad_book import pipeline
from tests.reader_html import page_problems, template_variable

NOTEBOOKS = sorted(pipeline.NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))

#: Code cells shown unfolded because the code is the lesson: 03 builds the networks.
UNFOLDED = {
    "03_fcadensenet.ipynb": {"8075614e", "e743ae83", "ac94b6e3"},
}
#: Tags under which the reader sees no unfolded code (a removed input is stronger than folded).
FOLDED = {"hide-input", "remove-input", "remove-cell"}


def _cells(kind: str):
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == kind:
                yield path, cell


def _parameters() -> set[str]:
    return set().union(*(pipeline.declared_parameters(p) for p in NOTEBOOKS))


def test_code_is_folded_unless_it_is_the_lesson():
    unfolded = {(p.name, c.get("id")) for p, c in _cells("code")
                if not FOLDED & set(c.metadata.get("tags", []))}
    allowed = {(name, cid) for name, ids in UNFOLDED.items() for cid in ids}
    assert unfolded == allowed  # the list must name only cells that exist and are unfolded
    for path, cell in _cells("code"):
        if "parameters" in cell.metadata.get("tags", []):  # papermill finds it by this tag
            assert "hide-input" in cell.metadata["tags"], path.name


def test_prose_gives_values_not_variable_names():
    names = _parameters()
    assert {"seeds", "balakot_epochs", "hk_block_m"} <= names  # the check knows the parameters
    found = [(p.name, lit) for p, c in _cells("markdown")
             for lit in re.findall(r"(?<!})`([^`]+)`", c.source) if template_variable(lit, names)]
    assert found == []


def test_the_papers_figures_are_named_as_the_papers():
    # the book numbers its own figures: "Figure 12" in a heading would name the book's
    pattern = re.compile(r"(?<!paper's )\bFig(ure)?s?\.?\s+\d")
    found = [(p.name, m.group()) for kind in ("markdown", "code") for p, c in _cells(kind)
             if not c.source.startswith("## References")  # a citation names the paper itself
             for m in pattern.finditer(c.source)]
    assert found == []
    assert any("the paper's Fig. 2" in c.source for _, c in _cells("markdown"))


def test_other_pages_are_linked_not_named_as_code():
    found = [(p.name, m.group()) for p, c in _cells("markdown")
             for m in re.finditer(r"(?<!})`\d\d_[a-z_]+`", c.source)]
    assert found == []


BUILT = pipeline.ROOT / "_build" / "html"


@pytest.mark.skipif(not (BUILT / "index.html").exists(), reason="the book is not built")
def test_built_pages_show_readers_values_and_tables():
    names = _parameters()
    problems = {}
    for page in sorted(BUILT.rglob("*.html")):
        if page.name in ("genindex.html", "search.html") or "_static" in page.parts:
            continue
        # the other pages explain the parameters by name; a notebook's page shows their values
        executed = "executed" in page.parts
        found = page_problems(page.read_text(errors="replace"), names if executed else set())
        if found:
            problems[str(page.relative_to(BUILT))] = found
    assert problems == {}
