"""jaxinit initializers as Flax linen and NNX kernel_init / bias_init."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import jaxinit
from conftest import ks_pvalue

pytestmark = pytest.mark.slow  # a framework-parity suite: in the full run, not the edit-test loop


def test_linen_dense_and_conv(key):
    dense = nn.Dense(300, kernel_init=jaxinit.xavier_uniform(), bias_init=jaxinit.constant(0.1))
    params = dense.init(key, jnp.ones((1, 400)))["params"]
    law = jaxinit.xavier_uniform().distribution((400, 300))
    assert ks_pvalue(params["kernel"], law) > 1e-4
    np.testing.assert_array_equal(np.asarray(params["bias"]), np.full(300, 0.1, np.float32))

    conv = nn.Conv(
        64, (3, 3), kernel_init=jaxinit.kaiming_normal(nonlinearity="relu"), param_dtype=jnp.bfloat16
    )
    kernel = conv.init(key, jnp.ones((1, 8, 8, 32), jnp.bfloat16))["params"]["kernel"]
    assert kernel.shape == (3, 3, 32, 64) and kernel.dtype == jnp.bfloat16
    std = jaxinit.kaiming_normal(nonlinearity="relu").distribution((3, 3, 32, 64)).std
    assert std == np.sqrt(2.0) / np.sqrt(3 * 3 * 32)
    assert abs(float(kernel.astype(jnp.float32).std()) / std - 1) < 0.03


def test_nnx_linear_and_conv():
    rngs = nnx.Rngs(0)
    linear = nnx.Linear(256, 512, kernel_init=jaxinit.lecun_normal(), bias_init=jaxinit.zeros(), rngs=rngs)
    assert ks_pvalue(linear.kernel[...], jaxinit.lecun_normal().distribution((256, 512))) > 1e-4
    assert not np.asarray(linear.bias[...]).any()
    conv = nnx.Conv(
        4, 4, kernel_size=(3, 3), padding="SAME", use_bias=False, kernel_init=jaxinit.dirac(), rngs=rngs
    )
    x = jax.random.normal(jax.random.key(1), (2, 6, 6, 4))
    np.testing.assert_allclose(np.asarray(conv(x)), np.asarray(x), atol=1e-6)


def test_nnx_orthogonal_linear_is_isometry():
    layer = nnx.Linear(64, 64, use_bias=False, kernel_init=jaxinit.orthogonal(), rngs=nnx.Rngs(3))
    x = jax.random.normal(jax.random.key(0), (5, 64))
    np.testing.assert_allclose(
        np.linalg.norm(np.asarray(layer(x)), axis=1), np.linalg.norm(np.asarray(x), axis=1), rtol=1e-5
    )


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16])
def test_linen_param_dtype(dtype, key):
    params = nn.Dense(4, kernel_init=jaxinit.xavier_normal(), param_dtype=dtype).init(
        key, jnp.ones((1, 3), dtype)
    )
    assert params["params"]["kernel"].dtype == dtype
