"""The call's arguments: which keys, shapes and dtypes are accepted, and the errors for the rest."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxinit


@pytest.mark.parametrize("int_like", [5, (5,), [2, 3], np.array([2, 3]), (np.int64(2), 3)])
def test_shape_forms(int_like, key):
    x = jaxinit.normal()(key, int_like)
    assert x.shape == tuple(np.atleast_1d(np.asarray(int_like)).tolist())


def test_default_dtype_and_factory_dtype(key):
    assert jaxinit.normal()(key, (2,)).dtype == jnp.float32
    init = jaxinit.normal(dtype=jnp.bfloat16)
    assert init(key, (2,)).dtype == jnp.bfloat16
    assert init(key, (2,), jnp.float16).dtype == jnp.float16  # the call's dtype wins
    with jax.enable_x64(True):
        assert jaxinit.normal()(key, (2,)).dtype == jnp.float64
        assert jaxinit.normal()(key, (2,), jnp.float32).dtype == jnp.float32
        assert jaxinit.normal()(key, (2,), jnp.bfloat16).dtype == jnp.bfloat16


@pytest.mark.parametrize("dtype", [jnp.int8, jnp.int32, jnp.uint8, jnp.bool_])
def test_integer_dtypes(dtype, key):
    assert jaxinit.ones()(key, (2, 2), dtype).dtype == dtype
    assert jaxinit.zeros()(key, (2, 2), dtype).dtype == dtype
    assert int(jaxinit.constant(1)(key, (2,), dtype)[0]) == 1
    with pytest.raises(
        TypeError, match=f"draws random floats and needs a floating dtype, got {jnp.dtype(dtype).name}"
    ):
        jaxinit.normal()(key, (2,), dtype)
    with pytest.raises(TypeError, match="needs a floating dtype"):
        jaxinit.kaiming_uniform(dtype=dtype)


def test_constant_rejects_inexact_values(key):
    with pytest.raises(ValueError, match=r"`val` 0.5 cannot be represented exactly in int32"):
        jaxinit.constant(0.5)(key, (2,), jnp.int32)
    with pytest.raises(ValueError, match=r"`val` 300.0 cannot be represented exactly in uint8"):
        jaxinit.constant(300)(key, (2,), jnp.uint8)
    with pytest.raises(ValueError, match="not finite in float16"):
        jaxinit.constant(1e6)(key, (2,), jnp.float16)


def test_complex_dtypes_raise(key):
    with pytest.raises(TypeError, match="complex dtypes are not supported, got complex64"):
        jaxinit.variance_scaling()(key, (3, 3), jnp.complex64)
    with pytest.raises(TypeError, match="complex dtypes are not supported"):
        jaxinit.normal(dtype=jnp.complex64)


def test_float64_without_x64_is_an_error(key):
    with pytest.raises(TypeError, match="float64, which JAX gives only with jax_enable_x64"):
        jaxinit.normal()(key, (2,), jnp.float64)


def test_no_silent_overflow(key):
    with pytest.raises(ValueError, match="beyond the largest finite float16"):
        jaxinit.uniform(-1e6, 1e6)(key, (2,), jnp.float16)
    with pytest.raises(ValueError, match="beyond the largest finite float16"):
        jaxinit.normal(std=1e4)(key, (2,), jnp.float16)


def test_zero_element_shapes(key):
    for init in (jaxinit.kaiming_uniform(), jaxinit.xavier_normal(), jaxinit.lecun_normal()):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            x = init(key, (0, 5), jnp.bfloat16)
        assert x.shape == (0, 5) and x.dtype == jnp.bfloat16
    assert jaxinit.normal()(key, (3, 0)).shape == (3, 0)
    assert jaxinit.orthogonal()(key, (0, 4)).shape == (0, 4)
    with pytest.raises(ValueError, match="eye needs a 2-dimensional shape"):
        jaxinit.eye()(key, (0, 2, 2))
    with pytest.raises(ValueError, match="fan_in is 0 for shape"):
        jaxinit.kaiming_uniform().distribution((0, 4))


@pytest.mark.parametrize(
    "bad_key,match",
    [
        (0, r"`key` must be a PRNG key .* got 0"),
        (
            jnp.zeros(3, jnp.uint32),
            r"raw uint32 key data of shape \(3,\), but the default PRNG "
            r"implementation \(threefry2x32\) uses shape \(2,\)",
        ),
        (jnp.zeros(2, jnp.float32), r"got float32\[2\]"),
    ],
)
def test_bad_keys(bad_key, match):
    with pytest.raises(TypeError, match=match):
        jaxinit.normal()(bad_key, (2,))


def test_batched_key_is_an_error(key):
    with pytest.raises(ValueError, match="a batch of keys of shape \\(2,\\); use jax.vmap"):
        jaxinit.normal()(jax.random.split(key, 2), (2,))


@pytest.mark.parametrize(
    "shape,error,match",
    [
        ((2, -1), ValueError, r"`shape` entries must be non-negative, got -1"),
        ((2, 1.5), TypeError, r"`shape` entries must be integers, got 1.5"),
        ("23", TypeError, r"`shape` must be an int or a sequence of non-negative ints, got '23'"),
        (2.0, TypeError, r"`shape` must be an int or a sequence of non-negative ints, got 2.0"),
        # nested sequences: NumPy's "setting an array element with a sequence" before
        (((2, 3), 4), TypeError, r"`shape` must be .* got \(\(2, 3\), 4\): entry 0 is \(2, 3\), not an int"),
        ([[2, 3]], TypeError, r"got \[\[2, 3\]\]: entry 0 is \[2, 3\], not an int"),
        ((2, {3}), TypeError, r"got \(2, \{3\}\): entry 1 is \{3\}, not an int"),
        ((np.array([2]), 3), TypeError, r"entry 0 is an array of dtype int64 and shape \(1,\), not an int"),
        # floats, even integral ones, and NumPy floats
        ((2, 3.0), TypeError, r"`shape` entries must be integers, got 3.0 in shape \(2, 3.0\)"),
        ((np.float32(2), 3), TypeError, r"`shape` entries must be integers, got np.float32\(2.0\)"),
        (np.float64(2.0), TypeError, r"`shape` must be .* got np.float64\(2.0\)"),
        # bools are ints to Python, never sizes
        (True, TypeError, r"`shape` must be .* got True"),
        ((True, 2), TypeError, r"`shape` entries must be integers, got True"),
        ((np.True_, 2), TypeError, r"`shape` entries must be integers, got np.True_"),
        # arrays as shapes: 1-D integer arrays only
        (
            np.array([2.0, 3.0]),
            TypeError,
            r"or a 1-D integer array, got an array of dtype float64 and shape \(2,\)",
        ),
        (np.array([True, False]), TypeError, r"got an array of dtype bool and shape \(2,\)"),
        (np.ones((2, 2), np.int32), TypeError, r"got an array of dtype int32 and shape \(2, 2\)"),
        (jnp.array(2.0), TypeError, r"got an array of dtype float32 and shape \(\)"),
        (jax.random.key(0), TypeError, r"got a PRNG key \(the call is init\(key, shape, dtype\)\)"),
        (np.array([2, -1]), ValueError, r"`shape` entries must be non-negative, got -1"),
        ((np.int64(-1),), ValueError, r"`shape` entries must be non-negative, got -1"),
        # None, strings as entries, iterators (used up), sets and dicts (no order the caller chose)
        (None, TypeError, r"`shape` must be .* got None"),
        ((2, None), TypeError, r"`shape` entries must be integers, got None"),
        ((2, "3"), TypeError, r"`shape` entries must be integers, got '3'"),
        (iter([2, 3]), TypeError, r"`shape` must be .* got list_iterator"),
        ({3: 2}, TypeError, r"got dict \{3: 2\}"),
    ],
)
def test_bad_shapes(shape, error, match, key):
    with pytest.raises(error, match=match):
        jaxinit.normal()(key, shape)
    with pytest.raises(error, match=match):  # the same check wherever a shape is taken
        jaxinit.normal().distribution(shape)


@pytest.mark.parametrize(
    "shape",
    [
        (2, 3),
        [2, 3],
        range(2, 4),
        (np.int64(2), np.uint8(3)),
        (np.array(2), jnp.array(3)),
        np.array([2, 3]),
        jnp.array([2, 3], jnp.int32),
        np.array([2, 3], np.uint64),
    ],
)
def test_shapes_jax_accepts_are_accepted(shape, key):
    """What ``jnp.zeros`` takes as a shape (NumPy integers, 0-d and 1-D integer arrays)."""
    assert jnp.zeros(shape).shape == (2, 3)
    x = jaxinit.normal()(key, shape)
    assert x.shape == (2, 3) and all(type(d) is int for d in x.shape)
    assert jaxinit.normal()(key, np.int64(5)).shape == jaxinit.normal()(key, jnp.array(5)).shape == (5,)


def test_a_traced_shape_is_an_error_naming_shape(key):
    init = jaxinit.normal()
    with pytest.raises(
        TypeError,
        match=r"`shape` must be .* got a traced int32\[2\] \(shapes must be "
        r"static under jit\)",
    ):
        jax.jit(lambda s: init(key, s))(jnp.array([2, 3]))
    with pytest.raises(TypeError, match=r"entry 0 is a traced int32\[\]"):
        jax.jit(lambda n: init(key, (n, 3)))(2)


def test_call_time_shape_errors(key):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        jaxinit.kaiming_uniform()(key, (5,))
    with pytest.raises(ValueError, match="`in_axis` 3 is out of range"):
        jaxinit.kaiming_uniform(in_axis=3, out_axis=0)(key, (5, 4))
