"""Figures: what they choose to show (the drawing itself is looked at in the book)."""

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from fcad_lib.plots import pick_examples, plot_factor_maps  # noqa: E402


def _stack() -> xr.Dataset:
    label = np.zeros((10, 10), np.uint8)
    label[2:4, 2:4] = 1
    slope = np.full((10, 10), 10.0, np.float32)
    slope[0] = np.nan
    return xr.Dataset(
        {"slope": (("y", "x"), slope, {"units": "degree", "long_name": "slope"}),
         "label": (("y", "x"), label), "valid": (("y", "x"), np.isfinite(slope))},
        coords={"y": 1000.0 - 12.5 * np.arange(10), "x": 12.5 * np.arange(10)},
        attrs={"factors": ["slope"], "resolution_m": 12.5, "area": "t", "crs": "EPSG:32647"},
    )


def _prepared(labels: list[np.ndarray]) -> SimpleNamespace:
    y = np.stack(labels)[..., None].astype(np.uint8)
    n, size = y.shape[0], y.shape[1]
    patches = SimpleNamespace(
        X=np.zeros((n, size, size, 1), np.float32), y=y, valid=np.ones_like(y, bool),
        origins=np.arange(n)[:, None] * np.array([[0, size]]), channels=["elevation"],
    )
    return SimpleNamespace(patches=patches, splits={"test": np.arange(n)})


def test_pick_examples_prefers_whole_landslides_and_orders_sizes():
    a = np.zeros((32, 32), np.uint8)
    a[10:20, 10:20] = 1  # 100 px, inside
    a[0:3, 0:3] = 1  # 9 px, cut by the patch edge
    b = np.zeros((32, 32), np.uint8)
    b[5:7, 5:8] = 1  # 6 px, inside
    b[20:25, 20:25] = 1  # 25 px, inside
    examples = {e["name"]: e for e in pick_examples(_prepared([a, b]), margin=2)}
    assert examples["small"]["size_px"] == 6  # not the 9 px one cut by the edge
    assert examples["medium"]["size_px"] >= examples["small"]["size_px"]
    r0, r1, c0, c1 = examples["small"]["bbox"]
    assert (r0, r1, c0, c1) == (3, 9, 3, 10)


def test_pick_examples_without_landslides_is_empty():
    assert pick_examples(_prepared([np.zeros((16, 16), np.uint8)])) == []


def test_factor_maps_one_panel_per_factor_and_the_inventory():
    fig = plot_factor_maps(_stack())
    titled = [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert titled == ["slope", "landslide inventory"]
