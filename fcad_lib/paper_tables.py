"""The paper's Tables 3 and 4 (Li et al. 2024, Baihetan test split), for side-by-side display."""

import pandas as pd

__all__ = ["PAPER_TABLE3", "PAPER_TABLE4"]

#: Table 3: the four networks. Table 4 below: with and without the deformation rate.
PAPER_TABLE3 = pd.DataFrame(
    {
        "pre": [0.6870, 0.4653, 0.6312, 0.8381],
        "rec": [0.5354, 0.6908, 0.7043, 0.6972],
        "f1": [0.6018, 0.5561, 0.6658, 0.7611],
        "kappa": [0.6002, 0.5543, 0.6599, 0.7602],
        "miou": [0.7136, 0.6901, 0.7479, 0.8062],
    },
    index=pd.Index(["FCN", "U-Net", "FC-DenseNet", "FCADenseNet"], name="model"),
)
PAPER_TABLE4 = pd.DataFrame(
    {
        "pre": [0.6614, 0.8381],
        "rec": [0.6878, 0.6972],
        "f1": [0.6743, 0.7611],
        "kappa": [0.6729, 0.7602],
        "miou": [0.7529, 0.8062],
    },
    index=pd.Index(["RS", "RS-DR"], name="stack"),
)
