"""Figures shared by the notebooks, one module per kind of figure.

- :mod:`~fcad_lib.plots.style`: font sizes, colour maps, colour limits, colour and scale bars;
- :mod:`~fcad_lib.plots.legends`: class names for lithology and land-cover legends;
- :mod:`~fcad_lib.plots.factor_maps`: factor maps (the paper's Figure 2);
- :mod:`~fcad_lib.plots.diagrams`: the FC-DenseNet / FCADenseNet block diagram;
- :mod:`~fcad_lib.plots.heatmaps`: the correlation heatmaps (Figure 8);
- :mod:`~fcad_lib.plots.importance`: the random-forest importance ranking (Figure 9);
- :mod:`~fcad_lib.plots.examples`: local zooms on single landslides (Figures 10-12), drawn from
  :mod:`fcad_lib.analysis.zooms`;
- :mod:`~fcad_lib.plots.area_map`: the whole-area landslide map;
- :mod:`~fcad_lib.plots.bars`: scores per model or factor group over seeds;
- :mod:`~fcad_lib.plots.scaling`: the prediction benchmark;
- :mod:`~fcad_lib.plots.review`: the review map of a prediction with uncertainty;
- :mod:`~fcad_lib.plots.real_balakot`: a valley of the Balakot run;
- :mod:`~fcad_lib.plots.hongkong`: the Hong Kong samples and the gain from DV (not
  re-exported here: it reads names from :mod:`fcad_lib.analysis.hongkong`, which imports
  scikit-learn);
- :mod:`~fcad_lib.plots.generated_area`: the generated area's figure of the book
  (``python -m fcad_lib.plots.generated_area OUT.png``).

Figures draw arrays and tables they are given; none loads or runs a model.
"""

from fcad_lib.plots.area_map import plot_area_map
from fcad_lib.plots.bars import plot_score_bars
from fcad_lib.plots.calibration import plot_reliability
from fcad_lib.plots.curves import plot_curve_grid, plot_learning_curves
from fcad_lib.plots.diagrams import plot_fcdensenet_diagram
from fcad_lib.plots.examples import plot_prediction_zooms
from fcad_lib.plots.factor_maps import plot_factor_maps
from fcad_lib.plots.heatmaps import plot_correlation_heatmap, plot_correlation_heatmaps
from fcad_lib.plots.importance import plot_importance
from fcad_lib.plots.legends import class_names, class_names_for_area
from fcad_lib.plots.real_balakot import plot_valley
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
    "plot_correlation_heatmaps",
    "plot_factor_maps",
    "plot_fcdensenet_diagram",
    "plot_importance",
    "plot_prediction_zooms",
    "plot_review_map",
    "plot_scaling",
    "plot_score_bars",
    "plot_valley",
]
