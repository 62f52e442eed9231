"""Segmentation networks compared in Li et al. (2024): FCN, U-Net, FC-DenseNet, FCADenseNet.

``build_model(name, input_shape, config)`` is the one entry point used by training and
experiments.  Every model maps a ``(H, W, C)`` patch of z-scored factors to a ``(H, W, 1)`` float32
landslide probability (sigmoid).

``config`` selects the size:

* FC-DenseNet / FCADenseNet: an :class:`FCDenseNetConfig` or a preset name ``"56"``, ``"67"``,
  ``"103"``, ``"tiny"``; keyword arguments named like a config field (``growth_rate=...``) override
  that field, the others go to the builder (``reduction=``, ``kernel_size=``, ``where=``).
* FCN / U-Net: ``"tiny"`` selects narrow CPU-test widths (FCN ``width=8``; U-Net
  ``base_filters=8, depth=3``); ``"compact"`` (and ``"tiny-paper"``) the widths that match the
  compact FC-DenseNets' parameter count; every other name the original widths (VGG16
  ``width=64``; U-Net ``base_filters=64, depth=4``).  Keyword arguments go to the builder and
  override the preset.

**Compact, parameter-matched configurations** (``"compact"``, the CPU profiles'): with 14 input
channels FCADenseNet has 64 k parameters, FC-DenseNet 63 k (both ``tiny-paper``), U-Net 69 k
(``base_filters=6, depth=3``) and FCN-8s 70 k (``width=4, fc_filters=32``), so that a
comparison at this size is about the architecture, not the capacity. The standard U-Net
(31 M) and FCN-8s (20 M) stay for the ``paper`` profile.
"""

from __future__ import annotations

from typing import Any

import keras

from fcad_lib.models.cbam import ChannelPool, cbam, channel_attention, spatial_attention
from fcad_lib.models.complexity import (
    complexity_table,
    count_flops,
    count_params,
    count_trainable_params,
)
from fcad_lib.models.fcadensenet import build_fcadensenet
from fcad_lib.models.fcdensenet import (
    FCDenseNetConfig,
    build_fcdensenet,
    dense_block,
    dense_layer,
    transition_down,
    transition_up,
)
from fcad_lib.models.fcn import build_fcn
from fcad_lib.models.unet import build_unet

#: Names accepted by :func:`build_model`, in the order of the paper's Table 3.
MODEL_NAMES: tuple[str, ...] = ("fcn", "unet", "fcdensenet", "fcadensenet")

#: The paper's names of the models.
DISPLAY_NAMES: dict[str, str] = {
    "fcn": "FCN",
    "unet": "U-Net",
    "fcdensenet": "FC-DenseNet",
    "fcadensenet": "FCADenseNet",
}

#: Builder keyword arguments of the FCN / U-Net size presets.
BASELINE_PRESETS: dict[str, dict[str, dict[str, int]]] = {
    "fcn": {"tiny": {"width": 8}, "compact": {"width": 4, "fc_filters": 32},
            "standard": {"width": 64}},
    "unet": {"tiny": {"base_filters": 8, "depth": 3}, "compact": {"base_filters": 6, "depth": 3},
             "standard": {"base_filters": 64, "depth": 4}},
}

#: Preset names of the compact, parameter-matched configuration of all four networks.
COMPACT_NAMES: tuple[str, ...] = ("compact", "tiny-paper")


def build_model(
    name: str,
    input_shape: tuple[int | None, int | None, int],
    config: str | FCDenseNetConfig = "56",
    **kwargs: Any,
) -> keras.Model:
    """Build one of the compared networks.

    Parameters
    ----------
    name : str
        One of :data:`MODEL_NAMES`.
    input_shape : tuple
        ``(patch_height, patch_width, n_channels)``.
    config : str or FCDenseNetConfig
        Size preset (see the module docstring).
    **kwargs
        Overrides of config fields (FC-DenseNets) and builder keyword arguments.

    Returns
    -------
    keras.Model
        ``(H, W, 1)`` float32 sigmoid output.
    """
    key = name.lower().replace("-", "").replace("_", "")
    if key not in MODEL_NAMES:
        raise ValueError(f"unknown model {name!r}; choose one of {MODEL_NAMES}")

    if key in ("fcdensenet", "fcadensenet"):
        cfg = FCDenseNetConfig.from_name(config)
        overrides = {k: kwargs.pop(k) for k in list(kwargs) if k in FCDenseNetConfig.field_names()}
        if overrides:
            cfg = cfg.replace(**overrides)
        builder = build_fcdensenet if key == "fcdensenet" else build_fcadensenet
        return builder(input_shape, config=cfg, **kwargs)

    if not isinstance(config, str):
        raise TypeError(
            f"{name}: config must be a preset name ('tiny' or a standard name such as '56'), "
            f"got {type(config).__name__}; pass widths as keyword arguments instead"
        )
    preset = ("tiny" if config.lower() == "tiny" else
              "compact" if config.lower() in COMPACT_NAMES else "standard")
    options = {**BASELINE_PRESETS[key][preset], **kwargs}
    builder = build_fcn if key == "fcn" else build_unet
    return builder(input_shape, **options)


__all__ = [
    "BASELINE_PRESETS",
    "COMPACT_NAMES",
    "DISPLAY_NAMES",
    "MODEL_NAMES",
    "ChannelPool",
    "FCDenseNetConfig",
    "build_fcadensenet",
    "build_fcdensenet",
    "build_fcn",
    "build_model",
    "build_unet",
    "cbam",
    "channel_attention",
    "complexity_table",
    "count_flops",
    "count_params",
    "count_trainable_params",
    "dense_block",
    "dense_layer",
    "spatial_attention",
    "transition_down",
    "transition_up",
]
