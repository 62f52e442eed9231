"""What the book's reader sees of an executed notebook: titles, hidden cells, "What's next".

Papermill executes the notebooks as they are; :func:`prepare_for_readers` then edits only the
copy in ``book/executed/``:

- papermill's injected-parameters cell and the ``parameters`` cell get the ``remove-cell`` tag
  (they stay in the notebook, Jupyter Book leaves them out of the page);
- a code cell whose only outputs are Markdown (a summary built by a library function) gets
  ``remove-input``: the reader sees the text, not the code that formats it;
- every other code cell keeps its tags: the notebooks fold their code (``hide-input``) except
  where the code is the lesson; a removed input loses ``hide-input``, which would leave an empty
  "show code" toggle;
- a code cell that draws a figure gets ``full-width`` (sphinx-book-theme widens it over the right
  margin, about 1070 px at a 1400 px window), so that the figure's text is not shrunk away;
- a notebook run once more on another area (``extra_runs``) gets a title naming that area, so the
  sidebar does not list three identical titles;
- a caption that a figure's cell displayed with :func:`fcad_book.display.figure_caption`
  becomes the cell's ``mystnb.figure`` caption (a numbered figure; the text output goes);
- a notebook without a "What's next" section gets one pointing to the next page, and an existing
  one followed by other sections (References, say) is moved to the end: every page ends with it.
"""

from __future__ import annotations

import re
from typing import Any

from fcad_book.display import CAPTION_KEY

#: Short names of the manifest's areas for titles; others are shown by their manifest name.
AREA_TITLES = {
    "generated": "the generated study area",
    "generated_quick": "the generated study area (small CI version)",
    "balakot": "Balakot, Pakistan (real DEM, lithology, inventory)",
    "cadia_insar": "Cadia, Australia (real Sentinel-1 velocity)",
}

HIDDEN_CELL_TAGS = ("injected-parameters", "parameters")
WHATS_NEXT = re.compile(r"^#+\s*What['’]s next", re.IGNORECASE | re.MULTILINE)


def area_label(area: str) -> str:
    """Reader's name of a study area (:data:`AREA_TITLES`, else the manifest name)."""
    return AREA_TITLES.get(area, area)


def area_title(title: str, area: str) -> str:
    """A page title for a notebook run on ``area``: ``"01 · Study area: Balakot, ..."``.

    The part of ``title`` after its first ``" and "`` is dropped, so that the sidebar stays short.
    """
    head = title.lstrip("# ").split(" and ")[0].strip()
    return f"{head}: {area_label(area)}"


def area_introduction(area: str) -> str:
    """Markdown paragraph introducing a study area from its manifest entry.

    Parameters
    ----------
    area : str
        Area name in ``data_manifest.yml``.

    Returns
    -------
    str
        The area's reader name, its manifest description, and which of the paper's layers it
        has and lacks.
    """
    from fcad_lib.data.manifest import get_area

    study = get_area(area)
    roles = set(study.roles)
    paper = {"deformation rate": "deformation_rate", "Sentinel-2 bands": "optical_B2",
             "DEM": "dem", "lithology": "lithology", "landslide inventory": "inventory"}
    has = [k for k, r in paper.items() if r in roles]
    lacks = [k for k, r in paper.items() if r not in roles]
    text = f"**This page: {area_label(area)}** (`{area}` in `data_manifest.yml`). " \
           f"{' '.join(study.description.split())}"
    text += f"\n\nOf the paper's layers, it has: {', '.join(has) or 'none'}"
    text += f"; it lacks: {', '.join(lacks)}." if lacks else "; it lacks none."
    return text


def _tags(cell: Any) -> list[str]:
    return cell.setdefault("metadata", {}).setdefault("tags", [])


def _add_tag(cell: Any, tag: str) -> None:
    tags = _tags(cell)
    if tag not in tags:
        tags.append(tag)


def _markdown_only(cell: Any) -> bool:
    # stderr is dropped from the pages (nb_output_stderr: remove), so it does not count
    outputs = [o for o in cell.get("outputs", [])
               if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return bool(outputs) and all(
        o.get("output_type") in ("display_data", "execute_result")
        and "text/markdown" in o.get("data", {}) for o in outputs)


def move_caption(cell: Any) -> str | None:
    """Turn a code cell's caption output (:func:`~fcad_book.display.figure_caption`) into
    its ``mystnb.figure`` caption; the figure is named ``fig-<cell id>`` unless it has a name.

    Returns
    -------
    str or None
        The caption, or None when the cell displayed none.
    """
    outputs = cell.get("outputs", [])
    captions = [o for o in outputs if (o.get("metadata") or {}).get(CAPTION_KEY)]
    if not captions:
        return None
    data = captions[-1].get("data", {}).get("text/markdown", "")
    text = "".join(data) if isinstance(data, list) else str(data)
    figure = cell.setdefault("metadata", {}).setdefault("mystnb", {}).setdefault("figure", {})
    figure["caption"] = text.strip()
    figure.setdefault("name", f"fig-{cell.get('id') or 'unnamed'}")
    cell["outputs"] = [o for o in outputs if not (o.get("metadata") or {}).get(CAPTION_KEY)]
    return figure["caption"]


def whats_next_last(nb: Any) -> None:
    """Move the "What's next" section to the end of the notebook when anything follows it.

    The section runs from its heading to the next heading of the same or a higher level; what
    else its Markdown cell holds (a References section, say) stays where it was.
    """
    import nbformat

    cells = nb["cells"]
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        src = "".join(cell["source"])
        m = WHATS_NEXT.search(src)
        if not m:
            continue
        level = len(src[m.start():]) - len(src[m.start():].lstrip("#"))
        following = re.compile(rf"^#{{1,{level}}}\s", re.MULTILINE).search(src, m.end())
        end = following.start() if following else len(src)
        before, section, after = src[:m.start()].strip(), src[m.start():end].strip(), \
            src[end:].strip()
        if not after and i == len(cells) - 1:
            return
        rest = "\n\n".join(part for part in (before, after) if part)
        if rest:
            cell["source"] = rest
            cells.append(nbformat.v4.new_markdown_cell(section))
        else:
            cells.append(cells.pop(i))
        return


def notebook_title(nb: Any) -> str | None:
    """The first ``# `` heading of a notebook, without the hashes."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


def set_title(nb: Any, title: str) -> None:
    """Replace the first ``# `` heading of a notebook with ``title``."""
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        lines = "".join(cell["source"]).splitlines()
        for i, line in enumerate(lines):
            if line.startswith("# "):
                lines[i] = f"# {title}"
                cell["source"] = "\n".join(lines)
                return


def prepare_for_readers(nb: Any, title: str | None = None,
                        next_page: tuple[str, str] | None = None,
                        label_suffix: str | None = None) -> Any:
    """Tag an executed notebook's cells for Jupyter Book and give it its title and "What's next".

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (edited in place).
    title : str, optional
        New page title (first ``#`` heading).
    next_page : tuple of str, optional
        ``(document name, title)`` of the next page, for a "What's next" section when the
        notebook has none.
    label_suffix : str, optional
        Appended to every figure name (``fig-x`` -> ``fig-x-balakot``): the copies of one
        notebook run on other areas would otherwise define the same labels twice.

    Returns
    -------
    nbformat.NotebookNode
        ``nb``.
    """
    import nbformat

    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        move_caption(cell)
        if any(t in _tags(cell) for t in HIDDEN_CELL_TAGS):
            _add_tag(cell, "remove-cell")
        elif _markdown_only(cell):
            _add_tag(cell, "remove-input")
        if {"remove-cell", "remove-input"} & set(_tags(cell)) and "hide-input" in _tags(cell):
            _tags(cell).remove("hide-input")
        if any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            _add_tag(cell, "full-width")
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
        if label_suffix and figure.get("name") and not figure["name"].endswith(
                f"-{label_suffix}"):
            figure["name"] = f"{figure['name']}-{label_suffix}"
    if title:
        set_title(nb, title)
    whats_next_last(nb)
    has_next = any(c["cell_type"] == "markdown" and WHATS_NEXT.search("".join(c["source"]))
                   for c in nb["cells"])
    if next_page and not has_next:
        doc, next_title = next_page
        nb["cells"].append(nbformat.v4.new_markdown_cell(
            f"## What's next\n\n{{doc}}`{next_title} <{doc}>`"))
    return nb
