"""Block diagram of FC-DenseNet / FCADenseNet (paper Figures 4-6, drawn from the config)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from fcad_lib.plots.style import book_style


@book_style
def plot_fcdensenet_diagram(config: Any, attention: bool = True) -> Figure:
    """Block diagram of an FC-DenseNet / FCADenseNet with the feature-map count of each stage.

    Parameters
    ----------
    config : fcad_lib.models.fcdensenet.FCDenseNetConfig
        The network's configuration.
    attention : bool
        Draw CBAM on the skip connections (FCADenseNet).

    Returns
    -------
    matplotlib.figure.Figure
    """
    k, blocks, n_pool = config.growth_rate, config.layers_per_block, config.n_pool
    m = config.n_first_filters
    down = []
    for i in range(n_pool):
        m += blocks[i] * k
        down.append((f"DB {blocks[i]} layers\n→ {m} maps", m))
    new = blocks[n_pool] * k
    up = []
    for i in range(n_pool):
        skip = down[n_pool - 1 - i][1]
        tu = f"TU ({new})" + (" + CBAM skip" if attention else "")
        new_block = blocks[n_pool + 1 + i] * k
        up.append((f"{tu}\nDB {blocks[n_pool + 1 + i]} layers\n{new + skip} → +{new_block}",
                   new_block))
        new = new_block
    height = n_pool + 2
    fig, ax = plt.subplots(figsize=(11, 1.1 * height + 1.2))
    ax.set_axis_off()
    box = {"boxstyle": "round,pad=0.4", "fc": "#e8f0fe", "ec": "#3367d6"}
    ax.text(0.15, height, f"input → 3x3 conv ({config.n_first_filters})", ha="center", bbox=box)
    colour = "#d93025" if attention else "0.4"
    for i, (text, _) in enumerate(down):
        y = height - 1 - i
        ax.text(0.15, y, text + "\nTD (1x1 conv, pool)", ha="center", va="center", fontsize=11,
                bbox=box)
        ax.annotate("", xy=(0.7, y), xytext=(0.32, y),
                    arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.4})
        ax.text(0.51, y + 0.14, "skip" + (" → CBAM" if attention else ""), ha="center",
                fontsize=11, color=colour)
    ax.text(0.5, height - 1 - n_pool, f"bottleneck DB {blocks[n_pool]} layers "
            f"(+{blocks[n_pool] * k})", ha="center", va="center", fontsize=11,
            bbox={**box, "fc": "#fef7e0", "ec": "#f9ab00"})
    for i, (text, _) in enumerate(up):
        y = height - n_pool + i  # level of the skip it joins
        ax.text(0.87, y, text, ha="center", va="center", fontsize=11, bbox=box)
    ax.text(0.85, height, "1x1 conv → sigmoid (probability)", ha="center", bbox=box)
    ax.set_xlim(-0.1, 1.1)
    ax.set_ylim(height - n_pool - 1.7, height + 0.6)
    name = "FCADenseNet" if attention else "FC-DenseNet"
    ax.set_title(f"{name}: first conv {config.n_first_filters}, growth rate k = {k}, "
                 f"{n_pool} pools,\nlayers per block {list(blocks)}")
    return fig
