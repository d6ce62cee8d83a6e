"""jaxinit.inplace: torch.nn.init's in-place names, filling arrays in torch's layout."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import jaxinit
from conftest import ks_pvalue
from jaxinit import inplace, inplace as init

SHIMS = [  # (shim call, the factory it adapts; arrays are filled in torch's layout)
    (lambda t, **kw: init.uniform_(t, -2.0, 3.0, **kw), jaxinit.uniform(-2.0, 3.0)),
    (lambda t, **kw: init.normal_(t, 1.0, 0.5, **kw), jaxinit.normal(1.0, 0.5)),
    (
        lambda t, **kw: init.trunc_normal_(t, 0.0, 1.0, -1.0, 1.0, **kw),
        jaxinit.trunc_normal(0.0, 1.0, -1.0, 1.0),
    ),
    (lambda t, **kw: init.xavier_uniform_(t, 2.0, **kw), jaxinit.xavier_uniform(2.0, layout="torch")),
    (lambda t, **kw: init.xavier_normal_(t, **kw), jaxinit.xavier_normal(layout="torch")),
    (
        lambda t, **kw: init.kaiming_uniform_(t, 0.1, "fan_out", "relu", **kw),
        jaxinit.kaiming_uniform(0.1, "fan_out", "relu", layout="torch"),
    ),
    (lambda t, **kw: init.kaiming_normal_(t, layout="torch", **kw), jaxinit.kaiming_normal(layout="torch")),
    (lambda t, **kw: init.lecun_uniform_(t, **kw), jaxinit.lecun_uniform(layout="torch")),
    (lambda t, **kw: init.lecun_normal_(t, **kw), jaxinit.lecun_normal(layout="torch")),
    (lambda t, **kw: init.orthogonal_(t, 0.5, **kw), jaxinit.orthogonal(0.5, layout="torch")),
    (lambda t, **kw: init.sparse_(t, 0.2, 0.1, **kw), jaxinit.sparse(0.2, 0.1, layout="torch")),
]


@pytest.mark.parametrize("shim,factory", SHIMS)
def test_shim_is_the_factory_with_the_generator_key(shim, factory):
    x = jnp.empty((40, 60))
    out = shim(x, generator=jaxinit.Generator(3))
    expected = factory(jaxinit.Generator(3).next_key(), (40, 60))
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))
    key = jax.random.key(9)
    np.testing.assert_array_equal(np.asarray(shim(x, generator=key)), np.asarray(factory(key, (40, 60))))


def test_manual_seed_equals_generator():
    x = jnp.empty((100, 30))
    init.manual_seed(42)
    a = init.trunc_normal_(x)
    b = init.trunc_normal_(x, generator=init.Generator(42))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    c = init.trunc_normal_(x)  # the default generator moved on
    assert not np.array_equal(np.asarray(a), np.asarray(c))
    init.manual_seed(42)
    np.testing.assert_array_equal(np.asarray(init.trunc_normal_(x)), np.asarray(a))


def test_numpy_arrays_are_filled_in_place():
    w = np.zeros((64, 32), np.float32)
    out = init.kaiming_uniform_(w, generator=jax.random.key(0))
    assert out is w and w.any()
    assert ks_pvalue(w, jaxinit.kaiming_uniform(layout="torch").distribution(w.shape)) > 1e-4
    w64 = np.zeros((300, 300))
    init.normal_(w64, std=2.0, generator=jax.random.key(1))
    assert w64.dtype == np.float64 and abs(w64.std() - 2.0) < 0.02
    wi = np.zeros((3, 3), np.int32)
    assert init.eye_(wi) is wi and (wi == np.eye(3)).all()


def test_nnx_variables_are_updated():
    layer = nnx.Linear(20, 30, rngs=nnx.Rngs(0))
    out = init.xavier_normal_(layer.kernel, generator=nnx.Rngs(params=5))
    assert out is layer.kernel
    np.testing.assert_array_equal(
        np.asarray(layer.kernel[...]),
        np.asarray(jaxinit.xavier_normal()(nnx.Rngs(params=5).params(), (20, 30))),
    )
    init.zeros_(layer.bias)
    assert not np.asarray(layer.bias[...]).any()


def test_jax_arrays_get_new_values_with_shape_and_dtype():
    x = jnp.ones((4, 4), jnp.bfloat16)
    y = init.orthogonal_(x, generator=jax.random.key(0))
    assert y.dtype == jnp.bfloat16 and y.shape == (4, 4) and (x == 1).all()
    assert (init.constant_(x, 0.25) == 0.25).all()
    assert (init.ones_(jnp.zeros(3, jnp.int8)) == 1).all()
    d = init.dirac_(jnp.empty((6, 3, 3, 3)), 2, layout="torch")
    assert float(d.sum()) == 6


def test_inside_jit_a_key_is_required():
    with pytest.raises(RuntimeError, match="a key must be given explicitly"):
        jax.jit(lambda x: init.normal_(x))(jnp.zeros(3))
    with pytest.raises(RuntimeError, match="outside JAX transformations"):
        jax.jit(lambda x: init.normal_(x, generator=init.Generator(0)))(jnp.zeros(3))
    out = jax.jit(lambda x, k: init.normal_(x, generator=k))(jnp.zeros((3, 3)), jax.random.key(0))
    np.testing.assert_array_equal(np.asarray(out), np.asarray(jaxinit.normal()(jax.random.key(0), (3, 3))))
    # deterministic fills need no key, inside jit too
    assert (jax.jit(lambda x: init.zeros_(x))(jnp.ones(2)) == 0).all()


def test_bad_arguments():
    with pytest.raises(
        TypeError, match="`tensor` must be a jax.Array, a numpy.ndarray or an nnx.Variable, got list"
    ):
        init.normal_([1.0, 2.0])
    with pytest.raises(
        TypeError, match="`generator` must be a JAX key, a jaxinit.Generator or an nnx.Rngs, got 3"
    ):
        init.normal_(jnp.zeros(2), generator=3)
    with pytest.raises(ValueError, match="`mode` must be 'fan_in' or 'fan_out'"):
        init.kaiming_uniform_(jnp.zeros((2, 2)), mode="fan_avg")
    assert init.calculate_gain("tanh") == 5 / 3


# -- NumPy float64 and int64 arrays without x64 ----------------------------------------------


def test_deterministic_fills_of_numpy_arrays_are_exact_in_their_own_dtype():
    assert inplace.constant_(np.zeros(3), 0.1)[0] == 0.1
    assert inplace.constant_(np.zeros(3, np.int64), 2**40)[0] == 2**40
    assert inplace.ones_(np.zeros((2, 2), np.int64)).dtype == np.int64
    np.testing.assert_array_equal(inplace.eye_(np.empty((2, 3))), np.eye(2, 3))
    with pytest.raises(ValueError, match="cannot be represented exactly in int64"):
        inplace.constant_(np.zeros(3, np.int64), 0.5)


def test_random_draws_into_float64_numpy_arrays_honour_the_law_or_refuse():
    x = inplace.uniform_(np.empty((64, 64)), -1.0, 1.0, generator=jax.random.key(0))
    assert x.dtype == np.float64 and x.min() >= -1 and x.max() <= 1
    with pytest.raises(
        ValueError,
        match=r"no float32 value .* float64 NumPy array is drawn in "
        r"float32: jax_enable_x64 is off",
    ):
        inplace.uniform_(np.empty(3), 1e-50, 2e-50, generator=jax.random.key(0))


def test_generator_is_positional_where_torch_has_it():
    k = jax.random.key(3)
    x = np.empty((4, 5), np.float32)
    for fill, args in [
        (inplace.normal_, (0.0, 1.0)),
        (inplace.uniform_, (0.0, 1.0)),
        (inplace.trunc_normal_, (0.0, 1.0, -2.0, 2.0)),
        (inplace.xavier_uniform_, (1.0,)),
        (inplace.kaiming_normal_, (0.0, "fan_in", "relu")),
        (inplace.orthogonal_, (1.0,)),
        (inplace.sparse_, (0.5, 0.01)),
    ]:
        np.testing.assert_array_equal(fill(x.copy(), *args, k), fill(x.copy(), *args, generator=k))
