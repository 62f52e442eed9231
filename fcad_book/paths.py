"""Where the book's checkout lies: the one place the book tooling learns the repository root.

The science package ``fcad_lib`` knows no repository (``book/architecture.md``); this package,
``fcad_book``, runs the book of a checkout, so it does. The runner, publishing, profiles,
benchmarks and the output stripper all read the root here, so that none imports another for it
(``pipeline`` and ``publish`` once did, in a cycle).
"""

from __future__ import annotations

from pathlib import Path

#: The checkout: ``fcad_book/paths.py`` -> the repository root.
ROOT = Path(__file__).resolve().parents[1]
