"""Balakot helpers: the results table, the probability mosaic, objects and the statement."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine

from fcad_lib.analysis.real_balakot import (
    BALAKOT_COLUMNS,
    balakot_frame,
    objects_in_region,
    terrain_statement,
    valley_window,
)


def test_balakot_frame_columns_and_values():
    results = [{"spec": {"split": "blocked", "seed": 1}, "threshold": 0.3, "best_epoch": 2,
                "epochs_run": 3, "test": {"pre": 0.5, "rec": 0.25, "f1": 1 / 3, "kappa": 0.3,
                                          "miou": 0.6, "ap": 0.2}},
               {"spec": {"split": "random", "seed": 0}, "threshold": 0.5, "ap": 0.1,
                "test": {"pre": 0.1, "rec": 0.1, "f1": 0.1, "kappa": 0.1, "miou": 0.5}}]
    frame = balakot_frame(results, ["FCN", "threshold rule"])
    assert tuple(frame.columns) == BALAKOT_COLUMNS
    assert frame.loc[0, "f1"] == 1 / 3 and frame.loc[1, "ap"] == 0.1  # top-level ap
    assert pd.isna(frame.loc[1, "best_epoch"])


def test_objects_on_a_known_square():
    transform = Affine(10.0, 0, 0.0, 0, -10.0, 200.0)
    prob = np.zeros((20, 20), np.float32)
    prob[2:6, 2:6] = 0.9  # one predicted 40 x 40 m square matching the first slide
    prob[12:14, 12:14] = 0.9  # one false alarm
    inventory = gpd.GeoDataFrame(geometry=[shapely.box(20, 140, 60, 180),
                                           shapely.box(150, 20, 170, 40)], crs="EPSG:32643")
    region = shapely.box(0, 0, 200, 200)
    scores = objects_in_region(prob, 0.5, transform, "EPSG:32643", inventory, region)
    assert scores.loc["all", "n_reference"] == 2 and scores.loc["all", "n_detected"] == 1
    assert scores.loc["all", "n_predicted"] == 2 and scores.loc["all", "n_false_alarms"] == 1


def test_valley_window_finds_the_landslides():
    label = np.zeros((100, 100), np.uint8)
    label[70:80, 60:75] = 1
    prob = np.full(label.shape, 0.1, np.float32)
    w = valley_window(label, prob, size=30)
    assert w.row_off <= 70 and w.row_off + 30 >= 80
    assert w.col_off <= 60 and w.col_off + 30 >= 75


def test_terrain_statement_is_computed():
    frame = pd.DataFrame({
        "model": ["FCN", "rule", "FCN", "rule"], "split": ["random", "random", "blocked",
                                                            "blocked"],
        "f1": [0.2, 0.1, 0.15, 0.05], "ap": [0.05, 0.011, 0.04, 0.02]})
    objects = pd.DataFrame({"n_reference": [10, 4, 6], "n_detected": [3, 0, 3],
                            "detection_rate": [0.3, 0.0, 0.5], "n_predicted": [8, 1, 7],
                            "n_false_alarms": [5, 1, 4]}, index=["all", "small", "large"])
    text = terrain_statement(frame, objects, 0.012, "FCN")
    assert "not: rule (random)" in text  # its AP 0.011 is below the prevalence 0.012
    assert "detects 3 of 10" in text and "small 0.00 of 4" in text
    assert "0.150" in text  # best blocked F1
    text = terrain_statement(frame, objects, 0.012, "FCN", networks=["FCN"])
    assert "best network's mean AP is 0.045 (FCN, 3.8 x" in text  # (0.05 + 0.04) / 2
    assert "best baseline's 0.015 (rule)" in text  # (0.011 + 0.02) / 2 = 0.01549999...


def test_valley_map_shows_the_relief_where_the_probability_is_low():
    import matplotlib

    matplotlib.use("Agg")
    from rasterio.windows import Window

    from fcad_lib.analysis.real_balakot import plot_valley

    rows, cols = np.mgrid[0:60, 0:60]
    elevation = 1000 + 300 * np.sin(cols / 6.0)  # ridges and valleys, north-south
    prob = np.full((60, 60), 0.02, np.float32)  # scored everywhere, nothing found
    transform = Affine(30.0, 0, 0.0, 0, -30.0, 1800.0)
    inventory = gpd.GeoDataFrame(geometry=[shapely.box(600, 600, 900, 900)], crs="EPSG:32643")
    fig = plot_valley(prob, elevation, transform, inventory, Window(0, 0, 60, 60))
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float) / 255
    box = fig.axes[0].get_window_extent()
    top, bottom = image.shape[0] - int(box.y1) + 5, image.shape[0] - int(box.y0) - 5
    inside = image[top:bottom, int(box.x0) + 5:int(box.x1) - 5]
    luminance = inside.mean(axis=2)
    # the relief is seen: a light map whose slopes differ, not a dark overlay hiding it
    assert luminance.mean() > 0.45
    assert np.percentile(luminance, 90) - np.percentile(luminance, 10) > 0.15
