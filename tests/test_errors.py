"""Bad arguments to factories and calls get errors that name the argument and the value."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxinit
from jaxinit import inplace


@pytest.mark.parametrize(
    "factory,kwargs,error,match",
    [
        (
            jaxinit.kaiming_uniform,
            {"mode": "fan_inn"},
            ValueError,
            r"`mode` must be 'fan_in' or 'fan_out', got 'fan_inn'",
        ),
        (
            jaxinit.kaiming_normal,
            {"nonlinearity": "gelu"},
            ValueError,
            r"`nonlinearity` must be one of .* got 'gelu'",
        ),
        (
            jaxinit.variance_scaling,
            {"distribution": "cauchy"},
            ValueError,
            r"`distribution` must be one of 'normal', 'truncated_normal', 'uniform', got 'cauchy'",
        ),
        (
            jaxinit.variance_scaling,
            {"mode": "fan_sum"},
            ValueError,
            r"`mode` must be one of .*'fan_geo_avg', got 'fan_sum'",
        ),
        (jaxinit.variance_scaling, {"scale": 0.0}, ValueError, r"`scale` must be > 0, got 0.0"),
        (jaxinit.normal, {"std": -1.0}, ValueError, r"`std` must be >= 0, got -1.0"),
        (jaxinit.trunc_normal, {"std": 0.0}, ValueError, r"`std` must be > 0, got 0.0"),
        (
            jaxinit.trunc_normal,
            {"a": 2.0, "b": 2.0},
            ValueError,
            r"`a` must be less than `b`, got a=2.0, b=2.0",
        ),
        (jaxinit.uniform, {"a": 1.0, "b": 0.0}, ValueError, r"`a` must be less than `b`, got a=1.0, b=0.0"),
        (jaxinit.xavier_uniform, {"gain": math.inf}, ValueError, r"`gain` must be finite, got inf"),
        (jaxinit.orthogonal, {"gain": math.nan}, ValueError, r"`gain` must be finite, got nan"),
        (jaxinit.xavier_normal, {"gain": -1.0}, ValueError, r"`gain` must be >= 0, got -1.0"),
        (jaxinit.normal, {"std": "1"}, TypeError, r"`std` must be a real number, got '1'"),
        (jaxinit.normal, {"mean": True}, TypeError, r"`mean` must be a real number, got True"),
        (jaxinit.normal, {"std": jnp.ones(2)}, TypeError, r"`std` must be a real scalar"),
        (jaxinit.sparse, {"sparsity": -0.1}, ValueError, r"`sparsity` must be in \[0, 1\], got -0.1"),
        (jaxinit.xavier_uniform, {"layout": "nhwc"}, ValueError, r"`layout` must be one of"),
        (jaxinit.normal, {"dtype": "floatx"}, TypeError, r"`dtype` must be a dtype, got 'floatx'"),
    ],
)
def test_factory_errors(factory, kwargs, error, match):
    with pytest.raises(error, match=match):
        factory(**kwargs)


BAD = [
    (
        lambda: jaxinit.kaiming_uniform(a=1e200),
        ValueError,
        r"`a` \(the negative slope of leaky_relu\) must be at most 1e150",
    ),
    (lambda: jaxinit.calculate_gain("leaky_relu", 1e200), ValueError, r"`param` .* got 1e\+200"),
    (
        lambda: jaxinit.calculate_gain("leaky_relu", True),
        ValueError,
        r"`param` must be a real number, got True",
    ),
    (
        lambda: jaxinit.calculate_gain("leaky_relu", [1]),
        ValueError,
        r"`param` must be a real number, got \[1\]",
    ),
    (lambda: jaxinit.uniform(10**400), ValueError, r"`a` must be finite, got an integer of 401 digits"),
    (
        lambda: jaxinit.reinit({"b": jnp.ones(3)}, jax.random.key(0), {"*b": jaxinit.zeros}),
        TypeError,
        r"rule '\*b' maps to the factory jaxinit.zeros, not to an initializer: call it",
    ),
    (
        lambda: jaxinit.reinit({"b": jnp.ones(3)}, jax.random.key(0), {"*b": 0.0}),
        TypeError,
        r"rule '\*b' maps to 0.0, which is not an initializer",
    ),
    (
        lambda: jaxinit.reinit({"b": jnp.ones(3)}, jax.random.key(0), [("*b",)]),
        TypeError,
        r"`rules` entry 0 must be a \(pattern, initializer\) pair, got \('\*b',\)",
    ),
    (
        lambda: jaxinit.reinit({"b": jnp.ones(3)}, jax.random.key(0), None),
        TypeError,
        r"`rules` must be a dict or a sequence of \(pattern, initializer\) pairs, got None",
    ),
    (
        lambda: jaxinit.reinit(
            {"dense": {"bias": jnp.ones(32)}}, jax.random.key(0), {"*bias": jaxinit.xavier_uniform()}
        ),
        ValueError,
        r"rule '\*bias' -> xavier_uniform\(gain=1.0\) on leaf 'dense/bias' \(shape \(32,\), float32\): fan in",
    ),
    (
        lambda: jaxinit.reinit(
            {"b": jnp.ones(3)}, jax.random.key(0), {"*b": jax.nn.initializers.lecun_normal}
        ),
        TypeError,
        r"on leaf 'b' .* returned function of shape None",
    ),
    (
        lambda: jaxinit.normal()(jnp.zeros(4, jnp.uint32), (2,)),
        TypeError,
        r"`key` is raw uint32 key data of shape \(4,\), but the default PRNG implementation",
    ),
    (
        lambda: jaxinit.sparse(0.5, in_axis=())(jax.random.key(0), (3, 4)),
        ValueError,
        r"sparse needs one input axis and one output axis, got in_axis=\(\)",
    ),
    (
        lambda: jaxinit.normal()(jax.random.key(0), {3, 2}),
        TypeError,
        r"`shape` must be an int or a sequence of non-negative ints, got set",
    ),
    (
        lambda: jaxinit.normal()(jax.random.key(0), ((2, 3), 4)),
        TypeError,
        r"`shape` must be an int or a sequence of non-negative ints, got \(\(2, 3\), 4\): entry 0 is \(2, 3\)",
    ),
    (lambda: jaxinit.calculate_fan_in_and_fan_out(((2, 3), 4)), TypeError, r"`shape` .* got \(\(2, 3\), 4\)"),
    (
        lambda: jaxinit.normal()(jax.random.key(0), (2, 3.0)),
        TypeError,
        r"`shape` entries must be integers, got 3.0",
    ),
    (lambda: jaxinit.normal()(jax.random.key(0), {3: 2}), TypeError, r"got dict \{3: 2\}"),
    (
        lambda: jaxinit.normal()(jax.random.key(0), np.ones((2, 2), int)),
        TypeError,
        r"or a 1-D integer array, got an array of dtype int64 and shape \(2, 2\)",
    ),
    (lambda: jaxinit.path_key(jax.random.key(0), 3), TypeError, r"`path` must be a str .* got 3"),
    (
        lambda: jaxinit.Initializer("foo", {}),
        TypeError,
        r"`recipe` must be a jaxinit Recipe, got 'foo'.*jaxinit.get",
    ),
    (
        lambda: inplace.normal_(np.empty(3), generator=3),
        TypeError,
        r"`generator` must be a JAX key, .* got 3",
    ),
]


@pytest.mark.parametrize("call,error,match", BAD, ids=[m[:40] for _, _, m in BAD])
def test_bad_inputs_get_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_nnx_rngs_as_key_or_generator():
    nnx = pytest.importorskip("flax.nnx")
    with pytest.raises(
        TypeError,
        match=r"`key` must be a PRNG key, got an nnx.Rngs; pass one of "
        r"its keys, e.g. rngs.params\(\)",
    ):
        jaxinit.normal()(nnx.Rngs(0), (2,))
    with pytest.raises(
        ValueError,
        match=r"an nnx.Rngs without a 'params' or 'default' stream "
        r"\(it has \['dropout'\]\)",
    ):
        inplace.normal_(np.empty(3, np.float32), generator=nnx.Rngs(dropout=0))
    assert inplace.normal_(np.empty(3, np.float32), generator=nnx.Rngs(dropout=0).dropout).shape == (3,)
