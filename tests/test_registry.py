"""jaxinit.get, to_config and pickle: an initializer is a value (repr, ==, hash) that round-trips."""

import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxinit
from conftest import DETERMINISTIC, RANDOM, example_shape


def test_repr():
    assert (
        repr(jaxinit.kaiming_uniform()) == "kaiming_uniform(a=0.0, mode='fan_in', nonlinearity='leaky_relu')"
    )
    assert (
        repr(jaxinit.xavier_normal(2, layout="torch", dtype=jnp.bfloat16))
        == "xavier_normal(gain=2.0, layout='torch', dtype='bfloat16')"
    )
    assert (
        repr(jaxinit.lecun_normal(in_axis=0, out_axis=(1, 2))) == "lecun_normal(in_axis=0, out_axis=(1, 2))"
    )
    assert repr(jaxinit.zeros()) == "zeros()"


@pytest.mark.parametrize("init", RANDOM + DETERMINISTIC, ids=repr)
def test_eq_hash_pickle(init, key):
    clone = pickle.loads(pickle.dumps(init))
    assert clone == init and hash(clone) == hash(init)
    assert eval(repr(init), {**vars(jaxinit)}) == init  # noqa: S307 - the repr is the call
    np.testing.assert_array_equal(
        np.asarray(clone(key, example_shape(init))), np.asarray(init(key, example_shape(init)))
    )
    assert len({init, clone}) == 1


def test_inequality():
    assert jaxinit.xavier_uniform() != jaxinit.xavier_uniform(gain=2.0)
    assert jaxinit.xavier_uniform() != jaxinit.xavier_uniform(layout="torch")
    assert jaxinit.xavier_uniform() != jaxinit.xavier_normal()
    assert jaxinit.normal(1) == jaxinit.normal(1.0)
    assert pickle.loads(pickle.dumps(jaxinit.normal().distribution((2,)))) == jaxinit.normal().distribution(
        (3,)
    )


def test_satisfies_jax_initializer_protocol(key):
    init: jax.nn.initializers.Initializer = jaxinit.lecun_normal()
    assert init(key, (3, 4), jnp.float32, out_sharding=None).shape == (3, 4)


@pytest.mark.slow
@pytest.mark.parametrize(
    "init",
    [
        jaxinit.kaiming_uniform(nonlinearity="relu"),
        jaxinit.xavier_normal(2.0, layout="torch", dtype=jnp.bfloat16),
        jaxinit.variance_scaling(2.0, "fan_avg", "uniform", in_axis=0, out_axis=(1, 2)),
        jaxinit.sparse(0.1),
        jaxinit.constant(3.0),
        jaxinit.zeros(),
        jaxinit.dirac(2, batch_axis=0),
        jaxinit.trunc_normal(a=-1.0),
    ],
)
def test_config_round_trip(init):
    config = init.to_config()
    assert isinstance(config, dict) and all(isinstance(k, str) for k in config)
    assert jaxinit.get(config) == init
    assert jaxinit.get(config["name"], **{k: v for k, v in config.items() if k != "name"}) == init


@pytest.mark.slow
def test_names_and_aliases():
    # names only JAX/Keras use mean jax's laws; torch's names keep torch's
    assert jaxinit.get("glorot_uniform") == jaxinit.jax_nn.glorot_uniform()
    assert jaxinit.get("he_normal", batch_axis=0) == jaxinit.jax_nn.he_normal(batch_axis=0)
    assert jaxinit.get("truncated_normal", stddev=0.02) == jaxinit.jax_nn.truncated_normal(0.02)
    assert jaxinit.get("kaiming_uniform_", a=1.0) == jaxinit.kaiming_uniform(a=1.0)
    assert (
        jaxinit.glorot_normal is jaxinit.jax_nn.glorot_normal
        and jaxinit.he_uniform is jaxinit.jax_nn.he_uniform
    )
    init = jaxinit.orthogonal()
    assert jaxinit.get(init) is init
    with pytest.raises(
        ValueError, match=r"unknown initializer 'xavier'; valid names: .*kaiming_normal.*he_uniform"
    ):
        jaxinit.get("xavier")
    with pytest.raises(ValueError, match="needs a 'name' key"):
        jaxinit.get({"gain": 1.0})
    with pytest.raises(TypeError, match="must be a name, a config dict or an Initializer, got 3"):
        jaxinit.get(3)
