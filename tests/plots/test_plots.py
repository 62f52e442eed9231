"""Figures: what they choose to show (the drawing itself is looked at in the book)."""

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from fcad_lib.analysis.zooms import ZoomPrediction  # noqa: E402
from fcad_lib.plots import plot_factor_maps, plot_prediction_zooms  # noqa: E402


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


def test_factor_maps_one_panel_per_factor_and_the_inventory():
    fig = plot_factor_maps(_stack())
    titled = [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert titled == ["slope", "landslide inventory"]


def _cadia_like() -> xr.Dataset:
    rng = np.random.default_rng(1)
    rate = rng.normal(0, 4, (40, 40)).astype(np.float32)
    rate[20, 20:22] = -43.0  # a small subsidence bowl beyond the percentile limits
    lith = np.repeat(np.array([2.0, 7.0, 20.0, 7.0]), 400).reshape(40, 40).astype(np.float32)
    return xr.Dataset(
        {"deformation_rate": (("y", "x"), rate, {"units": "mm/yr", "long_name": "LOS rate"}),
         "lithology": (("y", "x"), lith, {"units": "unit code", "long_name": "lithology"})},
        coords={"y": 4000.0 - 40 * np.arange(40), "x": 40 * np.arange(40.0)},
        attrs={"factors": ["deformation_rate", "lithology"], "resolution_m": 40, "area": "c"},
    )


def _colorbars(fig):
    return {ax.get_label(): ax for ax in fig.axes if ax.get_label() == "<colorbar>"}


def test_factor_maps_flag_clipped_deformation_and_name_lithology_units():
    fig = plot_factor_maps(_cadia_like(), class_names={"lithology": {7: "Abbottabad Fm"}})
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 2  # one colour bar per map
    rate_bar, lith_bar = bars
    assert rate_bar.get_ylabel().startswith("mm/yr")
    assert "−43.0" in rate_bar.get_ylabel()
    # the colour bar draws its extend arrow: matplotlib keeps it on the colorbar object
    assert rate_bar._colorbar.extend in ("min", "both")
    ticks = [t.get_text() for t in lith_bar.get_yticklabels()]
    assert ticks == ["class 2", "7 Abbottabad Fm", "class 20"]


def test_score_bars_have_error_caps_only_with_several_seeds():
    import pandas as pd

    from fcad_lib.plots import plot_score_bars

    one = pd.DataFrame({"model": ["A", "B", "A", "B"], "split": ["r", "r", "b", "b"],
                        "seed": 0, "f1": [0.5, 0.6, 0.4, 0.3]})
    fig = plot_score_bars(one, "model")
    ax = fig.axes[0]

    assert not [c for c in ax.containers if type(c).__name__ == "ErrorbarContainer"]
    assert "no spread" in ax.get_title()
    two = pd.concat([one, one.assign(seed=1, f1=one["f1"] + 0.1)])
    ax2 = plot_score_bars(two, "model").axes[0]
    caps = [c for c in ax2.containers if type(c).__name__ == "ErrorbarContainer"]
    assert caps and "seeds [0, 1]" in ax2.get_title()
    heights = sorted(round(p.get_height(), 3) for p in ax2.patches)
    assert heights == sorted([0.55, 0.65, 0.45, 0.35])  # means computed by hand


def test_area_map_zooms_on_the_largest_mapped_and_predicted_landslides(tmp_path):
    import geopandas as gpd
    import rasterio
    from rasterio.transform import from_origin
    from shapely.geometry import box

    from fcad_lib.plots import plot_area_map

    path = tmp_path / "probability.tif"
    prob = np.random.default_rng(0).random((200, 200)).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=1,
                       dtype="float32", crs="EPSG:32647", nodata=np.nan,
                       transform=from_origin(500_000, 4_000_000, 12.5, 12.5)) as dst:
        dst.write(prob, 1)
    mapped = gpd.GeoDataFrame(geometry=[box(500_100, 3_998_000, 500_150, 3_998_050),
                                        box(500_500, 3_998_500, 500_800, 3_998_800)],
                              crs="EPSG:32647")
    predicted = gpd.GeoDataFrame(geometry=[box(501_000, 3_999_000, 501_100, 3_999_100)],
                                 crs="EPSG:32647")
    fig = plot_area_map(path, predicted, mapped)
    maps = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    # titles wrap to fit the narrow zoom panels
    assert [" ".join(ax.get_title().split()) for ax in maps] == [
        "whole area", "zoom: largest mapped landslide", "zoom: largest predicted landslide"]
    # the first zoom is centred on the 300 m mapped square, not the 50 m one
    x0, x1 = maps[1].get_xlim()
    assert x0 < 500_650 < x1 and not x0 < 500_125 < x1
    assert len([ax for ax in fig.axes if ax.get_label() == "<colorbar>"]) == 1
    legend = [t.get_text() for t in maps[0].get_legend().get_texts()]
    assert legend == ["mapped landslide", "predicted polygon"]


def test_reliability_figure_puts_the_calibrated_networks_on_the_right():
    import numpy as np

    from fcad_lib.evaluation.calibration import tile_calibration
    from fcad_lib.plots import plot_reliability

    rng = np.random.default_rng(0)
    p = rng.random(5000) ** 3
    calib = tile_calibration(p, rng.random(5000) < p, rng.integers(0, 10, 5000), 10)
    fig = plot_reliability({"Net": [calib], "GBT": [calib], "Net (calibrated)": [calib]})
    left, right = fig.axes
    assert [t.get_text() for t in left.get_legend().get_texts()][1:] == ["Net", "GBT"]
    assert [t.get_text() for t in right.get_legend().get_texts()][1:] == ["Net"]
    # the calibrated network keeps its colour
    assert left.get_lines()[1].get_color() == right.get_lines()[1].get_color()
    assert left.get_xscale() == "log"


def test_curve_grid_has_a_panel_per_method_and_a_line_per_run():
    from fcad_lib.evaluation.result import ExperimentResult
    from fcad_lib.plots import plot_curve_grid

    curve = {"epoch": [0, 1, 2], "loss": [1.0, 0.8, 0.7], "val_ap": [0.1, 0.2, 0.25]}
    runs = [ExperimentResult.from_dict(
        {"label": m, "spec": {"split": s, "seed": 0, "model": m.lower()}, "curve": curve})
        for m in ("U-Net", "FCN") for s in ("random", "blocked")]
    runs.append(ExperimentResult.from_dict(
        {"label": "Pixel GBT", "spec": {"split": "random", "seed": 0}, "curve": None}))
    fig = plot_curve_grid(runs, ncols=4)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == ["U-Net", "FCN"]
    assert [len(ax.get_lines()) for ax in shown] == [2, 2]


def test_prediction_zooms_draw_the_probabilities_they_are_given():
    label = np.zeros((2, 16, 16, 1), np.uint8)
    label[:, 5:9, 6:10] = 1
    patches = SimpleNamespace(X=np.zeros((2, 16, 16, 1), np.float32), y=label,
                              valid=np.ones((2, 16, 16, 1), bool),
                              origins=np.array([[0, 0], [0, 16]]), channels=["elevation"])
    examples = [{"name": "medium", "origin": (0, 16), "size_px": 16, "bbox": (3, 11, 4, 12)},
                {"name": "small", "origin": (0, 0), "size_px": 16, "bbox": (2, 10, 5, 13)}]
    prob = np.random.default_rng(0).random((2, 16, 16)).astype(np.float32)
    fig = plot_prediction_zooms(SimpleNamespace(patches=patches), examples,
                                {"A": ZoomPrediction(prob, 0.5), "B": ZoomPrediction(prob, 0.9)})
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title() == "A"]
    # one panel per example, each its own probability cropped to the example's box
    assert len(panels) == 2
    np.testing.assert_array_equal(panels[0].images[0].get_array(), prob[0, 3:11, 4:12])
    np.testing.assert_array_equal(panels[1].images[0].get_array(), prob[1, 2:10, 5:13])
    assert sum(ax.get_title() == "B" for ax in fig.axes if ax.get_visible()) == 2
