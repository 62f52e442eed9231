"""FCADenseNet: FC-DenseNet with CBAM on the skip connections (Li et al. 2024, Section 3.2).

After each transition up, the shallow skip feature map from the down path is refined by a CBAM
module (channel attention, then spatial attention) before it is concatenated with the upsampled
deep maps: the attention decides which shallow detail (edges of small landslides, the deformation
signal) is passed to the decoder.  Everything else is the FC-DenseNet of
:mod:`fcad_lib.models.fcdensenet`.

Defaults (the paper states neither the growth rate, the depth nor the reduction ratio):

* **FC-DenseNet56 layout** (48 first maps, k = 12, 4 layers in each of 11 blocks, 5 pools, dropout
  0.2; ~1.4M parameters).  The training set is a few hundred 128x128 patches with 1 landslide pixel
  in 224, so the smallest Tiramisu is the one least likely to overfit, and 5 pools still leave a
  4x4 bottleneck on a 128x128 patch.  ``config="67"`` / ``"103"`` select the larger ones.
* **Variant**: the builder's default ``"56"`` is Jégou et al.'s Tiramisu (its parameter counts
  are checked against their Table 2); the book's profiles build ``"<layout>-paper"``, the three
  departures that Li et al.'s Section 3.2 describes (1x1 bottleneck in the dense layers,
  compression 0.5 in the transitions down, up-sampling + 3x3 conv in the transitions up; see
  :mod:`fcad_lib.models.fcdensenet`), because a reproduction follows the paper's own text where
  it is explicit.
* **r = 8**: the five skip maps have 96-288 channels in this layout, so CBAM's default r = 16 would
  squeeze the first one to 6 hidden units; r = 8 keeps at least 12 at a cost of ~50k parameters.
* **7x7 spatial kernel**, as in Woo et al. (2018), who found it better than 3x3.
* **where = "skip"**: CBAM on the skip map before the concatenation, the paper's wording
  ("the shallow feature maps in the skip connections").  ``where="concat"`` refines the
  concatenated map instead (an ablation).
"""

from __future__ import annotations

from typing import Literal

import keras

from fcad_lib.models.cbam import cbam
from fcad_lib.models.fcdensenet import FCDenseNetConfig, build_fcdensenet

#: Default reduction ratio of the CBAM shared MLP (see the module docstring).
DEFAULT_REDUCTION = 8
#: Default spatial-attention kernel size (Woo et al. 2018).
DEFAULT_KERNEL_SIZE = 7


def build_fcadensenet(
    input_shape: tuple[int | None, int | None, int],
    config: FCDenseNetConfig | str = "56",
    reduction: int = DEFAULT_REDUCTION,
    kernel_size: int = DEFAULT_KERNEL_SIZE,
    where: Literal["skip", "concat"] = "skip",
    n_classes: int = 1,
    name: str = "fca_densenet",
) -> keras.Model:
    """Build an FCADenseNet (FC-DenseNet + CBAM on every skip connection).

    Parameters
    ----------
    input_shape : tuple
        ``(height, width, channels)``; height and width divisible by ``2**config.n_pool``.
    config : FCDenseNetConfig or str
        FC-DenseNet hyper-parameters or preset name (default ``"56"``).
    reduction : int
        CBAM reduction ratio ``r``.
    kernel_size : int
        CBAM spatial-attention kernel size.
    where : {"skip", "concat"}
        Refine the skip map before the concatenation (the paper) or the concatenated map.
    n_classes : int
        1 (sigmoid) or more (softmax).
    name : str
        Model name.

    Returns
    -------
    keras.Model
        Output ``(height, width, n_classes)`` float32 probabilities.  The CBAM gates are the
        layers ``skip_attention{i}_channel_gate`` / ``skip_attention{i}_spatial_gate``,
        ``i = 0`` the deepest skip.
    """

    def attention(x: keras.KerasTensor, block_name: str) -> keras.KerasTensor:
        return cbam(x, reduction=reduction, kernel_size=kernel_size, name=block_name)

    return build_fcdensenet(
        input_shape,
        config=config,
        skip_attention=attention,
        attention_where=where,
        n_classes=n_classes,
        name=name,
    )
