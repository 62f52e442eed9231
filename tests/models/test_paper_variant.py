"""The paper's FC-DenseNet variant (bottleneck, compression, up-sampling + conv) beside Jégou's."""

from __future__ import annotations

import keras
import pytest

from fcad_lib.models import FCDenseNetConfig, build_fcdensenet, build_model

# A network small enough to count by hand: 4 first maps, k = 2, one layer per block, one pool.
SMALL = FCDenseNetConfig(n_first_filters=4, growth_rate=2, layers_per_block=1, n_pool=1)


def _bn(c: int) -> int:
    return 4 * c  # gamma, beta, moving mean, moving variance


def _conv(k: int, c_in: int, c_out: int) -> int:
    return k * k * c_in * c_out + c_out


def test_parameter_count_of_a_small_paper_variant_matches_a_hand_count() -> None:
    model = build_fcdensenet((8, 8, 3), SMALL.paper_variant())
    expected = (
        _conv(3, 3, 4)                                  # first conv: 4 maps
        + _bn(4) + _conv(1, 4, 8) + _bn(8) + _conv(3, 8, 2)   # down layer: 1x1 to 4k, 3x3 to k
        + _bn(6) + _conv(1, 6, 3)                       # transition down: 6 -> floor(0.5 * 6)
        + _bn(3) + _conv(1, 3, 8) + _bn(8) + _conv(3, 8, 2)   # bottleneck block layer
        + _conv(3, 2, 2)                                # transition up: up-sample, 3x3 conv
        + _bn(8) + _conv(1, 8, 8) + _bn(8) + _conv(3, 8, 2)   # up layer on 2 + 6 skip maps
        + _conv(1, 10, 1)                               # classifier on 8 + 2 maps
    )
    assert model.count_params() == expected == 944


def test_parameter_count_of_the_same_jegou_network_matches_a_hand_count() -> None:
    model = build_fcdensenet((8, 8, 3), SMALL)
    expected = (
        _conv(3, 3, 4)
        + _bn(4) + _conv(3, 4, 2)
        + _bn(6) + _conv(1, 6, 6)
        + _bn(6) + _conv(3, 6, 2)
        + 3 * 3 * 2 * 2 + 2                            # 3x3 transposed conv, 2 -> 2 maps
        + _bn(8) + _conv(3, 8, 2)
        + _conv(1, 10, 1)
    )
    assert model.count_params() == expected == 629


@pytest.fixture(scope="module")
def paper_tiny() -> keras.Model:
    return build_model("fcadensenet", (64, 64, 5), config="tiny-paper")


def test_every_3x3_dense_conv_is_fed_by_a_1x1_bottleneck(paper_tiny: keras.Model) -> None:
    k = FCDenseNetConfig.tiny().growth_rate
    dense_convs = [layer for layer in paper_tiny.layers if isinstance(layer, keras.layers.Conv2D)
                   and "_layer" in layer.name and not layer.name.endswith("bottleneck_conv")]
    assert len(dense_convs) == sum(FCDenseNetConfig.tiny().layers_per_block)
    for conv in dense_convs:
        assert conv.kernel_size == (3, 3) and conv.filters == k
        bottleneck = paper_tiny.get_layer(conv.name.replace("_conv", "_bottleneck_conv"))
        assert bottleneck.kernel_size == (1, 1) and bottleneck.filters == 4 * k
        # the 3x3 conv reads the 4k bottleneck maps, whatever the size of the stack
        assert conv.input.shape[-1] == 4 * k


def test_transitions_compress_and_upsample_without_transposed_convs(
    paper_tiny: keras.Model,
) -> None:
    n_pool = FCDenseNetConfig.tiny().n_pool
    for i in range(n_pool):
        td = paper_tiny.get_layer(f"transition_down{i}_conv")
        assert td.filters == td.input.shape[-1] // 2
        assert isinstance(paper_tiny.get_layer(f"transition_up{i}_upsample"),
                          keras.layers.UpSampling2D)
        assert paper_tiny.get_layer(f"transition_up{i}_conv").kernel_size == (3, 3)
    assert not any(isinstance(layer, keras.layers.Conv2DTranspose) for layer in paper_tiny.layers)


def test_presets_name_both_variants() -> None:
    jegou = FCDenseNetConfig.from_name("56")
    paper = FCDenseNetConfig.from_name("FC-DenseNet56-paper")
    assert not jegou.is_paper_variant and paper.is_paper_variant
    assert paper.replace(bottleneck=False, compression=1.0, upsampling="transposed") == jegou
    with pytest.raises(ValueError, match="compression"):
        FCDenseNetConfig(compression=0.0)
    with pytest.raises(ValueError, match="upsampling"):
        FCDenseNetConfig(upsampling="bilinear")
