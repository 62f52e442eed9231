"""The review map figure (fcad_lib.plots.review)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from fcad_lib.plots import plot_review_map  # noqa: E402
from fcad_lib.predict.review import REVIEW_COLOURS  # noqa: E402


def test_review_map_draws_each_class_in_its_colour_with_its_share():
    review = np.zeros((4, 5), "uint8")
    review[0, :2] = 1
    review[1, 0] = 2
    review[3, :] = 255  # nodata: not counted, not drawn
    fig = plot_review_map(review, title="t")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["non-landslide (80.0%)", "landslide (13.3%)", "potential miss (6.7%)",
                      "potential false alarm (0.0%)"]
    image = ax.images[0]
    rgba = image.cmap(image.norm(image.get_array()))
    np.testing.assert_allclose(rgba[1, 0, :3], np.array(REVIEW_COLOURS[2]) / 255)
    np.testing.assert_allclose(rgba[0, 0, :3], np.array(REVIEW_COLOURS[1]) / 255)
    assert image.get_array().mask[3].all()
