"""The samples of one experiment: patches split three ways, normalised on the training split.

:class:`PreparedData` is what every method of a comparison is fitted and scored on: the networks
(:mod:`fcad_lib.training.experiments`), the baselines (:mod:`fcad_lib.evaluation.baselines`) and
the figures that show test patches. Methods that share it share their test tiles, which is what
the paired bootstrap (:mod:`fcad_lib.evaluation.stats`) needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fcad_lib.samples.normalize import Normalizer
from fcad_lib.samples.patches import EncodedStack, Patches
from fcad_lib.samples.preprocessing import Preprocessing

__all__ = ["PreparedData", "SplitArrays"]

#: ``(X normalised, y float32, sample weight)`` of one split.
SplitArrays = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass
class PreparedData:
    """Patches of one stack split three ways, with the normaliser fitted on training only.

    Attributes
    ----------
    patches
        Every patch of the stack (raw values, labels, validity, origins).
    splits
        ``"train"`` / ``"val"`` / ``"test"`` -> indices into ``patches``.
    preprocessing
        What a saved model needs to encode new rasters the same way.
    arrays
        Split name -> :data:`SplitArrays` (normalised inputs, labels, weights).
    normalizer
        The z-score fitted on the training patches.
    stack
        The whole stack as channels, which foreground-centred crops are cut from; ``None``
        when the experiment trains on the fixed grid of patches.
    """

    patches: Patches
    splits: dict[str, np.ndarray]
    preprocessing: Preprocessing
    arrays: dict[str, SplitArrays] = field(default_factory=dict)
    normalizer: Normalizer | None = None
    stack: EncodedStack | None = None
