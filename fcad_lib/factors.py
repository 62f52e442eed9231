"""The factor names of the paper, in the canonical channel order of every aligned stack.

Kept in a module of its own (no heavy imports) so the loader, the stack writer and the
predictor share one definition.
"""

FACTOR_ORDER: tuple[str, ...] = (
    "deformation_rate",
    "B2",
    "B3",
    "B4",
    "B8",
    "elevation",
    "slope",
    "aspect",
    "curvature",
    "lithology",
)
