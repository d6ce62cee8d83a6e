"""jaxinit.to_haiku: jaxinit initializers as Haiku w_init / b_init."""

import warnings

import jax.numpy as jnp
import pytest

import jaxinit
from conftest import ks_pvalue

pytestmark = pytest.mark.slow  # a framework-parity suite: in the full run, not the edit-test loop


def test_haiku_adapter(key):
    hk = pytest.importorskip("haiku")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)

        def forward(x):
            return hk.Linear(
                128,
                w_init=jaxinit.to_haiku(jaxinit.lecun_normal()),
                b_init=jaxinit.to_haiku(jaxinit.constant(0.1)),
            )(x)

        params = hk.transform(forward).init(key, jnp.ones((1, 256)))
    w = params["linear"]["w"]
    assert w.shape == (256, 128)
    assert ks_pvalue(w, jaxinit.lecun_normal().distribution(w.shape)) > 1e-4
    assert (params["linear"]["b"] == jnp.float32(0.1)).all()
