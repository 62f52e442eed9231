"""Object-level matching and scores on hand-made polygons (fcad_lib.evaluation.objects)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from fcad_lib.evaluation.objects import match_objects, object_scores, size_class

CRS = "EPSG:32647"


@pytest.fixture
def polygons() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    reference = gpd.GeoDataFrame(
        {"name": ["large_hit", "small_missed", "medium_centroid"]},
        geometry=[
            box(0, 0, 300, 300),  # 90,000 m2, large
            box(1000, 0, 1050, 50),  # 2,500 m2, small
            box(2000, 0, 2100, 100),  # 10,000 m2, medium
        ],
        crs=CRS,
        index=[10, 11, 12],
    )
    predicted = gpd.GeoDataFrame(
        geometry=[
            box(30, 30, 330, 330),  # IoU 0.68 with large_hit
            box(1045, 45, 1100, 100),  # grazes small_missed: IoU 0.005, centroid outside
            box(2045, 45, 2400, 400),  # holds medium_centroid's centroid, IoU 0.023; large
            box(5000, 5000, 5100, 5100),  # far from everything: medium false alarm
        ],
        crs=CRS,
    )
    return predicted, reference


def test_size_class_bounds():
    assert list(size_class([0, 4_999, 5_000, 49_999, 50_000, 1e9])) == [
        "small", "small", "medium", "medium", "large", "large"]


def test_iou_rule(polygons):
    predicted, reference = polygons
    m = match_objects(predicted, reference, rule="iou", iou_threshold=0.1)
    ref = m[m.kind == "reference"].set_index("index")
    assert ref.loc[10, "matched"] and not ref.loc[11, "matched"] and not ref.loc[12, "matched"]
    assert ref.loc[10, "best_iou"] == pytest.approx(270**2 / (2 * 300**2 - 270**2))
    assert list(ref.size_class) == ["large", "small", "medium"]
    pred = m[m.kind == "predicted"].set_index("index")
    assert list(pred.matched) == [True, False, False, False]

    s = object_scores(m)
    assert s.loc["all", "n_reference"] == 3 and s.loc["all", "n_detected"] == 1
    assert s.loc["all", "detection_rate"] == pytest.approx(1 / 3)
    assert s.loc["large", "detection_rate"] == 1.0
    assert s.loc["small", "detection_rate"] == 0.0
    assert s.loc["medium", "detection_rate"] == 0.0
    assert s.loc["all", "n_false_alarms"] == 3
    assert s.loc["all", "false_alarm_ratio"] == pytest.approx(3 / 4)
    # false alarms are classed by the predicted polygon's own area
    assert list(s.loc[["small", "medium", "large"], "n_false_alarms"]) == [1, 1, 1]


def test_centroid_rule(polygons):
    predicted, reference = polygons
    m = match_objects(predicted, reference, rule="centroid")
    ref = m[m.kind == "reference"].set_index("index")
    assert list(ref.matched) == [True, False, True]
    s = object_scores(m)
    assert s.loc["all", "n_detected"] == 2
    assert s.loc["medium", "detection_rate"] == 1.0
    assert s.loc["all", "n_false_alarms"] == 2


def test_lower_threshold_and_reprojection(polygons):
    predicted, reference = polygons
    m = match_objects(predicted, reference.to_crs("EPSG:4326"), iou_threshold=0.02)
    ref = m[m.kind == "reference"].set_index("index")
    assert list(ref.matched) == [True, False, True]


def test_empty_prediction(polygons):
    _, reference = polygons
    empty = gpd.GeoDataFrame(geometry=[], crs=CRS)
    s = object_scores(match_objects(empty, reference))
    assert s.loc["all", "detection_rate"] == 0.0
    assert s.loc["all", "n_predicted"] == 0 and np.isnan(s.loc["all", "false_alarm_ratio"])


def test_bad_rule(polygons):
    with pytest.raises(ValueError, match="rule"):
        match_objects(*polygons, rule="overlap")


def test_restrict_to_keeps_polygons_inside_the_region():
    import geopandas as gpd
    from shapely.geometry import box

    from fcad_lib.evaluation.objects import restrict_to

    gdf = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(5, 5, 6, 6), box(9, 0, 11, 1)])
    kept = restrict_to(gdf, box(0, 0, 10, 10))
    # the third straddles the edge; its point on surface (10, 0.5) lies on the boundary: out
    assert list(kept.index) == [0, 1]
    assert len(restrict_to(gdf.iloc[:0], box(0, 0, 1, 1))) == 0
