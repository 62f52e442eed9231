"""The figures of the analyses (factor analysis, Hong Kong, Balakot): what they show."""

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
from affine import Affine  # noqa: E402
from rasterio.windows import Window  # noqa: E402

from fcad_lib.analysis.factor_analysis import correlation_matrices  # noqa: E402
from fcad_lib.plots import plot_correlation_heatmaps, plot_importance, plot_valley  # noqa: E402
from fcad_lib.plots.hongkong import plot_dv_gains, plot_sample_map  # noqa: E402


def test_factor_analysis_figures():
    df = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 3)), columns=list("abc"))
    fig = plot_correlation_heatmaps(correlation_matrices(df, list("abc")))
    assert len(fig.axes) >= 2
    imp = pd.DataFrame(
        {"gini": [0.6, 0.4], "gini_std": [0.1, 0.1], "permutation": [0.2, 0.0],
         "permutation_std": [0.01, 0.01]},
        index=["x", "y"],
    )  # fmt: skip
    fig2 = plot_importance(imp)
    assert [t.get_text() for t in fig2.axes[0].get_yticklabels()] == ["y", "x"]
    plt.close(fig)
    plt.close(fig2)


def test_dv_gains_one_row_per_label_set_and_split_filled_where_the_interval_excludes_zero():
    index = pd.MultiIndex.from_tuples([("independent", "random"), ("insar_augmented", "blocked")],
                                      names=["label_set", "split"])
    gains = pd.DataFrame({"gain": [0.1, -0.02], "lo": [0.05, -0.1], "hi": [0.15, 0.06],
                          "excludes_zero": [True, False]}, index=index)
    fig = plot_dv_gains(gains)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "independent labels\nrandom split", "InSAR-augmented labels\nblocked split"]
    faces = [line.get_markerfacecolor() for line in ax.lines if line.get_marker() == "o"]
    assert faces[0] != "white" and faces[1] == "white"
    plt.close(fig)


def test_sample_map_counts_each_kind_in_its_legend():
    df = pd.DataFrame({"X": [0.0, 1000, 2000, 3000], "Y": [0.0, 500, 1000, 0],
                       "dv_measured": [True, True, True, False]})
    fig = plot_sample_map(df)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["DV measured: 3", "DV missing (0 or 10⁻⁶): 1"]  # the larger group first
    plt.close(fig)


def test_valley_draws_the_window_in_map_coordinates():
    prob = np.full((40, 40), 0.5, np.float32)
    elevation = np.arange(1600, dtype=np.float32).reshape(40, 40)
    transform = Affine(30.0, 0, 500_000.0, 0, -30.0, 3_800_000.0)
    inventory = gpd.GeoDataFrame(geometry=[shapely.box(500_300, 3_799_400, 500_450, 3_799_250)],
                                 crs="EPSG:32643")
    fig = plot_valley(prob, elevation, transform, inventory, Window(10, 5, 20, 20))
    ax = fig.axes[0]
    assert ax.get_xlim() == (500_300.0, 500_900.0)  # columns 10..30 of 30 m
    assert ax.get_ylim() == (3_799_250.0, 3_799_850.0)  # rows 5..25
    plt.close(fig)


def test_valley_shows_the_relief_where_the_probability_is_low():
    cols = np.mgrid[0:60, 0:60][1]
    elevation = 1000 + 300 * np.sin(cols / 6.0)  # ridges and valleys, north-south
    prob = np.full((60, 60), 0.02, np.float32)  # scored everywhere, nothing found
    transform = Affine(30.0, 0, 0.0, 0, -30.0, 1800.0)
    inventory = gpd.GeoDataFrame(geometry=[shapely.box(600, 600, 900, 900)], crs="EPSG:32643")
    fig = plot_valley(prob, elevation, transform, inventory, Window(0, 0, 60, 60))
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float) / 255
    box = fig.axes[0].get_window_extent()
    top, bottom = image.shape[0] - int(box.y1) + 5, image.shape[0] - int(box.y0) - 5
    luminance = image[top:bottom, int(box.x0) + 5:int(box.x1) - 5].mean(axis=2)
    # the relief is seen: a light map whose slopes differ, not a dark overlay hiding it
    assert luminance.mean() > 0.45
    assert np.percentile(luminance, 90) - np.percentile(luminance, 10) > 0.15
    plt.close(fig)
