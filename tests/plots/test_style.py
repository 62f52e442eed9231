"""Colour limits, class legends and scale bars: the parts of a figure that can lie."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from fcad_lib.plots.style import (  # noqa: E402
    DEFORMATION_PERCENTILE,
    categorical,
    class_colours,
    nice_length,
    range_note,
    robust_limits,
)


def test_deformation_limits_are_symmetric_percentiles_and_flag_the_clipped_end():
    rng = np.random.default_rng(0)
    v = rng.normal(0, 5, 10_000)
    v[:5] = -43.0  # a small subsidence bowl, as at Cadia
    vmin, vmax, extend = robust_limits("deformation_rate", v)
    m = np.percentile(np.abs(v), DEFORMATION_PERCENTILE)
    assert (vmin, vmax) == pytest.approx((-m, m))
    assert vmax < 43  # the limit is robust, not the extreme...
    assert extend in ("min", "both")  # ...and the clipped subsidence is flagged
    assert "−43.0" in range_note(v, extend)


def test_limits_do_not_extend_when_nothing_is_clipped():
    v = np.linspace(0, 1, 101)
    lo, hi, extend = robust_limits("slope", v, percentile=100)
    assert (lo, hi, extend) == (0.0, 1.0, "neither")
    assert range_note(v, extend) == ""
    assert robust_limits("aspect", v * 360) == (0.0, 360.0, "neither")
    assert robust_limits("slope", np.full(3, np.nan)) == (None, None, "neither")


def test_categorical_gives_one_distinct_colour_and_one_named_tick_per_class():
    codes = np.array([[2.0, 7.0], [20.0, np.nan]])
    index, cmap, norm, labels = categorical(codes, {7: "Abbottabad Fm", 20: "Alluvium"})
    assert labels == ["class 2", "7 Abbottabad Fm", "20 Alluvium"]
    assert index[0, 1] == 1 and index[1, 0] == 2 and np.isnan(index[1, 1])
    assert cmap.N == 3
    assert [norm(i) for i in range(3)] == [0, 1, 2]


def test_twenty_classes_get_twenty_different_colours():
    colours = class_colours(20)
    assert len(set(colours)) == 20
    assert len(set(class_colours(25))) == 25


@pytest.mark.parametrize(("span", "expected"), [(10.0, 2.0), (6.4, 1.0), (0.8, 0.2), (45, 10)])
def test_scale_bar_length_is_a_round_quarter(span, expected):
    assert nice_length(span) == expected


def test_hillshade_lights_slopes_facing_the_north_west():
    from fcad_lib.plots.style import hillshade

    rows, cols = np.mgrid[0:20, 0:20].astype(float)
    facing_nw = rows + cols  # rises to the south-east: its face looks north-west, to the light
    facing_se = -(rows + cols)
    lit, shaded = hillshade(facing_nw), hillshade(facing_se)
    assert lit.mean() > 0.8 > 0.2 > shaded.mean()
    holed = facing_nw.copy()
    holed[3, 4] = np.nan
    assert np.isnan(hillshade(holed)[3, 4]) and np.isfinite(hillshade(holed)).sum() == 399


def test_fading_colour_map_is_transparent_at_its_low_end():
    from fcad_lib.plots.style import fading_cmap

    cmap = fading_cmap(opaque_from=0.5, max_alpha=0.9)
    assert cmap(0.0)[3] == 0.0 and cmap(0.25)[3] == pytest.approx(0.45, abs=0.01)
    assert cmap(0.5)[3] == pytest.approx(0.9) and cmap(1.0)[3] == pytest.approx(0.9)
    assert cmap(np.ma.masked_invalid([np.nan]))[0][3] == 0.0
