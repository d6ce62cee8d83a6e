"""calculate_gain and calculate_fan_in_and_fan_out against torch's tables and formulas."""

import math

import numpy as np
import pytest

import jaxinit


@pytest.mark.parametrize(
    "name,expected",
    [
        ("linear", 1.0),
        ("identity", 1.0),
        ("conv1d", 1.0),
        ("conv2d", 1.0),
        ("conv3d", 1.0),
        ("conv_transpose1d", 1.0),
        ("conv_transpose2d", 1.0),
        ("conv_transpose3d", 1.0),
        ("sigmoid", 1.0),
        ("tanh", 5.0 / 3.0),
        ("relu", math.sqrt(2.0)),
        ("selu", 0.75),
        ("leaky_relu", math.sqrt(2.0 / (1 + 0.01**2))),
    ],
)
def test_gain_table(name, expected):
    gain = jaxinit.calculate_gain(name)
    assert type(gain) is float
    assert gain == expected


def test_leaky_relu_slope_values_of_torch_tests():
    assert jaxinit.calculate_gain("leaky_relu", 10) == pytest.approx(0.14071950894605836, rel=1e-15)
    assert jaxinit.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert jaxinit.calculate_gain("leaky_relu", np.float32(0.5)) == math.sqrt(2.0 / 1.25)
    assert type(jaxinit.calculate_gain("leaky_relu", 3)) is float


@pytest.mark.parametrize("param", [True, [1.0], {"a": 1}, "0.1", 1j])
def test_gain_param_must_be_real(param):
    with pytest.raises((TypeError, ValueError), match="`param` must be a real"):
        jaxinit.calculate_gain("leaky_relu", param)


def test_gain_unknown_nonlinearity_lists_valid_names():
    with pytest.raises(ValueError, match=r"`nonlinearity` must be one of .*'leaky_relu'.*got 'relu6'"):
        jaxinit.calculate_gain("relu6")


@pytest.mark.parametrize(
    "shape,kwargs,expected",
    [
        ((3, 5), {}, (3, 5)),
        ((3, 3, 64, 128), {}, (576, 1152)),
        ((7, 16, 32), {}, (112, 224)),
        ((5, 3), {"layout": "torch"}, (3, 5)),
        ((128, 64, 3, 3), {"layout": "torch"}, (576, 1152)),
        ((3, 3, 64, 128), {"layout": "flax"}, (576, 1152)),
        ((10, 4, 8), {"in_axis": 0, "out_axis": (1, 2)}, (10, 32)),  # attention out kernel
        ((512, 8, 64), {"in_axis": 0, "out_axis": (-2, -1)}, (512, 512)),  # q/k/v kernel
        ((4, 3, 3, 8, 16), {"batch_axis": 0}, (72, 144)),  # grouped, leading G axis
        (
            (4, 2, 6, 3, 3),
            {"in_axis": 2, "out_axis": 1, "batch_axis": 0},
            (54, 18),
        ),  # MegEngine (G, O/G, I/G, K, K)
        ((0, 5), {}, (0, 5)),
        ((3, 3, 0, 4), {}, (0, 36)),
    ],
)
def test_fans(shape, kwargs, expected):
    fans = jaxinit.calculate_fan_in_and_fan_out(shape, **kwargs)
    assert fans == expected and all(type(f) is int for f in fans)
    assert jaxinit.calculate_correct_fan(shape, "fan_in", **kwargs) == expected[0]
    assert jaxinit.calculate_correct_fan(shape, "fan_out", **kwargs) == expected[1]


def test_fans_of_an_array():
    assert jaxinit.calculate_fan_in_and_fan_out(np.zeros((2, 3, 4))) == (6, 8)


@pytest.mark.parametrize("shape", [(), (5,), 5])
def test_fans_need_two_dims(shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        jaxinit.calculate_fan_in_and_fan_out(shape)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"in_axis": 2}, r"`in_axis` 2 is out of range for a 2-dimensional shape"),
        ({"out_axis": -3}, r"`out_axis` -3 is out of range"),
        ({"in_axis": 0, "out_axis": 0}, r"`out_axis` and `in_axis` overlap: axis 0"),
        ({"in_axis": -1, "out_axis": 1}, r"overlap: axis 1"),
        ({"in_axis": 0, "out_axis": 1, "batch_axis": 1}, r"`batch_axis` and `out_axis` overlap"),
        ({"layout": "nchw"}, r"`layout` must be one of 'flax', 'jax', 'torch', got 'nchw'"),
        ({"layout": "torch", "in_axis": 0}, r"either `layout` or `in_axis`/`out_axis`, not both"),
        ({"in_axis": 0.5}, r"`in_axis` must be an integer, got 0.5"),
    ],
)
def test_axis_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        jaxinit.calculate_fan_in_and_fan_out((4, 6), **kwargs)


def test_correct_fan_mode_error():
    with pytest.raises(ValueError, match=r"`mode` must be 'fan_in' or 'fan_out', got 'fan_inn'"):
        jaxinit.calculate_correct_fan((3, 4), "fan_inn")
