"""out_sharding: argument errors here; the sharded cases run on 8 virtual CPU devices.

The README's sharding example runs (in its own interpreter) in tests/test_readme.py.
"""

import os
import pathlib
import subprocess
import sys

import jax
import pytest
from jax.sharding import PartitionSpec as P

import jaxinit

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.slow  # a subprocess suite
def test_sharded_suite_on_eight_virtual_devices():
    """tests/sharded/ needs 8 devices, which must be set before JAX starts: a fresh process."""
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8", JAX_PLATFORMS="cpu")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", "tests/sharded"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-2000:]


def test_out_sharding_of_the_wrong_type(key):
    with pytest.raises(TypeError, match=r"`out_sharding` must be a jax.sharding.Sharding .* got str"):
        jaxinit.normal()(key, (4, 4), out_sharding="x")


def test_partition_spec_needs_a_mesh(key):
    with pytest.raises(ValueError, match=r"`out_sharding` is a PartitionSpec .* no mesh is set"):
        jaxinit.normal()(key, (4, 4), out_sharding=P("x"))


def test_single_device_sharding(key):
    sharding = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    x = jaxinit.normal()(key, (4, 4), out_sharding=sharding)
    assert x.sharding.is_equivalent_to(sharding, 2)
    assert (x == jaxinit.normal()(key, (4, 4))).all()
