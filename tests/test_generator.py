"""jaxinit.Generator: torch's seeds, the documented seed-to-key map, and keys from many threads."""

import jax
import numpy as np
import pytest

import jaxinit
from conftest import run_fresh


def test_seeds_follow_torch():
    torch = pytest.importorskip("torch")
    for seed in (-1, -(2**63), 2**64 - 1, 0, 12345):
        torch.manual_seed(seed)
        assert jaxinit.Generator(seed).initial_seed() == torch.initial_seed()
    for seed in (2**64, -(2**63) - 1):
        with pytest.raises(ValueError):
            torch.manual_seed(seed)
        with pytest.raises(ValueError, match=r"`seed` must be in \[-2\*\*63, 2\*\*64 - 1\]"):
            jaxinit.Generator(seed)


def test_a_seed_maps_to_the_documented_key():
    from jaxinit._src.generator import seed_key

    np.testing.assert_array_equal(jax.random.key_data(seed_key(5)), jax.random.key_data(jax.random.key(5)))
    np.testing.assert_array_equal(jax.random.key_data(seed_key(-1)), [0xFFFFFFFF, 0xFFFFFFFF])
    np.testing.assert_array_equal(jax.random.key_data(seed_key(2**40 + 3)), [2**8, 3])
    assert jaxinit.Generator(-1).next_key() is not None


@pytest.mark.slow  # a subprocess suite
def test_keys_and_draws_from_eight_threads_on_a_fresh_process():
    run_fresh("threads.py")
