"""Read the Hong Kong landslide sample tables (Chen et al. 2023) into checked data frames.

Source: CLi-de/Meta_LSM (commit c25e290, MIT), ``src_data/samples_HK_noTS.csv`` and
``samples_HK.csv``; Chen et al. (2023) Engineering Geology 327, 107342. One row per sample
point: 13 conditioning factors, the InSAR deformation velocity ``DV``, ``X``/``Y`` and the
label. The files are not in the manifest (it describes rasters and inventories on a grid, not
point tables); they are found under ``shared_data_dir() / "hongkong_insar_samples"``.

**DV of exactly 0 or 1e-6 means "no measurement"** and becomes NaN (``dv_measured`` False).
Evidence, computed by :func:`dv_fill_pattern` and shown in notebook 10: 38 % of the samples hold
exactly 1e-6 while only 64 of the other 10,632 lie within 0.01 mm/yr of zero (a spike, not
a tail of a continuous velocity); the fill is spatially clustered (neighbouring samples share
it far more often than chance) and grows with NDVI, as InSAR coherence loss over vegetation
does. In the other factors 1e-6 stands for a true 0 (flat slope, zero distance) and is kept.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from fcad_lib.data.manifest import shared_data_dir
from fcad_lib.errors import MissingFileError, TableError

__all__ = [
    "CATEGORICAL",
    "CONDITIONING",
    "DV_FILL_VALUES",
    "LABEL_SETS",
    "dv_fill_pattern",
    "hongkong_path",
    "insar_added",
    "read_hongkong_samples",
]

#: Label sets -> file: ``independent`` landslides come from the ENTLI inventory (aerial
#: photographs, independent of InSAR); ``insar_augmented`` adds 2,805 found from DV itself.
LABEL_SETS: dict[str, str] = {
    "independent": "samples_HK_noTS.csv",
    "insar_augmented": "samples_HK.csv",
}
FOLDER = "hongkong_insar_samples"

#: The 13 conditioning factors, renamed from the file's headers (``land use`` -> ``land_use``).
CONDITIONING: tuple[str, ...] = (
    "land_use", "lithology", "DEM", "slope", "curvature", "aspect", "NDVI", "SPI", "TWI",
    "dis2road", "dis2drainage", "dis2catchment", "dis2faults",
)
#: Factors holding class codes (1..3 in both files), not quantities.
CATEGORICAL: tuple[str, ...] = ("land_use", "lithology")
#: Values of DV that mark a sample without an InSAR measurement.
DV_FILL_VALUES: tuple[float, ...] = (0.0, 1e-6)
_COLUMNS = (*CONDITIONING, "DV", "X", "Y", "label")


def hongkong_path(label_set: str) -> Path:
    """Path of one label set's CSV under the shared data directory.

    Parameters
    ----------
    label_set : str
        ``independent`` or ``insar_augmented``.
    """
    if label_set not in LABEL_SETS:
        raise ValueError(f"unknown label set {label_set!r}; known: {sorted(LABEL_SETS)}")
    return shared_data_dir() / FOLDER / LABEL_SETS[label_set]


def read_hongkong_samples(source: str | os.PathLike[str]) -> pd.DataFrame:
    """Read one sample table, check it and mark DV's fill values as missing.

    Parameters
    ----------
    source : str or PathLike
        A label-set name (``independent``, ``insar_augmented``) or a CSV path.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CONDITIONING`, ``DV`` (float, NaN = no measurement), ``X``, ``Y``
        (metres, likely EPSG:2326), ``label`` (0/1 int), ``dv_measured`` (bool). Categorical
        factors are int codes. ``attrs``: ``path``, ``label_set``, ``n_dv_fill``.

    Raises
    ------
    MissingFileError
        The file does not exist.
    TableError
        Not a CSV, a column missing, a non-numeric or missing value, or a label other than 0/1.
    """
    label_set = str(source) if str(source) in LABEL_SETS else None
    path = hongkong_path(label_set) if label_set else Path(source)
    if not path.is_file():
        raise MissingFileError(path, "sample table does not exist")
    try:
        # utf-8-sig strips the byte-order mark that the files carry before "land use"
        raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise TableError(path, f"not a readable CSV: {str(exc).splitlines()[0]}") from None
    raw.columns = [c.strip().replace(" ", "_") for c in raw.columns]
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise TableError(path, f"missing column(s) {missing}; found {list(raw.columns)}")
    df = pd.DataFrame(index=raw.index)
    for col in _COLUMNS:
        values = pd.to_numeric(raw[col].str.strip(), errors="coerce")
        bad = values.isna()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise TableError(path, f"column {col!r} row {row + 2}: not a number: "
                                   f"{raw[col].iloc[row]!r} ({int(bad.sum())} such values)")
        df[col] = values
    labels = set(np.unique(df["label"]))
    if not labels <= {0, 1}:
        raise TableError(path, f"label must be 0 or 1, found {sorted(labels - {0, 1})}")
    df["label"] = df["label"].astype(int)
    for col in CATEGORICAL:
        if not np.array_equal(df[col], np.round(df[col])):
            raise TableError(path, f"categorical column {col!r} holds non-integer codes")
        df[col] = df[col].astype(int)
    fill = df["DV"].isin(DV_FILL_VALUES)
    df["DV"] = df["DV"].mask(fill)
    df["dv_measured"] = ~fill
    df.attrs.update(path=str(path), label_set=label_set or path.stem, n_dv_fill=int(fill.sum()))
    return df


def insar_added(augmented: pd.DataFrame, independent: pd.DataFrame) -> pd.Series:
    """Which rows of the augmented table are not in the independent one (added from InSAR).

    Rows are matched on ``X``, ``Y`` and ``label``.

    Returns
    -------
    pandas.Series
        Boolean, indexed like ``augmented``.
    """
    key = ["X", "Y", "label"]
    known = pd.MultiIndex.from_frame(independent[key])
    return pd.Series(~pd.MultiIndex.from_frame(augmented[key]).isin(known),
                     index=augmented.index, name="insar_added")


def dv_fill_pattern(df: pd.DataFrame, k: int = 5, near_zero: float = 0.01) -> pd.Series:
    """Evidence that DV's fill values mark missing measurements, not zero velocity.

    Parameters
    ----------
    df : pandas.DataFrame
        A table from :func:`read_hongkong_samples`.
    k : int
        Neighbours per sample for the spatial agreement.
    near_zero : float
        Half-width (mm/yr) of the band around zero counted among measured values.

    Returns
    -------
    pandas.Series
        ``fill_fraction``; ``measured_near_zero`` (measured samples with ``|DV| <
        near_zero``); ``neighbour_agreement`` (share of the ``k`` nearest samples with the
        same fill status) and ``agreement_by_chance`` (``p^2 + (1 - p)^2``);
        ``fill_fraction_ndvi_q1`` .. ``_q4`` (by NDVI quartile); ``fill_fraction_landslide``
        and ``fill_fraction_background``.
    """
    from scipy.spatial import cKDTree

    fill = ~df["dv_measured"].to_numpy()
    p = float(fill.mean())
    _, idx = cKDTree(df[["X", "Y"]].to_numpy()).query(df[["X", "Y"]].to_numpy(), k=k + 1)
    agreement = float((fill[idx[:, 1:]] == fill[:, None]).mean())
    out = {
        "fill_fraction": p,
        "measured_near_zero": int((df["DV"].abs() < near_zero).sum()),
        "neighbour_agreement": agreement,
        "agreement_by_chance": p * p + (1 - p) * (1 - p),
    }
    quartile = pd.qcut(df["NDVI"], 4, labels=False, duplicates="drop")
    for q, frac in pd.Series(fill).groupby(quartile.to_numpy()).mean().items():
        out[f"fill_fraction_ndvi_q{int(q) + 1}"] = float(frac)
    out["fill_fraction_landslide"] = float(fill[df["label"].to_numpy() == 1].mean())
    out["fill_fraction_background"] = float(fill[df["label"].to_numpy() == 0].mean())
    return pd.Series(out, name="dv_fill")
