"""FC-DenseNet ("The One Hundred Layers Tiramisu", Jegou et al. 2017).

The blocks follow the reference implementation (SimJeg/FC-DenseNet, ``layers.py`` and
``FC-DenseNet.py``) one function each:

* first layer: 3x3 convolution with ``n_first_filters`` (48) maps, He-uniform initialisation;
* :func:`dense_layer`: BN - ReLU - 3x3 conv (``k`` maps) - dropout (0.2), optionally preceded by a
  DenseNet-BC bottleneck BN - ReLU - 1x1 conv (``4k`` maps) - dropout;
* :func:`dense_block`: every layer sees the concatenation of the block input and all previous
  layers' outputs; returns the full stack and the ``n_layers * k`` new maps;
* :func:`transition_down`: BN - ReLU - 1x1 conv (same number of maps) - dropout - 2x2 max pool;
* :func:`transition_up`: 3x3 transposed conv, stride 2, applied **only to the new maps** of the
  preceding dense block (filters = number of new maps), then concatenated with the skip.

**Two variants.** The presets ``"56"``, ``"67"``, ``"103"``, ``"tiny"`` are Jégou et al.'s
Tiramisu. Li et al. (2024, Section 3.2) describe their FC-DenseNet differently in three places,
and the suffix ``-paper`` (``"56-paper"``, ``"tiny-paper"``, :meth:`FCDenseNetConfig.paper_variant`)
builds that text: a 1x1 bottleneck (``4k`` maps) before every 3x3 conv of a dense layer
(``bottleneck=True``), a transition down whose 1x1 conv keeps ``compression`` (0.5) of the
maps, and a transition up made of 2x2 up-sampling followed by a 3x3 conv
(``upsampling="resize"``) instead of the transposed conv.

Down path: ``n_pool`` x (dense block -> skip -> transition down); bottleneck dense block; up path:
``n_pool`` x (transition up -> dense block).  As in the reference, only the new maps of each
up-path block are upsampled (this is what keeps the model's memory linear in depth), while the
final 1x1 classifier sees the full stack of the last block.  The classifier here has one output
channel with a sigmoid (the paper: one class, sigmoid + binary cross-entropy); ``n_classes > 1``
gives the reference softmax head, used to compare parameter counts with Jegou et al. (CamVid, 11
classes).

Parameter counts (3 input channels, 11 CamVid classes, trainable weights = conv kernels and biases,
BatchNorm scale and offset, as Lasagne's ``count_params(trainable=True)``) measured with this
module: FC-DenseNet56 1.377M, FC-DenseNet67 3.463M, FC-DenseNet103 9.322M (with the BatchNorm
moving statistics: 1.398M, 3.503M, 9.425M).  Jegou et al. (2017, Table 2) report 1.5M, 3.5M and
9.4M.  The 56-layer figure is ~8 % above what faithful re-implementations of the reference code
obtain (1.4M; see SimJeg/FC-DenseNet issue #31, where 103 also comes out at 9.2-9.3M), so the
published 1.5M is best read as rounded up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Literal

import keras
from keras import layers

#: Signature of an attention module plugged onto the skip connections: ``f(x, name) -> x'``.
SkipAttention = Callable[[keras.KerasTensor, str], keras.KerasTensor]

_INIT = "he_uniform"  # the reference's HeUniform(gain='relu')


@dataclass(frozen=True)
class FCDenseNetConfig:
    """Hyper-parameters of an FC-DenseNet.

    Parameters
    ----------
    n_first_filters : int
        Maps of the first 3x3 convolution (48 in Jegou et al.).
    growth_rate : int
        ``k``, maps produced by every dense layer.
    layers_per_block : tuple of int or int
        Layers of the ``2 * n_pool + 1`` dense blocks, down path, bottleneck, up path.  An int is
        expanded to the same number for every block.
    n_pool : int
        Number of transition downs (and ups); the patch size must be divisible by ``2**n_pool``.
    dropout : float
        Dropout rate after every convolution of the dense layers and transition downs.
    bottleneck : bool
        Precede every 3x3 convolution by a 1x1 convolution to ``4k`` maps (DenseNet-BC).
    compression : float
        ``theta`` in (0, 1]: the 1x1 convolution of each transition down keeps
        ``max(1, floor(theta * C))`` of its ``C`` input maps (1.0 = Jégou, 0.5 = the paper's text).
    upsampling : {"transposed", "resize"}
        Transition up by a 3x3 transposed conv of stride 2 (Jégou) or by 2x2 nearest-neighbour
        up-sampling followed by a 3x3 conv (the paper's text).
    """

    n_first_filters: int = 48
    growth_rate: int = 16
    layers_per_block: tuple[int, ...] = field(default=(5,) * 11)
    n_pool: int = 5
    dropout: float = 0.2
    bottleneck: bool = False
    compression: float = 1.0
    upsampling: Literal["transposed", "resize"] = "transposed"

    def __post_init__(self) -> None:
        blocks = self.layers_per_block
        if isinstance(blocks, int):
            blocks = (blocks,) * (2 * self.n_pool + 1)
        blocks = tuple(int(n) for n in blocks)
        # frozen dataclass: normalise the field once, here
        object.__setattr__(self, "layers_per_block", blocks)
        if self.n_pool < 1:
            raise ValueError(f"n_pool must be >= 1, got {self.n_pool}")
        if len(blocks) != 2 * self.n_pool + 1:
            raise ValueError(
                f"layers_per_block needs 2 * n_pool + 1 = {2 * self.n_pool + 1} entries "
                f"(down path, bottleneck, up path), got {len(blocks)}: {blocks}"
            )
        if any(n < 1 for n in blocks) or self.growth_rate < 1 or self.n_first_filters < 1:
            raise ValueError(f"layer counts and filter numbers must be positive: {self}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {self.dropout}")
        if not 0.0 < self.compression <= 1.0:
            raise ValueError(f"compression must lie in (0, 1], got {self.compression}")
        if self.upsampling not in ("transposed", "resize"):
            raise ValueError(
                f"upsampling must be 'transposed' or 'resize', got {self.upsampling!r}"
            )

    @classmethod
    def fc_densenet56(cls) -> FCDenseNetConfig:
        """FC-DenseNet56: k = 12, 4 layers per block (~1.4M parameters)."""
        return cls(growth_rate=12, layers_per_block=(4,) * 11)

    @classmethod
    def fc_densenet67(cls) -> FCDenseNetConfig:
        """FC-DenseNet67: k = 16, 5 layers per block (~3.5M parameters)."""
        return cls(growth_rate=16, layers_per_block=(5,) * 11)

    @classmethod
    def fc_densenet103(cls) -> FCDenseNetConfig:
        """FC-DenseNet103: k = 16, blocks of 4, 5, 7, 10, 12, 15, 12, 10, 7, 5, 4 layers (~9.4M)."""
        return cls(growth_rate=16, layers_per_block=(4, 5, 7, 10, 12, 15, 12, 10, 7, 5, 4))

    @classmethod
    def tiny(cls) -> FCDenseNetConfig:
        """A narrow, shallow network for CPU tests: 16 first maps, k = 8, 3 pools, 2 layers/block.

        Runs on 64x64 patches (64 is divisible by 2**3).
        """
        return cls(n_first_filters=16, growth_rate=8, layers_per_block=(2,) * 7, n_pool=3)

    def paper_variant(self, compression: float = 0.5) -> FCDenseNetConfig:
        """The same layout built as Li et al. (2024) describe it.

        Bottleneck 1x1 conv (``4k`` maps) in every dense layer, transition down compressing to
        ``compression`` of the maps, transition up = 2x2 up-sampling + 3x3 conv.
        """
        return self.replace(bottleneck=True, compression=compression, upsampling="resize")

    @property
    def is_paper_variant(self) -> bool:
        """Whether all three of the paper's departures from Jégou et al. are switched on."""
        return self.bottleneck and self.compression < 1.0 and self.upsampling == "resize"

    @classmethod
    def from_name(cls, name: str | int | FCDenseNetConfig) -> FCDenseNetConfig:
        """Return a preset by name: ``"56"``, ``"67"``, ``"103"`` or ``"tiny"``.

        ``"fc_densenet56"`` / ``"FC-DenseNet56"`` spellings and an existing config are accepted.
        A suffix ``-paper`` (``"56-paper"``, ``"tiny-paper"``) returns :meth:`paper_variant`.
        ``"compact"`` (the CPU profiles' parameter-matched size) is ``"tiny-paper"``.
        """
        if isinstance(name, FCDenseNetConfig):
            return name
        key = str(name).lower().replace("fc-densenet", "").replace("fc_densenet", "").strip()
        if key == "compact":
            key = "tiny-paper"
        for suffix in ("-paper", "_paper"):
            if key.endswith(suffix):
                return cls.from_name(key[: -len(suffix)]).paper_variant()
        presets = {
            "56": cls.fc_densenet56,
            "67": cls.fc_densenet67,
            "103": cls.fc_densenet103,
            "tiny": cls.tiny,
        }
        if key not in presets:
            raise ValueError(f"unknown FC-DenseNet config {name!r}; choose one of {list(presets)}")
        return presets[key]()

    def replace(self, **changes: object) -> FCDenseNetConfig:
        """Return a copy with some fields changed (unknown names raise ``TypeError``)."""
        return replace(self, **changes)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Names of the configurable fields."""
        return tuple(f.name for f in fields(cls))


def _bn_relu_conv(
    x: keras.KerasTensor, filters: int, kernel_size: int, dropout: float, name: str
) -> keras.KerasTensor:
    """BN - ReLU - conv - dropout, the reference's ``BN_ReLU_Conv``."""
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    x = layers.ReLU(name=f"{name}_relu")(x)
    x = layers.Conv2D(
        filters, kernel_size, padding="same", kernel_initializer=_INIT, name=f"{name}_conv"
    )(x)
    if dropout > 0:
        x = layers.Dropout(dropout, name=f"{name}_drop")(x)
    return x


def dense_layer(
    x: keras.KerasTensor,
    growth_rate: int,
    dropout: float = 0.2,
    bottleneck: bool = False,
    name: str = "dense_layer",
) -> keras.KerasTensor:
    """One dense layer: [BN-ReLU-1x1 conv(4k)-dropout] BN-ReLU-3x3 conv(k)-dropout.

    Returns only the ``growth_rate`` new maps; the caller concatenates.
    """
    if bottleneck:
        x = _bn_relu_conv(x, 4 * growth_rate, 1, dropout, name=f"{name}_bottleneck")
    return _bn_relu_conv(x, growth_rate, 3, dropout, name=name)


def dense_block(
    x: keras.KerasTensor,
    n_layers: int,
    growth_rate: int,
    dropout: float = 0.2,
    bottleneck: bool = False,
    name: str = "dense_block",
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """A dense block of ``n_layers`` dense layers.

    Returns
    -------
    stack : KerasTensor
        The block input concatenated with all new maps (``C_in + n_layers * k`` channels).
    new_maps : KerasTensor
        The ``n_layers * k`` maps produced inside the block (what a transition up upsamples).
    """
    stack = x
    new = []
    for j in range(n_layers):
        out = dense_layer(stack, growth_rate, dropout, bottleneck, name=f"{name}_layer{j}")
        new.append(out)
        stack = layers.Concatenate(name=f"{name}_concat{j}")([stack, out])
    new_maps = new[0] if len(new) == 1 else layers.Concatenate(name=f"{name}_new")(new)
    return stack, new_maps


def transition_down(
    x: keras.KerasTensor,
    dropout: float = 0.2,
    name: str = "transition_down",
    compression: float = 1.0,
) -> keras.KerasTensor:
    """BN - ReLU - 1x1 conv - dropout - 2x2 max pool.

    The conv keeps the number of maps (Jégou) or ``max(1, floor(compression * C))`` of them
    (DenseNet-BC's theta; the paper's "channel-reducing" 1x1 conv).
    """
    filters = max(1, int(compression * x.shape[-1]))
    x = _bn_relu_conv(x, filters, 1, dropout, name=name)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def transition_up(
    new_maps: keras.KerasTensor,
    skip: keras.KerasTensor,
    name: str = "transition_up",
    upsampling: Literal["transposed", "resize"] = "transposed",
) -> keras.KerasTensor:
    """Upsample the new maps only by 2, then concatenate with the skip.

    ``"transposed"``: a 3x3 transposed conv of stride 2 (Jégou).  ``"resize"``: 2x2
    nearest-neighbour up-sampling, then a 3x3 conv (the paper's text).  Either way the number of
    filters equals the number of new maps (``n_layers * k`` of the preceding block), as in the
    reference's ``TransitionUp(..., n_filters_keep)``.
    """
    filters = new_maps.shape[-1]
    if upsampling == "resize":
        up = layers.UpSampling2D(2, name=f"{name}_upsample")(new_maps)
        up = layers.Conv2D(filters, 3, padding="same", kernel_initializer=_INIT,
                           name=f"{name}_conv")(up)
    elif upsampling == "transposed":
        up = layers.Conv2DTranspose(filters, 3, strides=2, padding="same",
                                    kernel_initializer=_INIT, name=f"{name}_deconv")(new_maps)
    else:
        raise ValueError(f"upsampling must be 'transposed' or 'resize', got {upsampling!r}")
    return layers.Concatenate(name=f"{name}_concat")([up, skip])


def check_patch_size(input_shape: tuple[int | None, ...], n_pool: int, model: str) -> None:
    """Raise ``ValueError`` unless height and width are divisible by ``2**n_pool``.

    ``None`` (a fully convolutional, any-size input) is accepted and checked at call time by the
    layers themselves.
    """
    if len(input_shape) != 3:
        raise ValueError(
            f"{model}: input_shape must be (height, width, channels), got {input_shape}"
        )
    factor = 2**n_pool
    for axis, size in zip(("height", "width"), input_shape[:2], strict=True):
        if size is not None and (size <= 0 or size % factor):
            raise ValueError(
                f"{model}: patch {axis} {size} is not divisible by 2**{n_pool} = {factor} "
                f"({n_pool} poolings); use a patch size that is a multiple of {factor}"
            )


def classifier(
    x: keras.KerasTensor, n_classes: int = 1, name: str = "classifier"
) -> keras.KerasTensor:
    """1x1 convolution to ``n_classes`` maps, then sigmoid (1 class) or softmax (more).

    The activation runs in float32 so that the probabilities stay float32 under mixed precision.
    """
    x = layers.Conv2D(n_classes, 1, kernel_initializer=_INIT, name=f"{name}_conv")(x)
    activation = "sigmoid" if n_classes == 1 else "softmax"
    return layers.Activation(activation, dtype="float32", name=f"{name}_{activation}")(x)


def build_fcdensenet(
    input_shape: tuple[int | None, int | None, int],
    config: FCDenseNetConfig | str = "56",
    skip_attention: SkipAttention | None = None,
    attention_where: Literal["skip", "concat"] = "skip",
    n_classes: int = 1,
    name: str = "fc_densenet",
) -> keras.Model:
    """Build an FC-DenseNet.

    Parameters
    ----------
    input_shape : tuple
        ``(height, width, channels)``; height and width divisible by ``2**config.n_pool``.
    config : FCDenseNetConfig or str
        The hyper-parameters or a preset name (``"56"``, ``"67"``, ``"103"``, ``"tiny"``).
    skip_attention : callable, optional
        ``f(x, name) -> x'`` applied in each of the ``n_pool`` transition ups (FCADenseNet plugs
        CBAM in here).  ``None`` gives the plain FC-DenseNet.
    attention_where : {"skip", "concat"}
        ``"skip"``: refine the skip feature map before it is concatenated with the upsampled maps;
        ``"concat"``: refine the concatenation (upsampled + skip).
    n_classes : int
        1 (sigmoid, the paper) or more (softmax, the reference on CamVid).
    name : str
        Model name.

    Returns
    -------
    keras.Model
        Output ``(height, width, n_classes)`` float32 probabilities.
    """
    config = FCDenseNetConfig.from_name(config)
    check_patch_size(input_shape, config.n_pool, name)
    if attention_where not in ("skip", "concat"):
        raise ValueError(f"attention_where must be 'skip' or 'concat', got {attention_where!r}")
    n_pool, k, drop, bc = config.n_pool, config.growth_rate, config.dropout, config.bottleneck
    blocks = config.layers_per_block

    inputs = keras.Input(shape=input_shape, name="factors")
    stack = layers.Conv2D(
        config.n_first_filters, 3, padding="same", kernel_initializer=_INIT, name="first_conv"
    )(inputs)

    # down path: the full stack of each block is the skip connection
    skips = []
    for i in range(n_pool):
        stack, _ = dense_block(stack, blocks[i], k, drop, bc, name=f"down_block{i}")
        skips.append(stack)
        stack = transition_down(stack, drop, name=f"transition_down{i}",
                                compression=config.compression)

    # bottleneck: only its new maps go up
    stack, new_maps = dense_block(stack, blocks[n_pool], k, drop, bc, name="bottleneck_block")

    # up path
    for i in range(n_pool):
        skip = skips[n_pool - 1 - i]
        if skip_attention is not None and attention_where == "skip":
            skip = skip_attention(skip, f"skip_attention{i}")
        stack = transition_up(new_maps, skip, name=f"transition_up{i}",
                              upsampling=config.upsampling)
        if skip_attention is not None and attention_where == "concat":
            stack = skip_attention(stack, f"skip_attention{i}")
        stack, new_maps = dense_block(
            stack, blocks[n_pool + 1 + i], k, drop, bc, name=f"up_block{i}"
        )

    outputs = classifier(stack, n_classes)
    return keras.Model(inputs, outputs, name=name)
