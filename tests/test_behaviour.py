"""Determinism, transformations, dtypes, keys, caching, value semantics and error messages."""

import math
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxinit
from jaxinit._src import engine

RANDOM = [jaxinit.uniform(), jaxinit.normal(), jaxinit.trunc_normal(), jaxinit.xavier_uniform(),
          jaxinit.xavier_normal(), jaxinit.kaiming_uniform(), jaxinit.kaiming_normal(),
          jaxinit.lecun_uniform(), jaxinit.lecun_normal(), jaxinit.orthogonal(), jaxinit.sparse(0.3),
          jaxinit.variance_scaling(), jaxinit.delta_orthogonal(), jaxinit.triangular()]
DETERMINISTIC = [jaxinit.zeros(), jaxinit.ones(), jaxinit.constant(3.0), jaxinit.eye(), jaxinit.dirac()]


def _shape(init):
    return (3, 3, 4, 6) if init.name in ("delta_orthogonal", "dirac") else (24, 40)


@pytest.mark.parametrize("init", RANDOM + DETERMINISTIC, ids=repr)
def test_eager_jit_vmap_agree(init, key):
    shape = _shape(init)
    eager = init(key, shape)
    jitted = jax.jit(lambda k: init(k, shape))(key)
    np.testing.assert_array_equal(np.asarray(eager), np.asarray(jitted))
    keys = jax.random.split(key, 3)
    batched = jax.vmap(lambda k: init(k, shape))(keys)
    for k, row in zip(keys, batched):
        np.testing.assert_array_equal(np.asarray(init(k, shape)), np.asarray(row))
    np.testing.assert_array_equal(np.asarray(init(key, shape)), np.asarray(eager))  # same key, same values
    if init in RANDOM:
        assert not np.array_equal(np.asarray(batched[0]), np.asarray(batched[1]))


def test_the_initializer_itself_can_be_jitted(key):
    """Like a jax.nn.initializers function: jax.jit(init, static_argnums=(1, 2))."""
    init = jaxinit.xavier_uniform()
    jitted = jax.jit(init, static_argnums=(1, 2))
    np.testing.assert_array_equal(np.asarray(jitted(key, (8, 9), jnp.float32)),
                                  np.asarray(init(key, (8, 9))))


def test_legacy_and_typed_keys_agree():
    init = jaxinit.kaiming_normal()
    np.testing.assert_array_equal(np.asarray(init(jax.random.PRNGKey(7), (5, 5))),
                                  np.asarray(init(jax.random.key(7), (5, 5))))


def test_rbg_keys_work():
    x = jaxinit.normal()(jax.random.key(0, impl="rbg"), (300, 300))
    assert abs(float(x.std()) - 1) < 0.01


def test_eval_shape(key):
    out = jax.eval_shape(lambda k: jaxinit.xavier_uniform()(k, (7, 9), jnp.bfloat16), key)
    assert out.shape == (7, 9) and out.dtype == jnp.bfloat16


def test_vmap_over_hyperparameters(key):
    stds = jnp.array([0.5, 1.0, 2.0], jnp.float32)
    xs = jax.vmap(lambda s: jaxinit.normal(std=s)(key, (200, 200)))(stds)
    for s, x in zip(stds, xs):
        np.testing.assert_allclose(np.asarray(x), np.asarray(jaxinit.normal(std=float(s))(key, (200, 200))),
                                   rtol=1e-6)
    gains = jnp.array([1.0, 3.0], jnp.float32)
    ws = jax.vmap(lambda g: jaxinit.xavier_uniform(gain=g)(key, (10, 10)))(gains)
    # low + width * u: values near 0 carry an absolute error of an ulp of the bound (|b| ~ 4)
    np.testing.assert_allclose(np.asarray(ws[1]), 3 * np.asarray(ws[0]), rtol=1e-5, atol=1e-6)


def test_one_kernel_per_family_shape_dtype(key, monkeypatch):
    monkeypatch.setattr(engine, "CHUNKED_MAX", 0)  # every call through the exact-shape kernel
    jaxinit.xavier_uniform()(key, (33, 17))
    before = engine.compiled_programs()[0]
    for gain in (1.0, 2.0, 0.5):
        jaxinit.xavier_uniform(gain=gain)(key, (33, 17))
        jaxinit.kaiming_uniform()(key, (33, 17))  # also a uniform law: same kernel
    assert engine.compiled_programs()[0] == before
    jaxinit.xavier_uniform()(key, (34, 17))
    assert engine.compiled_programs()[0] == before + 1


def test_eager_calls_compile_once_per_family_and_dtype(key, monkeypatch):
    monkeypatch.setattr(engine, "EAGER_CALLS", engine.CallCounter())
    jaxinit.kaiming_normal()(key, (3, 3, 8, 8))  # compiles the small chunk kernel
    jaxinit.kaiming_normal()(key, (300, 300))  # and the large one
    kernels, chunks = engine.compiled_programs()
    shapes = [(7, 7, 3, 64), (1, 1, 64, 256), (3, 3, 128, 128), (2048, 1000), (5, 1)]
    for shape in shapes:
        jaxinit.kaiming_normal(mode="fan_out")(key, shape)
        chunked = jaxinit.normal(std=0.3)(key, shape)  # the second normal-law draw of `shape`
    assert engine.compiled_programs() == (kernels, chunks)
    # a shape drawn a third time gets its own kernel, with the same values
    exact = jaxinit.normal(std=0.3)(key, shapes[-1])
    assert engine.compiled_programs()[0] == kernels + 1
    np.testing.assert_array_equal(np.asarray(chunked), np.asarray(exact))


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
    with pytest.raises(TypeError, match=f"draws random floats and needs a floating dtype, got {jnp.dtype(dtype).name}"):
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


@pytest.mark.parametrize("factory,kwargs,error,match", [
    (jaxinit.kaiming_uniform, {"mode": "fan_inn"}, ValueError, r"`mode` must be 'fan_in' or 'fan_out', got 'fan_inn'"),
    (jaxinit.kaiming_normal, {"nonlinearity": "gelu"}, ValueError, r"`nonlinearity` must be one of .* got 'gelu'"),
    (jaxinit.variance_scaling, {"distribution": "cauchy"}, ValueError, r"`distribution` must be one of 'normal', 'truncated_normal', 'uniform', got 'cauchy'"),
    (jaxinit.variance_scaling, {"mode": "fan_sum"}, ValueError, r"`mode` must be one of .*'fan_geo_avg', got 'fan_sum'"),
    (jaxinit.variance_scaling, {"scale": 0.0}, ValueError, r"`scale` must be > 0, got 0.0"),
    (jaxinit.normal, {"std": -1.0}, ValueError, r"`std` must be >= 0, got -1.0"),
    (jaxinit.trunc_normal, {"std": 0.0}, ValueError, r"`std` must be > 0, got 0.0"),
    (jaxinit.trunc_normal, {"a": 2.0, "b": 2.0}, ValueError, r"`a` must be less than `b`, got a=2.0, b=2.0"),
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
])
def test_factory_errors(factory, kwargs, error, match):
    with pytest.raises(error, match=match):
        factory(**kwargs)


@pytest.mark.parametrize("bad_key,match", [
    (0, r"`key` must be a PRNG key .* got 0"),
    (jnp.zeros(3, jnp.uint32), r"raw uint32 key data of shape \(3,\), but the default PRNG "
                               r"implementation \(threefry2x32\) uses shape \(2,\)"),
    (jnp.zeros(2, jnp.float32), r"got float32\[2\]"),
])
def test_bad_keys(bad_key, match):
    with pytest.raises(TypeError, match=match):
        jaxinit.normal()(bad_key, (2,))


def test_batched_key_is_an_error(key):
    with pytest.raises(ValueError, match="a batch of keys of shape \\(2,\\); use jax.vmap"):
        jaxinit.normal()(jax.random.split(key, 2), (2,))


@pytest.mark.parametrize("shape,error,match", [
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
    (np.array([2.0, 3.0]), TypeError, r"or a 1-D integer array, got an array of dtype float64 and shape \(2,\)"),
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
])
def test_bad_shapes(shape, error, match, key):
    with pytest.raises(error, match=match):
        jaxinit.normal()(key, shape)
    with pytest.raises(error, match=match):  # the same check wherever a shape is taken
        jaxinit.normal().distribution(shape)


@pytest.mark.parametrize("shape", [
    (2, 3), [2, 3], range(2, 4), (np.int64(2), np.uint8(3)), (np.array(2), jnp.array(3)),
    np.array([2, 3]), jnp.array([2, 3], jnp.int32), np.array([2, 3], np.uint64),
])
def test_shapes_jax_accepts_are_accepted(shape, key):
    """What ``jnp.zeros`` takes as a shape (NumPy integers, 0-d and 1-D integer arrays)."""
    assert jnp.zeros(shape).shape == (2, 3)
    x = jaxinit.normal()(key, shape)
    assert x.shape == (2, 3) and all(type(d) is int for d in x.shape)
    assert jaxinit.normal()(key, np.int64(5)).shape == jaxinit.normal()(key, jnp.array(5)).shape == (5,)


def test_a_traced_shape_is_an_error_naming_shape(key):
    init = jaxinit.normal()
    with pytest.raises(TypeError, match=r"`shape` must be .* got a traced int32\[2\] \(shapes must be "
                                        r"static under jit\)"):
        jax.jit(lambda s: init(key, s))(jnp.array([2, 3]))
    with pytest.raises(TypeError, match=r"entry 0 is a traced int32\[\]"):
        jax.jit(lambda n: init(key, (n, 3)))(2)


def test_call_time_shape_errors(key):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        jaxinit.kaiming_uniform()(key, (5,))
    with pytest.raises(ValueError, match="`in_axis` 3 is out of range"):
        jaxinit.kaiming_uniform(in_axis=3, out_axis=0)(key, (5, 4))


# -- value semantics ----------------------------------------------------------------------

def test_repr():
    assert repr(jaxinit.kaiming_uniform()) == \
        "kaiming_uniform(a=0.0, mode='fan_in', nonlinearity='leaky_relu')"
    assert repr(jaxinit.xavier_normal(2, layout="torch", dtype=jnp.bfloat16)) == \
        "xavier_normal(gain=2.0, layout='torch', dtype='bfloat16')"
    assert repr(jaxinit.lecun_normal(in_axis=0, out_axis=(1, 2))) == "lecun_normal(in_axis=0, out_axis=(1, 2))"
    assert repr(jaxinit.zeros()) == "zeros()"


@pytest.mark.parametrize("init", RANDOM + DETERMINISTIC, ids=repr)
def test_eq_hash_pickle(init, key):
    clone = pickle.loads(pickle.dumps(init))
    assert clone == init and hash(clone) == hash(init)
    assert eval(repr(init), {**vars(jaxinit)}) == init  # noqa: S307 - the repr is the call
    np.testing.assert_array_equal(np.asarray(clone(key, _shape(init))), np.asarray(init(key, _shape(init))))
    assert len({init, clone}) == 1


def test_inequality():
    assert jaxinit.xavier_uniform() != jaxinit.xavier_uniform(gain=2.0)
    assert jaxinit.xavier_uniform() != jaxinit.xavier_uniform(layout="torch")
    assert jaxinit.xavier_uniform() != jaxinit.xavier_normal()
    assert jaxinit.normal(1) == jaxinit.normal(1.0)
    assert pickle.loads(pickle.dumps(jaxinit.normal().distribution((2,)))) == jaxinit.normal().distribution((3,))


def test_satisfies_jax_initializer_protocol(key):
    init: jax.nn.initializers.Initializer = jaxinit.lecun_normal()
    assert init(key, (3, 4), jnp.float32, out_sharding=None).shape == (3, 4)
