"""Results at a glance: the paper's Tables 3 and 4 beside ours, from whatever result files exist.

Reads the per-run CSVs that notebooks 05 and 06 write (``comparison.csv``, ``ablation.csv``; one
row per model or factor group, split and seed) and any verdict tables (``*verdict*.csv``: one row
per "A vs B" comparison with its bootstrap interval), from two places: the published results of
the ``default`` profile (``results/default/``) and the run that built this book
(``runs/<profile>/``). Nothing is required: a missing file is named, never silently skipped.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fcad_book.profiles import PROFILES_FILE, is_publishing
from fcad_book.publish import PUBLISHED_DIR, published_status

#: File name -> (what it holds, the column that names a row, the paper's table key).
TABLES = {
    "comparison.csv": ("Table 3 (notebook 05)", "model", "3"),
    "ablation.csv": ("Table 4 (notebook 06)", "group", "4"),
}

#: Substrings of file names holding real-data results (Balakot, Hong Kong).
REAL_DATA_HINTS = ("balakot", "hongkong", "hong_kong", "hk_", "real")


def result_sources(run_dir: str | Path, profile: str, published_dir: Path = PUBLISHED_DIR,
                   profiles_file: Path = PROFILES_FILE) -> dict[str, Path]:
    """Folders holding results, by the label shown to the reader (existing folders only)."""
    out = {}
    if Path(published_dir).is_dir():
        # a publishing profile's build publishes after its notebooks: these are the previous run's
        when = ", previous run" if is_publishing(profile, profiles_file) else ""
        out[f"published (default profile{when})"] = Path(published_dir)
    if Path(run_dir).is_dir() and Path(run_dir).resolve() != Path(published_dir).resolve():
        out[f"this build ({profile} profile)"] = Path(run_dir)
    return out


def published_markdown(profile: str, published_dir: Path = PUBLISHED_DIR,
                       profiles_file: Path = PROFILES_FILE) -> str:
    """The published tables' provenance in one paragraph, saying **STALE** if the profile changed.

    Parameters
    ----------
    profile : str
        Profile that built this book (a publishing one: the published tables are the previous
        run's).
    published_dir, profiles_file : Path
        ``results/default`` and the profiles file it is checked against.

    Returns
    -------
    str
        Markdown; a ``{warning}`` block when the tables are stale or partial.
    """
    status = published_status(published_dir, profiles_file,
                              previous_run=is_publishing(profile, profiles_file))
    if status.exists and (status.stale or not status.complete):
        return f":::{{warning}}\n{status.banner}\n:::"
    return status.banner


def inventory(sources: dict[str, Path]) -> pd.DataFrame:
    """Which expected result files each source has (for the reader, and to name what is missing)."""
    rows = []
    for label, folder in sources.items():
        for name, (what, _, _) in TABLES.items():
            rows.append({"source": label, "file": name, "holds": what,
                         "found": (folder / name).exists()})
        rows.append({"source": label, "file": "*verdict*.csv",
                     "holds": "verdicts (A vs B)",
                     "found": bool(list(folder.glob("*verdict*.csv")))})
    return pd.DataFrame(rows)


def _mean_std(values: pd.Series) -> str:
    if values.count() > 1:
        return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"
    return f"{values.mean():.3f}" if values.count() else "—"


def load_verdicts(folder: Path) -> pd.DataFrame | None:
    """All ``*verdict*.csv`` tables of a folder (``split``, ``A``, ``B``, ``verdict`` ...)."""
    frames = [pd.read_csv(p) for p in sorted(folder.glob("*verdict*.csv"))]
    frames = [f for f in frames if {"split", "A", "B", "verdict"} <= set(f.columns)]
    return pd.concat(frames, ignore_index=True) if frames else None


def side_by_side(frame: pd.DataFrame, by: str, paper: pd.DataFrame, split: str,
                 verdicts: pd.DataFrame | None = None,
                 metrics: tuple[str, ...] = ("f1", "pre", "rec")) -> pd.DataFrame:
    """The paper's number beside ours (mean ± std over seeds) for one split.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per run with columns ``by``, ``split``, ``seed`` and the metrics.
    by : str
        Row label column (``model`` or ``group``).
    paper : pandas.DataFrame
        The paper's table (``PAPER_TABLE3`` / ``PAPER_TABLE4``), indexed like ``by``.
    split : str
        ``random`` (the paper's protocol) or ``blocked``.
    verdicts : pandas.DataFrame, optional
        Verdict rows; those with ``A`` equal to a row's label on this split are joined.
    metrics : tuple of str
        Score columns to show.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by``: ``paper <m>`` and ``ours <m>`` per metric, ``seeds``, ``verdict``.
    """
    part = frame[frame["split"] == split]
    rows = {}
    for label, g in part.groupby(by, sort=False):
        row = {}
        for m in metrics:
            if m not in g:
                continue
            value = paper[m].get(label) if m in paper else None
            row[f"paper {m}"] = f"{value:.3f}" if value is not None and pd.notna(value) else "—"
            row[f"ours {m}"] = _mean_std(g[m])
        row["seeds"] = int(g["seed"].nunique()) if "seed" in g else len(g)
        if verdicts is not None:
            v = verdicts[(verdicts["split"] == split) & (verdicts["A"] == label)]
            row["verdict"] = "; ".join(v["verdict"].astype(str)) or "—"
        rows[label] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(by)


def real_data_files(sources: dict[str, Path]) -> dict[str, Path]:
    """CSV files whose names mark real-data results, by ``"<source>: <file>"``."""
    out = {}
    for label, folder in sources.items():
        for p in sorted(folder.rglob("*.csv")):
            if any(h in p.name.lower() for h in REAL_DATA_HINTS):
                out[f"{label}: {p.relative_to(folder)}"] = p
    return out


#: Columns that name a row of a real-data result file, in the order they are grouped by.
REAL_DATA_KEYS = ("label_set", "split", "model", "group", "factors")
#: Score columns averaged over seeds or folds.
REAL_DATA_SCORES = ("pre", "rec", "f1", "kappa", "miou", "ap")


def real_data_table(path: str | Path) -> pd.DataFrame:
    """A real-data result file as the reader sees it, every row of it.

    A file of single runs (a ``seed`` or ``fold`` column beside the scores: ``balakot.csv``,
    ``hk_deformation_ablation.csv``) becomes one row per method and split, mean ± std over the
    runs (:func:`fcad_lib.training.experiments.summary_table`); any other file (object counts,
    gains) is shown whole.
    """
    from fcad_lib.training.experiments import summary_table

    frame = pd.read_csv(path)
    scores = [c for c in REAL_DATA_SCORES if c in frame]
    by = [c for c in REAL_DATA_KEYS if c in frame]
    for run, count in (("seed", "seeds"), ("fold", "folds")):
        if run in frame and scores and by:
            return summary_table(frame, by, scores).rename(columns={"seeds": count})
    return frame


def missing_markdown(table: pd.DataFrame) -> str:
    """One sentence naming the expected files that no source has, or that every one is there."""
    if table.empty:
        return ("**No results at all:** neither `results/default/` nor this build's run folder "
                "exists. Run `make book` (or publish the default profile's tables).")
    missing = table[~table["found"]]
    if missing.empty:
        return "Every expected result file was found."
    return "**Missing:** " + "; ".join(
        f"`{r.file}` in {r.source}" for r in missing.itertuples()) + "."


def _split_line(frame: pd.DataFrame, by: str, split: str, a: str, b: str) -> str | None:
    part = frame[frame["split"] == split]
    if part.empty or "f1" not in part:
        return None
    mean = part.groupby(by)["f1"].mean()
    seeds = int(part["seed"].nunique()) if "seed" in part else 1
    best = mean.idxmax()
    plural = "s" if seeds > 1 else ""
    line = f"{split} split ({seeds} seed{plural}): best mean F1 {mean[best]:.3f} ({best})"
    if a in mean and b in mean:
        line += f"; {a} − {b} = {mean[a] - mean[b]:+.3f}"
    return line


def _baseline_line(frame: pd.DataFrame, split: str) -> str | None:
    """Best network against best non-learned baseline (means over seeds) on one split."""
    from fcad_lib.models import DISPLAY_NAMES

    means = frame[frame["split"] == split].groupby("model")["f1"].mean()
    nets = means[means.index.isin(DISPLAY_NAMES.values())]
    base = means[~means.index.isin(DISPLAY_NAMES.values())]
    if nets.empty or base.empty:
        return None
    word = "above" if nets.max() > base.max() else "below"
    return (f"{split} split: best network {nets.idxmax()} (F1 {nets.max():.3f}) is {word} the "
            f"best non-learned baseline {base.idxmax()} ({base.max():.3f})")


def _still_improving(frame: pd.DataFrame) -> str | None:
    """How many network runs had their best validation epoch last (still improving)."""
    if not {"best_epoch", "epochs_run"} <= set(frame.columns):
        return None
    runs = frame.dropna(subset=["best_epoch", "epochs_run"])
    if runs.empty:
        return None
    last = int((runs["best_epoch"] == runs["epochs_run"] - 1).sum())
    return (f"{last} of {len(runs)} network runs had their best validation epoch last (still "
            "improving when they stopped)")


def glance_summary(sources: dict[str, Path]) -> str:
    """Markdown: per source, the best model and the two differences the paper is about.

    Differences are of means over seeds; whether they are real is the verdict tables' job
    (bootstrap intervals), and with one seed there is no spread at all.
    """
    lines = []
    for label, folder in sources.items():
        parts = []
        if (folder / "comparison.csv").exists():
            frame = pd.read_csv(folder / "comparison.csv")
            parts += [s for split in ("random", "blocked") if (s := _split_line(
                frame, "model", split, "FCADenseNet", "FC-DenseNet"))]
            parts += [s for split in ("random", "blocked") if (s := _baseline_line(frame, split))]
            if (s := _still_improving(frame)):
                parts.append(s)
        if (folder / "ablation.csv").exists():
            frame = pd.read_csv(folder / "ablation.csv")
            parts += [f"ablation, {s}" for split in ("random", "blocked") if (s := _split_line(
                frame, "group", split, "RS-DR", "RS"))]
        if parts:
            lines.append(f"**{label}:** " + "; ".join(parts) + ".")
        else:
            lines.append(f"**{label}:** no comparison or ablation table.")
    if not lines:
        return "No results were found; see the list of missing files above."
    lines.append("A difference of means is evidence only where its verdict (bootstrap interval "
                 "over test tiles) excludes zero; with one seed the seed-to-seed spread is "
                 "unknown. The paper's numbers come from its private Baihetan data and one run.")
    return "\n\n".join(lines)


def paper_tables(sources: dict[str, Path], table: str) -> list[tuple[str, pd.DataFrame]]:
    """``(heading, side-by-side table)`` for each source and split that has the results.

    Parameters
    ----------
    sources : dict
        From :func:`result_sources`.
    table : str
        ``"3"`` (the networks, plus any ``*baseline*.csv`` rows) or ``"4"`` (the ablation).

    Returns
    -------
    list of (str, pandas.DataFrame)
        Empty when no source has the files.
    """
    from fcad_lib.training.experiments import PAPER_TABLE3, PAPER_TABLE4

    name, by, paper = (("comparison.csv", "model", PAPER_TABLE3) if table == "3"
                       else ("ablation.csv", "group", PAPER_TABLE4))
    out = []
    for label, folder in sources.items():
        paths = [folder / name] + (sorted(folder.glob("*baseline*.csv")) if table == "3" else [])
        frames = [pd.read_csv(p) for p in paths if p.exists()]
        frames = [f for f in frames if {by, "split", "f1"} <= set(f.columns)]
        if not frames:
            continue
        frame = pd.concat(frames, ignore_index=True)
        for split in ("random", "blocked"):
            if (frame["split"] == split).any():
                out.append((f"**{label}, {split} split**",
                            side_by_side(frame, by, paper, split, load_verdicts(folder),
                                         metrics=("f1",))))
    return out
