"""Model complexity: parameter counts and analytic FLOPs.

FLOPs are counted as ``2 x multiply-accumulates`` of the layers that dominate the cost, computed
from each layer's configuration and static output shape (no profiler, any backend):

* ``Conv2D``: ``2 * H_out * W_out * C_out * k_h * k_w * C_in / groups``;
* ``Conv2DTranspose``: every input pixel scatters a ``k_h x k_w x C_out`` kernel,
  ``2 * H_in * W_in * C_in * k_h * k_w * C_out``;
* ``Dense``: ``2 * n_in * n_out`` per position of its (possibly multi-dimensional) input.

Biases, batch normalisation, activations, pooling, concatenation and element-wise products are not
counted (together a few per cent at most); this is the usual convention of the papers compared.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import keras
import pandas as pd

from fcad_lib.models.fcdensenet import FCDenseNetConfig


def count_params(model: keras.Model) -> int:
    """Number of parameters (trainable and non-trainable, e.g. BatchNorm moving statistics)."""
    return int(model.count_params())


def count_trainable_params(model: keras.Model) -> int:
    """Number of trainable parameters."""
    return int(sum(math.prod(w.shape) for w in model.trainable_weights))


def _spatial(shape: tuple[int | None, ...], layer: keras.layers.Layer) -> int:
    dims = tuple(shape[1:-1])
    if any(d is None for d in dims):
        raise ValueError(
            f"layer {layer.name!r} has unknown spatial size {shape}; build the model with a fixed "
            "input size to count FLOPs"
        )
    return math.prod(dims)


def layer_flops(layer: keras.layers.Layer) -> int:
    """FLOPs of one call of ``layer`` on a batch of one (0 for uncounted layer types)."""
    # transposed conv first: in case a backend makes it a Conv2D subclass
    if isinstance(layer, keras.layers.Conv2DTranspose):
        kh, kw = layer.kernel_size
        c_in = layer.input.shape[-1]
        return 2 * _spatial(layer.input.shape, layer) * c_in * kh * kw * layer.filters
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw = layer.kernel_size
        c_in = layer.input.shape[-1] // layer.groups
        return 2 * _spatial(layer.output.shape, layer) * layer.filters * kh * kw * c_in
    if isinstance(layer, keras.layers.Dense):
        n_in = layer.kernel.shape[0]
        total = 0
        # a shared Dense may be called several times (CBAM's MLP): count every call
        for node in layer._inbound_nodes:
            out_shape = node.outputs[0].shape
            positions = _spatial(out_shape, layer) if len(out_shape) > 2 else 1
            total += 2 * positions * n_in * layer.units
        return total
    return 0


def count_flops(model: keras.Model, batch_size: int = 1) -> int:
    """FLOPs (2 x multiply-accumulates) of one forward pass on ``batch_size`` inputs.

    Nested models are walked recursively.  The model must have a fixed input size.
    """
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += count_flops(layer, batch_size=1)
        else:
            total += layer_flops(layer)
    return int(total * batch_size)


def complexity_table(models: dict[str, keras.Model], patch_size: int = 128) -> pd.DataFrame:
    """Parameters and GFLOPs per ``patch_size x patch_size`` patch of several models.

    Models built for another (fixed) input size are scaled by the ratio of pixel counts, which is
    exact for convolutional layers of fully convolutional networks (and off only by the tiny,
    size-independent CBAM MLPs).

    Parameters
    ----------
    models : dict
        Display name -> built model.
    patch_size : int
        Patch side in pixels (128 in the paper).

    Returns
    -------
    pandas.DataFrame
        Index = model name; columns ``params``, ``trainable_params``, ``gflops_per_patch``.
    """
    rows = {}
    for label, model in models.items():
        height, width = model.input_shape[1:3]
        if height is None or width is None:
            raise ValueError(f"{label}: build the model with a fixed input size to count FLOPs")
        scale = patch_size * patch_size / (height * width)
        rows[label] = {
            "params": count_params(model),
            "trainable_params": count_trainable_params(model),
            "gflops_per_patch": count_flops(model) * scale / 1e9,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    return table


_BLOCK_PATTERN = re.compile(
    r"^(first_conv|down_block\d+|transition_down\d+|bottleneck_block|skip_attention\d+"
    r"|transition_up\d+|up_block\d+|classifier)"
)


def block_table(model: keras.Model) -> pd.DataFrame:
    """Summary of an FC-DenseNet / FCADenseNet by architectural block, in graph order.

    Keras' layer-by-layer summary of a Tiramisu runs to hundreds of rows; grouping the layers
    by the block names the builders give them (``down_block0``, ``transition_down0``,
    ``skip_attention0`` ...) gives one row per block of the paper's figure.

    Parameters
    ----------
    model
        A model built by :func:`fcad_lib.models.build_model`.

    Returns
    -------
    pandas.DataFrame
        Index = block name; columns ``layers``, ``params`` and ``output_shape`` (of the
        block's last layer).
    """
    rows: dict[str, dict[str, Any]] = {}
    for layer in model.layers:
        match = _BLOCK_PATTERN.match(layer.name)
        if not match:
            continue
        row = rows.setdefault(match.group(1), {"layers": 0, "params": 0, "output_shape": None})
        row["layers"] += 1
        row["params"] += int(layer.count_params())
        row["output_shape"] = tuple(layer.output.shape[1:])
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("block")


@dataclass(frozen=True)
class ComplexityFacts:
    """What notebook 03 says about complexity (:func:`complexity_facts`).

    ``cbam_params`` and ``cbam_share``: parameters CBAM adds to FC-DenseNet, absolute and as a
    fraction of FC-DenseNet's. ``largest`` / ``largest_params``: the model with the most
    parameters; ``cheapest`` / ``cheapest_gflops``: the one with the fewest GFLOPs per patch.
    ``paper_variant``: the configuration builds the paper's variant (else Jégou et al.'s).
    ``paper_*`` / ``jegou_*``: FC-DenseNet built each way, and ``param_change`` /
    ``flop_change`` the paper's way relative to Jégou's (fractions).
    """

    cbam_params: int
    cbam_share: float
    largest: str
    largest_params: int
    cheapest: str
    cheapest_gflops: float
    paper_variant: bool
    paper_params: int
    paper_gflops: float
    jegou_params: int
    jegou_gflops: float
    param_change: float
    flop_change: float


def complexity_facts(table: pd.DataFrame, variant_table: pd.DataFrame,
                     model_config: str) -> ComplexityFacts:
    """What CBAM costs and what the paper's variant of FC-DenseNet costs.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`complexity_table` of the compared networks (rows ``FC-DenseNet``,
        ``FCADenseNet`` and the others).
    variant_table : pandas.DataFrame
        :func:`complexity_table` with rows ``FC-DenseNet (Jégou)``, ``FC-DenseNet (paper)``.
    model_config : str
        The configuration the comparison builds.

    Returns
    -------
    ComplexityFacts
    """
    fc, fca = table.loc["FC-DenseNet"], table.loc["FCADenseNet"]
    paper, jegou = (variant_table.loc[f"FC-DenseNet ({v})"] for v in ("paper", "Jégou"))
    return ComplexityFacts(
        cbam_params=int(fca["params"] - fc["params"]),
        cbam_share=fca["params"] / fc["params"] - 1,
        largest=table["params"].idxmax(),
        largest_params=int(table["params"].max()),
        cheapest=table["gflops_per_patch"].idxmin(),
        cheapest_gflops=table["gflops_per_patch"].min(),
        paper_variant=FCDenseNetConfig.from_name(model_config).is_paper_variant,
        paper_params=int(paper["params"]),
        paper_gflops=paper["gflops_per_patch"],
        jegou_params=int(jegou["params"]),
        jegou_gflops=jegou["gflops_per_patch"],
        param_change=paper["params"] / jegou["params"] - 1,
        flop_change=paper["gflops_per_patch"] / jegou["gflops_per_patch"] - 1,
    )
