"""Figures shared by the notebooks, one module per kind of figure.

- :mod:`~fcad_lib.plots.style`: font sizes, colour maps, colour limits, colour and scale bars;
- :mod:`~fcad_lib.plots.legends`: class names for lithology and land-cover legends;
- :mod:`~fcad_lib.plots.factor_maps`: factor maps (the paper's Figure 2);
- :mod:`~fcad_lib.plots.diagrams`: the FC-DenseNet / FCADenseNet block diagram;
- :mod:`~fcad_lib.plots.heatmaps`: the correlation heatmap (Figure 8);
- :mod:`~fcad_lib.plots.examples`: local zooms on single landslides (Figures 10-12), drawn from
  :mod:`fcad_lib.analysis.zooms`;
- :mod:`~fcad_lib.plots.area_map`: the whole-area landslide map;
- :mod:`~fcad_lib.plots.bars`: scores per model or factor group over seeds;
- :mod:`~fcad_lib.plots.scaling`: the prediction benchmark;
- :mod:`~fcad_lib.plots.review`: the review map of a prediction with uncertainty.
"""

from fcad_lib.plots.area_map import plot_area_map
from fcad_lib.plots.bars import plot_score_bars
from fcad_lib.plots.calibration import plot_reliability
from fcad_lib.plots.curves import plot_curve_grid, plot_learning_curves
from fcad_lib.plots.diagrams import plot_fcdensenet_diagram
from fcad_lib.plots.examples import plot_prediction_zooms
from fcad_lib.plots.factor_maps import plot_factor_maps
from fcad_lib.plots.heatmaps import plot_correlation_heatmap
from fcad_lib.plots.legends import class_names, class_names_for_area
from fcad_lib.plots.review import plot_review_map
from fcad_lib.plots.scaling import plot_scaling

__all__ = [
    "plot_curve_grid",
    "plot_reliability",
    "plot_learning_curves",
    "class_names",
    "class_names_for_area",
    "plot_area_map",
    "plot_correlation_heatmap",
    "plot_factor_maps",
    "plot_fcdensenet_diagram",
    "plot_prediction_zooms",
    "plot_review_map",
    "plot_scaling",
    "plot_score_bars",
]
