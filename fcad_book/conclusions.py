"""The conclusion box at the top of each results page: 2-4 sentences computed from its tables.

Each function takes the tables a notebook writes (``comparison.csv``, ``ablation.csv``,
``balakot.csv``, ``hk_gains.csv`` and the verdict tables) and returns a MyST ``admonition``: what
was compared, at what budget, what can be concluded and what cannot. A verdict "A beats B" is
repeated only where the verdict table says so, which it does only when both sides learnt
(:func:`fcad_lib.evaluation.runs.learnt`); the same rule
(:func:`fcad_lib.evaluation.runs.learnt_rule`) is applied here to the rows of a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fcad_lib.evaluation.result import ExperimentResult
from fcad_lib.evaluation.runs import LEARNT_AP_FACTOR, learnt_rule

#: How the rule for "learnt" reads on a page.
LEARNT_RULE = (f"test AP at least {LEARNT_AP_FACTOR:g}× the landslide prevalence of the test "
               "tiles, not collapsed to all or no landslide, and (networks) converged")

#: Columns a result table needs before the rule can be applied to its rows.
RULE_COLUMNS = frozenset({"ap", "test_prevalence", "converged"})

#: Rows that are networks, as the result tables name them.
NETWORKS = ("FCN", "U-Net", "FC-DenseNet", "FCADenseNet")


def box(sentences: Sequence[str], title: str = "Conclusion") -> str:
    """A MyST admonition holding ``sentences`` (empty ones dropped)."""
    body = " ".join(s.strip() for s in sentences if s and s.strip())
    return f":::{{admonition}} {title}\n:class: tip\n{body}\n:::"


def _cell(row: pd.Series, column: str) -> Any:
    """A row's value, ``None`` where the column is missing or the cell empty."""
    value = row.get(column)
    return None if value is None or pd.isna(value) else value


def _row_learnt(row: pd.Series) -> bool:
    """:func:`fcad_lib.evaluation.runs.learnt_rule` from one row of a result table."""
    ap, prev = _cell(row, "ap"), _cell(row, "test_prevalence")
    pre, rec = _cell(row, "pre"), _cell(row, "rec")
    # the table has no counts: a collapse shows as recall 0 (no pixel predicted) or recall 1 at
    # the prevalence's precision (every pixel)
    collapsed = rec is not None and (float(rec) == 0 or (
        float(rec) > 0.99 and pre is not None and prev is not None
        and float(pre) < 1.05 * float(prev)))
    converged = _cell(row, "converged")  # None for a baseline; "True" / "False" read from CSV
    return learnt_rule(None if ap is None or prev is None else float(ap),
                       None if prev is None else float(prev), collapsed,
                       None if converged is None else str(converged) == "True")


def learnt_rows(frame: pd.DataFrame) -> pd.Series:
    """Whether each row (one run) learnt, by the book's rule, from the columns of a result table.

    The table has ``ap`` and ``test_prevalence``; ``converged`` where the row is a network;
    ``pre`` and ``rec`` to see a collapse (no pixel predicted: recall 0; every pixel: recall 1
    at the prevalence's precision). A missing column does not count against a row. The rule is
    the library's (:func:`fcad_lib.evaluation.runs.learnt_rule`), applied row by row.
    """
    return pd.Series([_row_learnt(row) for _, row in frame.iterrows()], index=frame.index,
                     dtype=bool)


def learnt_sentence(runs: pd.DataFrame, what: str = "network runs") -> str:
    """"k of n runs learnt by the book's rule", or why that cannot be told from the table."""
    if not RULE_COLUMNS <= set(runs.columns):
        return (f"Whether these {what} learnt cannot be told: the table predates the columns "
                "of the rule (test prevalence, convergence).")
    ok = learnt_rows(runs)
    return f"{int(ok.sum())} of {len(runs)} {what} learnt by the book's rule ({LEARNT_RULE})."


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def budget_sentence(params: Mapping[str, Any] | None, profile: str, prefix: str = "") -> str:
    """The training budget of a profile's networks, in words (from its parameters).

    ``prefix`` selects another set of keys, e.g. ``"balakot_"`` for ``balakot_epochs``,
    ``balakot_steps_per_epoch`` and ``balakot_seeds`` (notebook 09).
    """
    if params is None:  # tables of an earlier, different profile
        return (f"Budget: that of an earlier {profile} profile, not today's (see the warning "
                "below).")
    epochs = params.get(f"{prefix}epochs", params.get("epochs"))
    per_epoch = params.get(f"{prefix}steps_per_epoch", params.get("steps_per_epoch"))
    steps = int(epochs or 0) * int(per_epoch or 0)
    seeds = params.get(f"{prefix}seeds") or params.get("seeds") or [params.get("seed", 0)]
    what = f"{len(seeds)} seed{'s' if len(seeds) > 1 else ''} ({', '.join(map(str, seeds))})"
    size = params.get("patch_size")
    return (f"Budget ({profile} profile): at most {steps:,} optimiser steps per network "
            f"({epochs} evaluations of {per_epoch} steps, "
            f"batches of {params.get('batch_size')} patches of {size} × {size} px), "
            f"`{params.get('model_config')}` networks, "
            + (f"recipe `{params['recipe']}`, " if params.get("recipe") else "") + f"{what}.")


def _verdict(verdicts: pd.DataFrame | None, split: str, a: str, b: str) -> pd.Series | None:
    if verdicts is None or verdicts.empty:
        return None
    rows = verdicts[(verdicts["split"] == split) & (verdicts["A"] == a) & (verdicts["B"] == b)]
    return None if rows.empty else rows.iloc[0]


def _interval(v: pd.Series) -> str:
    d = v["F1(A) - F1(B)"] if "F1(A) - F1(B)" in v else v["gain"]
    return f"ΔF1 {d:+.3f}, 95 % interval {v['low']:+.3f} to {v['high']:+.3f}"


def _bottom_line(frame: pd.DataFrame, by: str = "model") -> str:
    """One plain sentence: can this table rank the networks, and who scores highest."""
    nets = frame[frame[by].isin(NETWORKS)]
    if nets.empty or not RULE_COLUMNS <= set(nets.columns):
        return ""
    share = float(learnt_rows(nets).mean())
    best = {split: part.groupby(by)["f1"].mean().idxmax()
            for split, part in frame.groupby("split")}
    baselines_win = all(m not in NETWORKS for m in best.values())
    if share >= 0.8:
        return ("Most network runs learnt, so the verdicts above can rank them." if not
                baselines_win else "Most network runs learnt, yet a non-learned baseline "
                "scores highest on every split.")
    text = (f"In short: only {share:.0%} of the network runs learnt by the rule, so this budget "
            "allows no ranking of the architectures")
    if baselines_win:
        text += (f", and gradient-boosted trees without convolutions score highest "
                 f"({', '.join(f'{s}: {m}' for s, m in sorted(best.items(), reverse=True))})")
    return text + "."


def comparison_conclusion(frame: pd.DataFrame, verdicts: pd.DataFrame | None, budget: str,
                          by: str = "model", baseline: str = "Pixel GBT",
                          title: str = "Conclusion") -> str:
    """The conclusion of Table 3 (notebook 05, Results at a glance).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per run (``comparison.csv``).
    verdicts : pandas.DataFrame or None
        ``comparison_verdicts.csv``.
    budget : str
        :func:`budget_sentence` of the profile that made the tables.
    by : str
        Column naming the method.
    baseline : str
        The baseline the best network is held against.
    title : str
        The box's title.

    Returns
    -------
    str
        A MyST admonition.
    """
    nets = frame[frame[by].isin(NETWORKS)]
    learnt = learnt_sentence(nets)
    if RULE_COLUMNS <= set(nets.columns):
        ok = learnt_rows(nets)
        never = [m for m in NETWORKS if m in set(nets[by]) and not ok[nets[by] == m].any()]
        if never:
            learnt = learnt[:-1] + f"; {', '.join(never)} never did."
    says = [f"The four networks were compared with non-learned baselines on the random and "
            f"the spatially blocked split. {budget}", learnt]
    verdict_bits, open_bits = [], []
    for split in ("random", "blocked"):
        part = frame[frame["split"] == split]
        if part.empty:
            continue
        means = part.groupby(by)["f1"].mean()
        best = means.idxmax()
        net_means = means[means.index.isin(NETWORKS)]
        line = f"On the {split} split the best mean test F1 is {means[best]:.3f} ({best})"
        if not net_means.empty and net_means.idxmax() != best:
            line += f", the best network's {net_means.max():.3f} ({net_means.idxmax()})"
        v = _verdict(verdicts, split, net_means.idxmax(), baseline) if len(net_means) else None
        if v is not None:
            line += f": {v['verdict']} ({_interval(v)})"
        verdict_bits.append(line)
        if verdicts is not None and not verdicts.empty:
            pair = _verdict(verdicts, split, "FCADenseNet", "FC-DenseNet")
            if pair is not None and "beats" not in str(pair["verdict"]):
                open_bits.append(f"{split}: {pair['verdict']}")
    says += [f"{b}." for b in verdict_bits]
    says.append(_bottom_line(frame, by))
    says.append("What CBAM adds (FCADenseNet against FC-DenseNet) cannot be concluded here: "
                + "; ".join(open_bits) + "." if open_bits else
                "A verdict holds only for this area, split and budget; the paper's absolute "
                "numbers come from other data.")
    return box(says, title)


def ablation_conclusion(frame: pd.DataFrame, verdicts: pd.DataFrame | None, budget: str,
                        title: str = "Conclusion") -> str:
    """The conclusion of Table 4 (notebook 06): does the deformation rate help FCADenseNet?"""
    runs = frame[frame["group"].isin(["RS", "RS-DR"])]
    says = [f"FCADenseNet was trained without (RS) and with (RS-DR) the deformation rate on "
            f"the same tiles. {budget}", learnt_sentence(runs, "RS and RS-DR runs")]
    bits = []
    for split in ("random", "blocked"):
        v = _verdict(verdicts, split, "RS-DR", "RS")
        if v is not None:
            bits.append(f"On the {split} split, {v['verdict']} ({_interval(v)}).")
    says += bits
    helps = [b for b in bits if "RS-DR beats RS" in b]
    says.append("The generated area puts part of its landslides where only the rate shows them "
                "(by design), so a gain here shows the network can use the rate, not that the "
                "rate helps on real terrain." if helps else
                "No gain of the deformation rate can be claimed from these runs.")
    return box(says, title)


def balakot_conclusion(frame: pd.DataFrame, budget: str, baseline: str = "Pixel GBT",
                       title: str = "Conclusion") -> str:
    """The conclusion of notebook 09: the networks on Balakot's real inventory."""
    nets = frame[frame["model"].isin(NETWORKS)]
    bits = []
    for split in ("random", "blocked"):
        part = frame[frame["split"] == split]
        if part.empty:
            continue
        prev = (f"{part['test_prevalence'].mean():.3f}" if "test_prevalence" in part.columns
                else "n/a")
        ap = part.groupby("model")["ap"].mean()
        net_ap = ap[ap.index.isin(NETWORKS)]
        line = f"On the {split} split the landslide prevalence of the test tiles is {prev}"
        if len(net_ap):
            line += f", the best network's mean AP {net_ap.max():.3f} ({net_ap.idxmax()})"
        if baseline in ap.index:
            line += f" and the {baseline}'s {ap[baseline]:.3f}"
        bits.append(line + ".")
    return box([f"The four networks and the baselines on Balakot's mapped landslides (real "
                f"DEM, geology and land cover; no optical or InSAR layer). {budget}",
                learnt_sentence(nets), *bits,
                "Without a deformation layer this page says nothing about InSAR; it tests "
                "whether the recipe learns real, small landslides from terrain alone."], title)


#: The label sets of notebook 10, in words.
LABEL_SETS = {"independent": "labels mapped independently of InSAR",
              "insar_augmented": "labels partly found with InSAR",
              "insar_augmented_tested_on_independent":
                  "training on the InSAR-found labels and testing on the independent ones"}


def hongkong_conclusion(gains: pd.DataFrame, title: str = "Conclusion") -> str:
    """The conclusion of notebook 10: the deformation factor on Hong Kong's real samples.

    ``gains`` has one row per label set and split: ``gain`` (F1 with minus without the
    deformation factor), ``lo``, ``hi`` (its interval over folds) and ``excludes_zero``.
    """
    says = ["A classifier was scored with and without the InSAR deformation factor on real "
            "Hong Kong samples by spatial and random cross-validation."]
    for labels, rows in gains.groupby("label_set", sort=False):
        parts = []
        for _, row in rows.iterrows():
            effect = (("helps" if row["gain"] > 0 else "hurts") if row["excludes_zero"]
                      else "makes no detectable difference")
            parts.append(f"{effect} on the {row['split']} split (ΔF1 {row['gain']:+.3f}, "
                         f"{row['lo']:+.3f} to {row['hi']:+.3f})")
        says.append(_first_upper(f"with {LABEL_SETS.get(labels, labels)}, the factor "
                                 + " and ".join(parts) + "."))
    indep = gains.loc[gains["label_set"] == "independent", "gain"].mean()
    derived = gains.loc[gains["label_set"] == "insar_augmented", "gain"].mean()
    if indep > 0 and derived > 2 * indep:
        says.append(f"The gain with InSAR-found labels is {derived / indep:.0f}× the gain with "
                    "independent ones: much of it is circular, as those labels were found "
                    "with the same signal.")
    return box(says, title)


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    path = Path(folder) / name
    return pd.read_csv(path) if path.exists() else None


def folder_box(kind: str, folder: str | Path, params: Mapping[str, Any] | None,
               profile: str, title: str = "Conclusion") -> str | None:
    """The conclusion of one kind of result from the files of a run or published folder.

    Parameters
    ----------
    kind : str
        ``"comparison"`` (05), ``"ablation"`` (06), ``"balakot"`` (09) or ``"hongkong"`` (10).
    folder : path
        ``runs/<profile>`` or ``results/default``.
    params : mapping or None
        The parameters of the profile that wrote the folder (for the budget); None when they
        are no longer known (stale published tables).
    profile : str
        Its name, as the budget sentence names it.
    title : str
        The box's title.

    Returns
    -------
    str or None
        A MyST admonition, or None when the folder lacks the table.
    """
    folder = Path(folder)
    if kind == "hongkong":
        gains = _read(folder, "hk_gains.csv")
        return None if gains is None else hongkong_conclusion(gains, title)
    frame = _read(folder, f"{kind}.csv")
    if frame is None:
        return None
    if kind == "balakot":
        return balakot_conclusion(frame, budget_sentence(params, profile, "balakot_"),
                                  title=title)
    verdicts = _read(folder, f"{kind}_verdicts.csv")
    budget = budget_sentence(params, profile)
    if kind == "ablation":
        return ablation_conclusion(frame, verdicts, budget, title)
    return comparison_conclusion(frame, verdicts, budget, title=title)


#: Title of the boxes that conclude on the published ``default`` run.
PUBLISHED_TITLE = "Conclusion of the published default run"


def _published(published_dir: Path | None) -> tuple[Path, Any, Mapping[str, Any] | None]:
    """The published folder, its status, and its profile's parameters (None when stale)."""
    from fcad_book.profiles import load_profile
    from fcad_book.publish import PUBLISHED_DIR, published_status

    folder = Path(published_dir or PUBLISHED_DIR)
    status = published_status(folder)
    params = None if status.stale or not status.exists else load_profile("default").parameters
    return folder, status, params


def _with_warning(text: str, status: Any) -> str:
    """``text`` followed by the published tables' warning when they are stale or superseded."""
    return text + (f"\n\n:::{{warning}}\n{status.banner}\n:::" if status.stale else "")


def published_box(kind: str, published_dir: Path | None = None) -> str:
    """The conclusion of the published ``default`` run for one page, titled as such.

    Says so when nothing is published, and carries the published tables' warning when they are
    stale or superseded (their numbers then come from other code or settings).
    """
    folder, status, params = _published(published_dir)
    text = folder_box(kind, folder, params, "default", PUBLISHED_TITLE) if status.exists else None
    if text is None:
        return box(["No published default-profile results for this page in this checkout "
                    "(`results/default/`); the page's own runs are summarised at its end."],
                   PUBLISHED_TITLE)
    return _with_warning(text, status)


def overall_conclusion(folder: str | Path, params: Mapping[str, Any] | None, profile: str,
                       title: str | None = None) -> str:
    """Results at a glance: the page's answer to the paper's two questions, in 3-4 sentences.

    ``title`` defaults to "Conclusion (<profile> profile)".
    """
    folder = Path(folder)
    says = [budget_sentence(params, profile)]
    comparison, verdicts = _read(folder, "comparison.csv"), _read(folder, "comparison_verdicts.csv")
    if comparison is not None:
        nets = comparison[comparison["model"].isin(NETWORKS)]
        says.append(learnt_sentence(nets))
        for split in ("random", "blocked"):
            means = comparison[comparison["split"] == split].groupby("model")["f1"].mean()
            nets_f1 = means[means.index.isin(NETWORKS)]
            if nets_f1.empty:
                continue
            v = _verdict(verdicts, split, nets_f1.idxmax(), "Pixel GBT")
            says.append(f"On the {split} split the best network is {nets_f1.idxmax()} (mean F1 "
                        f"{nets_f1.max():.3f}) and the best method {means.idxmax()} "
                        f"({means.max():.3f})" + (f"; against the pixel GBT: {v['verdict']} "
                                                  f"({_interval(v)})" if v is not None else "")
                        + ".")
        says.append(_bottom_line(comparison))
    ablation = _read(folder, "ablation_verdicts.csv")
    if ablation is not None:
        rows = ablation[(ablation["A"] == "RS-DR") & (ablation["B"] == "RS")]
        says += [f"Deformation rate, {r['split']} split: {r['verdict']} ({_interval(r)})."
                 for _, r in rows.iterrows()]
    return box(says, title or f"Conclusion ({profile} profile)")


def map_conclusion(training: ExperimentResult, held_out: pd.DataFrame | None, auroc: float,
                   passes: int, budget: str) -> str:
    """The conclusion of notebook 07: the whole-area map of notebook 04's network.

    Parameters
    ----------
    training : ExperimentResult
        The result of the run behind the map (``training.json``, read with
        :meth:`~fcad_lib.evaluation.result.ExperimentResult.read`).
    held_out : pandas.DataFrame or None
        Object scores on the test tiles (``object_scores_test_tiles.csv``), row ``all``.
    auroc : float
        AUROC of the uncertainty for the misclassified pixels (``nan`` when not computed).
    passes : int
        Monte Carlo passes behind it.
    budget : str
        :func:`budget_sentence` of the profile.
    """
    from fcad_lib.evaluation.runs import learnt
    from fcad_lib.models import DISPLAY_NAMES

    ok = learnt(training)
    name = DISPLAY_NAMES.get(training.model, training.model)
    says = [f"The map comes from one {name} run ({training.split} split, seed "
            f"{training.seed}). {budget}",
            f"That run {'learnt' if ok else 'did not learn'} by the book's rule (test AP "
            f"{training.ap:.3f} against a prevalence of {training.test_prevalence:.3f})"
            + ("." if ok else "; the map below shows the machinery, not a useful map.")]
    if held_out is not None and "all" in held_out.index:
        row = held_out.loc["all"]
        says.append(f"On its test tiles it found {int(row['n_detected'])} of "
                    f"{int(row['n_reference'])} mapped landslides, and "
                    f"{int(row['n_false_alarms'])} of its {int(row['n_predicted'])} predicted "
                    "polygons there are false alarms.")
    if np.isfinite(auroc):
        useful = "points at" if auroc >= 0.6 else "barely points at" if auroc > 0.5 else \
            "does not point at"
        says.append(f"Its uncertainty ({passes} Monte Carlo dropout passes) {useful} its errors: "
                    f"AUROC {auroc:.2f} for the misclassified pixels (0.5 is chance).")
    return box(says, "Conclusion of this page")


def published_overall(published_dir: Path | None = None) -> str:
    """Results at a glance: :func:`overall_conclusion` of the published ``default`` run."""
    folder, status, params = _published(published_dir)
    if not status.exists:
        return box(["No published default-profile results in this checkout "
                    "(`results/default/`)."], PUBLISHED_TITLE)
    return _with_warning(overall_conclusion(folder, params, "default", PUBLISHED_TITLE), status)
