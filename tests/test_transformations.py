"""Initializers under jit, vmap and eval_shape, with every kind of key: the same values everywhere."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxinit
from conftest import DETERMINISTIC, RANDOM, example_shape, run_fresh


@pytest.mark.parametrize("init", RANDOM + DETERMINISTIC, ids=repr)
def test_eager_jit_vmap_agree(init, key):
    shape = example_shape(init)
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
    np.testing.assert_array_equal(np.asarray(jitted(key, (8, 9), jnp.float32)), np.asarray(init(key, (8, 9))))


def test_legacy_and_typed_keys_agree():
    init = jaxinit.kaiming_normal()
    np.testing.assert_array_equal(
        np.asarray(init(jax.random.PRNGKey(7), (5, 5))), np.asarray(init(jax.random.key(7), (5, 5)))
    )


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
        np.testing.assert_allclose(
            np.asarray(x), np.asarray(jaxinit.normal(std=float(s))(key, (200, 200))), rtol=1e-6
        )
    gains = jnp.array([1.0, 3.0], jnp.float32)
    ws = jax.vmap(lambda g: jaxinit.xavier_uniform(gain=g)(key, (10, 10)))(gains)
    # low + width * u: values near 0 carry an absolute error of an ulp of the bound (|b| ~ 4)
    np.testing.assert_allclose(np.asarray(ws[1]), 3 * np.asarray(ws[0]), rtol=1e-5, atol=1e-6)


@pytest.mark.slow  # a subprocess suite
def test_every_kind_under_every_transformation_on_a_fresh_process():
    run_fresh("transforms.py")
