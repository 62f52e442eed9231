"""Execute the book's notebooks with papermill for one profile, then build the Jupyter Book.

``python -m fcad_book.pipeline --profile quick`` is what ``make book`` runs. Each notebook in
``notebooks/`` receives the profile's parameters that it declares in its ``parameters`` cell
(papermill's notebook inspection tells which), plus ``profile`` and ``run_dir``. Executed copies
are written to ``book/executed/``, where ``_toc.yml`` points, and prepared for readers
(:mod:`fcad_book.pages`: parameter cells hidden, a title per area for extra runs, a
"What's next" section); the book itself is built with Jupyter Book 1.x with execution off, so
the pages show exactly what papermill computed.

With ``--publish`` (the default for a profile with ``publishes: true`` in ``profiles.yml``, i.e.
``default``; ``--no-publish`` turns it off) the run's tables and its provenance (commit, profile
hash, start, end, wall seconds per notebook, machine) are written to ``results/<profile>/`` by
:mod:`fcad_book.publish`; a run with ``--only`` is published too, marked
``complete: false``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fcad_book import pages, publish
from fcad_book.paths import ROOT
from fcad_book.profiles import load_profile

log = logging.getLogger(__name__)

NOTEBOOK_DIR = ROOT / "notebooks"
EXECUTED_DIR = ROOT / "book" / "executed"


@dataclass
class NotebookRun:
    """One papermill execution: which notebook, under which output name, with what parameters."""

    notebook: Path
    output: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    #: page title of an extra run (None: the notebook's own)
    title: str | None = None
    #: (document, title) of the page after this one, for a missing "What's next"
    next_page: tuple[str, str] | None = None


def declared_parameters(notebook: Path) -> set[str]:
    """Names assigned in the notebook's ``parameters`` cell (papermill's inspection)."""
    import papermill as pm

    return set(pm.inspect_notebook(str(notebook)))


def plan_runs(
    profile_name: str, only: list[str] | None = None, run_dir: Path | None = None
) -> list[NotebookRun]:
    """List the papermill executions of a profile, in notebook order.

    Parameters
    ----------
    profile_name
        Profile in ``profiles.yml``.
    only
        Optional notebook name prefixes (``["01", "02"]``) to restrict the plan.
    run_dir
        Directory where notebooks write results; default ``runs/<profile>``.
    """
    profile = load_profile(profile_name)
    run_dir = Path(run_dir or ROOT / "runs" / profile_name)
    # notebooks run with the repository as working directory: a relative path keeps the
    # machine's own folders out of the executed pages
    if run_dir.is_absolute() and run_dir.is_relative_to(ROOT):
        run_dir = run_dir.relative_to(ROOT)
    base = dict(profile.parameters, profile=profile_name, run_dir=str(run_dir))
    if os.environ.get("FCAD_MANIFEST"):
        base["manifest"] = os.environ["FCAD_MANIFEST"]  # for notebooks that declare it
    every = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    notebooks = every
    if only:
        notebooks = [nb for nb in every if any(nb.stem.startswith(p) for p in only)]
    titles = {nb: _title_of(nb) for nb in every}
    runs = []
    for nb in notebooks:
        names = declared_parameters(nb)
        n = every.index(nb)
        following = every[n + 1] if n + 1 < len(every) else None
        next_page = (following.stem, titles[following]) if following else None
        runs.append(
            NotebookRun(nb, EXECUTED_DIR / nb.name, {k: v for k, v in base.items() if k in names},
                        next_page=next_page)
        )
        for extra in profile.extra_runs:
            if extra["notebook"] != nb.stem:
                continue
            params = dict(base, **extra.get("parameters", {}))
            out = EXECUTED_DIR / f"{nb.stem}_{extra['suffix']}.ipynb"
            title = pages.area_title(titles[nb], params["area"]) if "area" in params else None
            runs.append(NotebookRun(nb, out, {k: v for k, v in params.items() if k in names},
                                    title=title, next_page=next_page))
    return runs


def _title_of(notebook: Path) -> str:
    import nbformat

    return pages.notebook_title(nbformat.read(notebook, as_version=4)) or notebook.stem


def execute(run: NotebookRun) -> float:
    """Execute one notebook with papermill; returns wall seconds."""
    import papermill as pm

    run.output.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    pm.execute_notebook(
        str(run.notebook),
        str(run.output),
        parameters=run.parameters,
        cwd=str(ROOT),
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
    )
    prepare_output(run)
    return time.perf_counter() - t0


def prepare_output(run: NotebookRun) -> None:
    """Tag the executed copy for readers (:func:`fcad_book.pages.prepare_for_readers`)."""
    import nbformat

    nb = nbformat.read(run.output, as_version=4)
    # an extra run's copy is named <notebook>_<suffix>: its figure labels get the suffix
    suffix = run.output.stem.removeprefix(run.notebook.stem).strip("_").replace("_", "-") or None
    pages.prepare_for_readers(nb, title=run.title, next_page=run.next_page, label_suffix=suffix)
    nbformat.write(nb, run.output)


def build_book() -> Path:
    """Build the HTML book with Jupyter Book 1.x (execution off); returns the index page."""
    # the console script installed beside this interpreter (jupyter_book has no __main__)
    jb = Path(sys.executable).with_name("jupyter-book")
    subprocess.run([str(jb), "build", str(ROOT), "--builder", "html"], check=True, cwd=ROOT)
    return ROOT / "_build" / "html" / "index.html"


#: Record of the sittings of an unfinished run, in its run folder.
SITTINGS_FILE = "sittings.json"


class Sittings:
    """The sittings (invocations) of one run, so that a run may span two of them.

    A default run that is interrupted resumes from its cached experiments; its
    ``provenance.json`` then sums the wall time of every sitting and lists them. The record is
    written after each notebook and cleared once a run has executed every notebook.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.entries: list[dict] = (json.loads(self.path.read_text()) if self.path.exists()
                                    else [])
        self._mine: dict | None = None

    def record(self, started: str, finished: str, wall: float,
               timings: dict[str, float]) -> None:
        """Write this sitting's progress (called after each notebook)."""
        if self._mine is None:
            self._mine = {}
            self.entries.append(self._mine)
        self._mine.update(started=started, finished=finished, wall_seconds=round(wall, 1),
                          notebooks=sorted(timings), notebook_seconds=dict(timings))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.entries, indent=2) + "\n")

    @property
    def started(self) -> str | None:
        """Start of the first sitting."""
        return self.entries[0]["started"] if self.entries else None

    @property
    def wall_seconds(self) -> float:
        """Wall seconds summed over the sittings."""
        return float(sum(e["wall_seconds"] for e in self.entries))

    @property
    def notebook_seconds(self) -> dict[str, float]:
        """Seconds per notebook, summed over the sittings that executed it."""
        out: dict[str, float] = {}
        for e in self.entries:
            for name, sec in e["notebook_seconds"].items():
                out[name] = out.get(name, 0.0) + sec
        return out

    def clear(self) -> None:
        """Forget the sittings (the run is complete)."""
        self.path.unlink(missing_ok=True)
        self.entries, self._mine = [], None


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: execute the notebooks of a profile and build the book."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="quick", help="profile in profiles.yml")
    parser.add_argument("--only", nargs="*", help="notebook prefixes to run, e.g. 01 02")
    parser.add_argument("--run-dir", type=Path, help="results directory (default runs/<profile>)")
    parser.add_argument("--manifest", type=Path,
                        help="data manifest of the areas (default: data_manifest.yml)")
    parser.add_argument("--no-book", action="store_true", help="execute notebooks only")
    parser.add_argument("--book-only", action="store_true", help="build the book only")
    parser.add_argument("--publish", action="store_true",
                        help="write results/<profile>/ (tables + provenance.json) after the "
                             "notebooks; on by default for a profile with `publishes: true`")
    parser.add_argument("--no-publish", action="store_true",
                        help="do not write results/<profile>/, even for a publishing profile")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # Kernels inherit this: TensorFlow's C++ start-up chatter stays out of the pages.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if args.manifest:
        # Kernels inherit it: every load_manifest() in the notebooks reads this manifest.
        os.environ["FCAD_MANIFEST"] = str(args.manifest.resolve())

    published = None
    if not args.book_only:
        git = publish.git_state()  # the code that runs, before any file is written
        run_dir = ROOT / (args.run_dir or Path("runs") / args.profile)
        sittings = Sittings(run_dir / SITTINGS_FILE)
        started, t0 = _utc_now(), time.perf_counter()
        runs = plan_runs(args.profile, args.only, args.run_dir)
        timings = {}
        for i, run in enumerate(runs, 1):
            log.info("[%d/%d] papermill %s -> %s", i, len(runs), run.notebook.name,
                     run.output.relative_to(ROOT))
            timings[run.output.name] = execute(run)
            log.info("      done in %.0f s", timings[run.output.name])
            # a killed full run keeps the record of what it finished: the next sitting adds to
            # it (a partial --only run is not a sitting of a full run)
            if not args.only:
                sittings.record(started, _utc_now(), time.perf_counter() - t0, timings)
        wall = time.perf_counter() - t0
        log.info("%d notebooks in %.0f s", len(runs), wall)
        if (args.publish or load_profile(args.profile).publishes) and not args.no_publish:
            results = ROOT / "results" / args.profile
            record = publish.RunRecord(
                started=sittings.started or started, finished=_utc_now(),
                wall_seconds=sittings.wall_seconds if sittings.entries else wall,
                notebook_seconds=sittings.notebook_seconds or timings, complete=not args.only,
                sittings=sittings.entries or None)
            publish.publish(run_dir, results, args.profile, record, git=git)
            log.info("Published to %s", results.relative_to(ROOT))
            published = results
        if not args.only:
            sittings.clear()  # a complete run: the next one starts afresh
    if not args.no_book:
        # idempotent: pages executed earlier (--book-only) get the same preparation
        for run in plan_runs(args.profile, args.only, args.run_dir):
            if run.output.exists():
                prepare_output(run)
        t_book = time.perf_counter()
        index = build_book()
        if published is not None:
            publish.record_book_seconds(published, time.perf_counter() - t_book)
        print(f"The book is at {index}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
