"""Pixel recall per landslide type (e.g. fresh vs old), to see *which* landslides a stack finds.

The generated study area records for every landslide whether it is ``fresh`` (bare, visible in
the optical bands) or ``old`` (revegetated, visible mainly as slow motion in the deformation
rate). Recall split by that attribute shows what the deformation-rate channel adds; any
inventory with a categorical column can be split the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from fcad_lib.bundle import load_bundle
from fcad_lib.data.grid import Grid, rasterize_inventory
from fcad_lib.evaluation.inference import predict_patches
from fcad_lib.evaluation.result import ExperimentResult


def stack_grid(ds: xr.Dataset) -> Grid:
    """The grid of an aligned stack (CRS and transform from rioxarray)."""
    return Grid(ds.rio.crs, ds.rio.transform(), ds.sizes["x"], ds.sizes["y"])


def type_raster(
    ds: xr.Dataset, inventory: gpd.GeoDataFrame, column: str = "type"
) -> tuple[np.ndarray, list[str]]:
    """Rasterise a categorical inventory column onto the stack's grid.

    Parameters
    ----------
    ds
        Aligned stack (defines the grid).
    inventory
        Landslide polygons with ``column``.
    column
        Categorical attribute, e.g. ``type`` (``fresh`` / ``old``) of the generated inventory.

    Returns
    -------
    codes : numpy.ndarray
        ``(H, W)`` uint8: ``i + 1`` inside a polygon of ``categories[i]``, 0 elsewhere.
    categories : list of str
        Sorted category names.
    """
    if column not in inventory.columns:
        raise KeyError(f"the inventory has no column {column!r} (it has {list(inventory.columns)})")
    categories = sorted(str(v) for v in inventory[column].dropna().unique())
    lookup = {name: i + 1 for i, name in enumerate(categories)}
    values = np.array([lookup.get(str(v), 0) for v in inventory[column]], "uint8")
    keep = values > 0
    codes = rasterize_inventory(inventory[keep], stack_grid(ds), values=values[keep])
    return codes, categories


def recall_by_type(
    model: Any,
    normalizer: Any,
    patches: Any,
    indices: Sequence[int],
    codes: np.ndarray,
    categories: Sequence[str],
    threshold: float,
    batch_size: int = 8,
) -> pd.DataFrame:
    """Pixel recall of each landslide type over some patches.

    Parameters
    ----------
    model
        Keras model (patches -> probabilities).
    normalizer
        :class:`fcad_lib.samples.Normalizer` the model was trained with.
    patches
        :class:`fcad_lib.samples.Patches` (raw values, origins into the stack).
    indices
        Which patches (e.g. the test split).
    codes, categories
        From :func:`type_raster`.
    threshold
        Decision threshold of the model.
    batch_size
        Patches per forward pass.

    Returns
    -------
    pandas.DataFrame
        Index = category; ``landslide_px`` (valid landslide pixels of that type), ``detected_px``
        and ``recall``.
    """
    size = patches.X.shape[1]
    found = np.zeros(len(categories) + 1, np.int64)
    total = np.zeros(len(categories) + 1, np.int64)
    indices = np.asarray(indices)
    pred = predict_patches(model, normalizer, patches, indices, batch_size) >= threshold
    for k, i in enumerate(indices):
        r, c = patches.origins[i]
        truth = (patches.y[i, ..., 0] > 0) & patches.valid[i, ..., 0]
        kind = codes[r:r + size, c:c + size][truth]
        total += np.bincount(kind, minlength=len(found))
        found += np.bincount(kind[pred[k][truth]], minlength=len(found))
    frame = pd.DataFrame(
        {"landslide_px": total[1:], "detected_px": found[1:]},
        index=pd.Index(list(categories), name="type"),
    )
    frame["recall"] = frame["detected_px"] / frame["landslide_px"].where(frame["landslide_px"] > 0)
    return frame


def compare_recall_by_type(
    results: dict[str, ExperimentResult],
    prepared: dict[str, Any],
    codes: np.ndarray,
    categories: Sequence[str],
    split: str = "test",
) -> pd.DataFrame:
    """Recall per landslide type of several trained experiments, side by side.

    Parameters
    ----------
    results
        Column name -> network result (``bundle_dir`` and ``threshold`` are used).
    prepared
        Column name -> :class:`fcad_lib.samples.prepared.PreparedData` with that model's
        channels.
    codes, categories
        From :func:`type_raster`.
    split
        Which split's patches are scored.

    Returns
    -------
    pandas.DataFrame
        Index = type; one recall column per experiment, plus ``landslide_px``.
    """
    columns, pixels = {}, None
    for name, result in results.items():
        if result.bundle_dir is None or result.threshold is None:
            raise ValueError(f"{name}: result {result.slug} has no saved model and threshold")
        model, prep = load_bundle(result.bundle_dir)
        data = prepared[name]
        table = recall_by_type(model, prep.normalizer, data.patches, data.splits[split], codes,
                               categories, threshold=result.threshold)
        columns[name] = table["recall"]
        pixels = table["landslide_px"]
    frame = pd.DataFrame(columns)
    frame.insert(0, "landslide_px", pixels)
    return frame
