"""Training samples: patches, splits, normalisation and the ``tf.data`` pipeline.

The paper cuts the aligned factor stack into non-overlapping 128 x 128 windows, z-scores every
channel, splits the patches 7:3 (train : test) at random and augments the rare landslide class.
One module per step:

* :mod:`~fcad_lib.samples.patches`: windows of the stack, channel encoding, validity mask;
* :mod:`~fcad_lib.samples.splits`: random and spatially blocked splits, oversampling;
* :mod:`~fcad_lib.samples.normalize`: the z-score fitted on the training patches;
* :mod:`~fcad_lib.samples.dataset`: dihedral augmentation and ``tf.data``;
* :mod:`~fcad_lib.samples.preprocessing`: what a saved model needs to encode new rasters;
* :mod:`~fcad_lib.samples.prepared`: the samples of one experiment, split three ways.

A model bundle (:mod:`fcad_lib.bundle`) saves the :class:`Preprocessing`.
"""

from fcad_lib.samples.crops import CropSampler, window_sums
from fcad_lib.samples.dataset import (
    DIRECTIONAL_FACTORS,
    augment,
    augmentation_allowed,
    geometry_free,
    make_dataset,
)
from fcad_lib.samples.normalize import Normalizer, scale
from fcad_lib.samples.patches import (
    ONEHOT_PREFIX,
    EncodedStack,
    LithologyEncoding,
    Patches,
    encode_channels,
    encode_stack,
    extract_patches,
    lithology_channels,
    lithology_codes,
    patch_origins,
    valid_of,
)
from fcad_lib.samples.prepared import PreparedData
from fcad_lib.samples.preprocessing import Preprocessing, TrainingGrid
from fcad_lib.samples.splits import (
    block_ids,
    content_strata,
    oversample_positive,
    split_blocked,
    split_random,
)

__all__ = [
    "CropSampler",
    "EncodedStack",
    "content_strata",
    "encode_stack",
    "window_sums",
    "DIRECTIONAL_FACTORS",
    "ONEHOT_PREFIX",
    "LithologyEncoding",
    "Normalizer",
    "Patches",
    "PreparedData",
    "Preprocessing",
    "TrainingGrid",
    "augment",
    "augmentation_allowed",
    "block_ids",
    "encode_channels",
    "extract_patches",
    "geometry_free",
    "lithology_channels",
    "lithology_codes",
    "make_dataset",
    "oversample_positive",
    "patch_origins",
    "scale",
    "split_blocked",
    "split_random",
    "valid_of",
]
