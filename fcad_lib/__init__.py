"""fcad_lib: landslide recognition fusing InSAR deformation rate with optical and terrain factors.

Helper library of the FCADenseNet Jupyter Book (Li et al. 2024, Remote Sensing 16:992).
"""

import os

# TensorFlow's C++ start-up chatter is noise in notebooks and the rendered book; users can
# still override it by setting the variable before import.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
