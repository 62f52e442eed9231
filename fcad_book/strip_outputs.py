"""Keep the committed notebooks free of outputs: the book's outputs come from papermill runs.

``python -m fcad_book.strip_outputs [--check] [NOTEBOOK ...]`` clears every code cell's
outputs and execution count (default: ``notebooks/*.ipynb``). Like nbstripout under pre-commit it
exits 1 when a notebook had outputs, so the commit stops and the cleaned file can be re-staged;
``--check`` only reports them and writes nothing. A notebook without outputs is never rewritten.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from fcad_book.paths import ROOT


def strip_notebook(nb: nbformat.NotebookNode) -> bool:
    """Clear outputs and execution counts in place; return whether anything was cleared."""
    changed = False
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            cell["outputs"] = []
            changed = True
        if cell.get("execution_count") is not None:
            cell["execution_count"] = None
            changed = True
    return changed


def strip_file(path: Path, check: bool = False) -> bool:
    """Strip one notebook file (unless ``check``); return whether it had outputs."""
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    changed = strip_notebook(nb)
    if changed and not check:
        nbformat.write(nb, path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to strip (default: notebooks/*.ipynb)")
    parser.add_argument("--check", action="store_true",
                        help="only report notebooks with outputs; write nothing")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    dirty = [p for p in paths if strip_file(p, check=args.check)]
    for p in dirty:
        verb = "has outputs" if args.check else "outputs stripped"
        print(f"{p}: {verb}", file=sys.stderr)
    return 1 if dirty else 0


if __name__ == "__main__":
    sys.exit(main())
