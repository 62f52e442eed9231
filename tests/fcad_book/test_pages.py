"""What readers see of an executed notebook: hidden parameter cells, titles, "What's next"."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from fcad_book import pages, pipeline
from fcad_book.banner import profile_banner
from fcad_book.device import describe_devices
from fcad_book.display import CAPTION_KEY
from fcad_book.profiles import load_profile


def _executed() -> nbformat.NotebookNode:
    md_out = new_output("display_data", data={"text/markdown": "F1 0.5", "text/plain": "<md>"})
    return new_notebook(cells=[
        new_markdown_cell("# 01 · Study area and factor maps\n\nOverview."),
        new_code_cell("area = 'x'", metadata={"tags": ["parameters"]}),
        new_code_cell("area = 'balakot'", metadata={"tags": ["injected-parameters"]}),
        new_code_cell("display(Markdown(summary(ds)))", outputs=[md_out]),
        new_code_cell("fig = plot(ds)", outputs=[new_output("display_data",
                                                            data={"image/png": "AAAA"})]),
    ])


def test_parameter_cells_are_removed_and_markdown_summaries_lose_their_code():
    nb = pages.prepare_for_readers(_executed())
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert "remove-cell" in tags[1] and "remove-cell" in tags[2]
    assert tags[3] == ["remove-input"]
    assert tags[4] == ["full-width"]  # a figure spans the page; its code stays visible
    assert "remove-cell" not in tags[0]


def test_folded_code_stays_folded_and_removed_code_has_no_toggle():
    nb = _executed()
    for cell in nb.cells[1:]:
        cell.metadata.setdefault("tags", []).append("hide-input")
    pages.prepare_for_readers(nb)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert tags[1] == ["parameters", "remove-cell"]
    assert tags[3] == ["remove-input"]  # a Markdown summary: its code goes, toggle and all
    assert tags[4] == ["hide-input", "full-width"]


def test_extra_runs_get_their_own_title_and_a_whats_next_once():
    nb = _executed()
    title = pages.area_title("01 · Study area and factor maps", "balakot")
    assert title == "01 · Study area: Balakot, Pakistan (real DEM, lithology, inventory)"
    pages.prepare_for_readers(nb, title=title, next_page=("02_factor_analysis", "02 · Factors"))
    assert pages.notebook_title(nb) == title
    assert nb.cells[-1].source == "## What's next\n\n{doc}`02 · Factors <02_factor_analysis>`"
    n = len(nb.cells)
    pages.prepare_for_readers(nb, next_page=("02_factor_analysis", "02 · Factors"))
    assert len(nb.cells) == n  # idempotent: --book-only prepares pages again


def test_a_computed_caption_becomes_the_figure_caption():
    image = new_output("display_data", data={"image/png": "AAAA"})
    caption = new_output("display_data", data={"text/markdown": "Fig text, 3 seeds.",
                                               "text/plain": "<md>"},
                         metadata={CAPTION_KEY: True})
    nb = new_notebook(cells=[new_code_cell("plot()", outputs=[image, caption])])
    nb.cells[0]["id"] = "bars"
    pages.prepare_for_readers(nb)
    cell = nb.cells[0]
    assert cell.metadata["mystnb"]["figure"] == {"caption": "Fig text, 3 seeds.",
                                                 "name": "fig-bars"}
    assert len(cell.outputs) == 1 and "image/png" in cell.outputs[0]["data"]
    assert cell.metadata["tags"] == ["full-width"]  # not taken for a Markdown-only cell
    pages.prepare_for_readers(nb)
    assert cell.metadata["mystnb"]["figure"]["caption"] == "Fig text, 3 seeds."


def test_whats_next_ends_the_page_after_the_references():
    nb = _executed()
    nb.cells.append(new_markdown_cell(
        "## What's next\n- `02` goes on.\n\n## References\n- Li et al. (2024)."))
    nb.cells.append(new_code_cell("x = 1"))
    pages.prepare_for_readers(nb, next_page=("02_factor_analysis", "02 · Factors"))
    assert nb.cells[-1].source == "## What's next\n- `02` goes on."
    assert nb.cells[-3].source == "## References\n- Li et al. (2024)."
    assert sum("What's next" in c.source for c in nb.cells) == 1
    n = len(nb.cells)
    pages.prepare_for_readers(nb, next_page=("02_factor_analysis", "02 · Factors"))
    assert len(nb.cells) == n and nb.cells[-1].source == "## What's next\n- `02` goes on."


def test_the_quick_plan_gives_every_extra_run_a_unique_title():
    runs = pipeline.plan_runs("quick", only=["01"])
    titles = [r.title or pages.notebook_title(nbformat.read(r.notebook, as_version=4))
              for r in runs]
    assert len(titles) == 3 and len(set(titles)) == 3
    assert all(r.next_page and r.next_page[0].startswith("02") for r in runs)


def test_area_introduction_names_what_the_area_lacks():
    text = pages.area_introduction("cadia_insar")
    assert "Cadia" in text
    assert "it lacks: Sentinel-2 bands, DEM, lithology, landslide inventory." in text


def test_banner_names_the_profile_and_its_budget():
    quick = load_profile("quick").parameters
    text = profile_banner("quick")
    assert text.startswith(":::{admonition} Numbers from the `quick` profile")
    assert f"{quick['epochs']} x {quick['steps_per_epoch']} steps" in text
    assert f"{len(quick['seeds'])} seed(s) {quick['seeds']}" in text
    assert "**Cannot show:**" in text and text.endswith(":::")
    assert "not in profiles.yml" in profile_banner("nope")


def test_banner_words_and_class_come_from_the_profile():
    for name in ("quick", "default"):
        entry, text = load_profile(name), profile_banner(name)
        assert f"**Can show:** {entry.can_show}." in text
        assert f"**Cannot show:** {entry.cannot_show}." in text
        # a smoke run's numbers must not pass for a result: a warning, not a note
        assert (":class: warning" in text) == entry.smoke
        assert (":class: note" in text) == (not entry.smoke)


def test_device_line_names_the_gpu_or_says_cpu_only():
    gpu = describe_devices("tensorflow", "2.21.0", ["NVIDIA H100"], 16, True)
    assert gpu.startswith("**Device:** GPU (1: NVIDIA H100)")
    cpu = describe_devices("tensorflow", "2.21.0", [], 2, True)
    assert "CPU only (2 cores" in cpu and "sees no GPU" in cpu
    assert "sees no GPU" not in describe_devices("tensorflow", "2.21.0", [], 2, False)


def test_extra_run_copies_get_their_own_figure_labels():
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("fig")
    cell.metadata["mystnb"] = {"figure": {"name": "fig-factor-maps", "caption": "Maps."}}
    nb.cells.append(cell)
    pages.prepare_for_readers(nb, label_suffix="balakot")
    pages.prepare_for_readers(nb, label_suffix="balakot")  # idempotent (--book-only re-runs)
    assert cell.metadata["mystnb"]["figure"]["name"] == "fig-factor-maps-balakot"
    other = nbformat.v4.new_notebook()
    other.cells.append(nbformat.v4.new_code_cell("fig"))
    pages.prepare_for_readers(other)  # the notebook's own page keeps its labels
