"""The triangular law: its inverse-CDF transform to the last ulp, and torch's b_ih + b_hh."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import jaxinit
from conftest import KS_SAMPLES, ks_pvalue
from jaxinit._src.fans import FanAxes
from jaxinit._src.samplers import table
from jaxinit.distributions import Triangular

#: the kernel's inverse CDF, as the engine calls it
transform = table.BY_FAMILY[Triangular].transform

BOUNDS = [(-1.0, 1.0), (0.0, 1.0), (-0.25, 1.75), (-3e38, 3e38), (5.0, 5.5)]


def exact_quantile(u, low, high):
    """The inverse CDF in float64 (the probabilities are exact there), measured from the centre."""
    centre, half = (low + high) / 2, (high - low) / 2
    q = 2 * np.minimum(u, 1 - u)
    distance = half * (1 - q) / (1 + np.sqrt(q))
    return np.where(u < 0.5, centre - distance, centre + distance)


def _numbers(low, high, dtype):
    """The kernel's numbers for the law, through the engine's own packing."""
    law = jaxinit.triangular(low, high).distribution((1,))
    return table.of(law).pack(law, (1,), dtype, FanAxes())[1]


@pytest.mark.parametrize("low,high", BOUNDS)
def test_transform_is_within_two_ulps_everywhere(low, high):
    """Ends, the switch between the two reference points, and both sides of the centre."""
    m = 23
    k = np.array(
        [
            0,
            1,
            2,
            3,
            1000,
            2**20,
            2**21 - 1,
            2**21,
            2**21 + 1,
            2**22 - 2,
            2**22 - 1,
            2**22,
            2**22 + 1,
            3 * 2**21,
            2**23 - 3,
            2**23 - 1,
        ],
        np.float64,
    )
    u = (k + 0.5) * 2.0**-m
    numbers = _numbers(low, high, np.dtype(np.float32))
    x = np.asarray(transform(jnp.asarray(u, jnp.float32), numbers, (), np.dtype(np.float32)))
    ref = exact_quantile(u, low, high)
    ulps = np.abs(x.astype(np.float64) - ref) / np.spacing(np.abs(ref).astype(np.float32))
    assert ulps.max() <= 2, ulps
    assert (x >= np.float32(low)).all() and (x <= np.float32(high)).all()


def test_float64_transform():
    with jax.enable_x64(True):
        u = (np.array([0, 7, 2**50, 2**51 - 1, 2**51, 2**52 - 1], np.float64) + 0.5) * 2.0**-52
        numbers = _numbers(-2.0, 2.0, np.dtype(np.float64))
        x = np.asarray(transform(jnp.asarray(u), numbers, (), np.dtype(np.float64)))
        ref = exact_quantile(u, -2.0, 2.0)
        assert (np.abs(x - ref) <= 2 * np.spacing(np.abs(ref))).all()


@pytest.mark.parametrize("low,high", BOUNDS[:3])
def test_ks_and_moments(low, high, key):
    init = jaxinit.triangular(low, high)
    law = init.distribution(KS_SAMPLES)
    assert (law.family, law.low, law.high) == ("triangular", low, high)
    x = init(key, KS_SAMPLES)
    assert ks_pvalue(x, law) > 1e-4
    assert ks_pvalue(x * 1.05, law) < 1e-4  # power against a 5 % scale error
    assert law.scipy().std() == pytest.approx((high - low) / (2 * math.sqrt(6)), rel=1e-12)
    # the law of the sum of two independent uniforms on half the interval
    halves = jaxinit.uniform(low / 2, high / 2)
    k1, k2 = jax.random.split(key)
    s = np.asarray(halves(k1, KS_SAMPLES), np.float64) + np.asarray(halves(k2, KS_SAMPLES), np.float64)
    assert stats.ks_2samp(np.asarray(x, np.float64).ravel(), s.ravel()).pvalue > 1e-4


def test_traced_bounds_give_the_same_law(key):
    bounds = jnp.array([[-1.0, 1.0], [0.0, 3.0]], jnp.float32)
    draws = jax.vmap(lambda ab: jaxinit.triangular(ab[0], ab[1])(key, (300, 300)))(bounds)
    for (a, b), x in zip(np.asarray(bounds), draws):
        static = jaxinit.triangular(float(a), float(b))(key, (300, 300))
        np.testing.assert_allclose(np.asarray(x), np.asarray(static), rtol=1e-6, atol=1e-6)


def test_factory_errors_and_config(key):
    with pytest.raises(ValueError, match=r"`a` must be less than `b`, got a=1.0, b=1.0"):
        jaxinit.triangular(1.0, 1.0)
    with pytest.raises(TypeError, match=r"`b` must be a real number, got '1'"):
        jaxinit.triangular(0.0, "1")
    init = jaxinit.triangular(-0.5, 0.5)
    assert jaxinit.get(init.to_config()) == init
    assert jaxinit.get("triangular", a=-0.5, b=0.5) == init
    with pytest.raises(ValueError, match="beyond the largest finite float16"):
        jaxinit.triangular(-1e6, 1e6)(key, (2,), jnp.float16)


def test_torch_recurrent_bias_sum_follows_the_law(key):
    """torch's b_ih + b_hh of an LSTM is triangular(+-2/sqrt(hidden)), and jaxinit's samples
    of that law are indistinguishable from torch's sums (two-sample KS)."""
    torch = pytest.importorskip("torch")
    hidden = 64
    torch.manual_seed(0)
    sums = []
    for _ in range(64):  # 64 x 2 layers x 4 gates x 64 units = 32768 sums
        lstm = torch.nn.LSTM(8, hidden, num_layers=2)
        for layer in range(2):
            b = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
            sums.append(b.detach().numpy().astype(np.float64))
    theirs = np.concatenate(sums)
    bound = 2 / math.sqrt(hidden)
    law = jaxinit.triangular(-bound, bound).distribution((1,))
    assert stats.kstest(theirs, law.scipy().cdf).pvalue > 1e-4
    ours = np.asarray(jaxinit.triangular(-bound, bound)(key, (theirs.size,)), np.float64)
    assert stats.ks_2samp(theirs, ours).pvalue > 1e-4
    # a single uniform of the same reach, or of one bias, is clearly another law
    assert stats.kstest(theirs, stats.uniform(-bound, 2 * bound).cdf).pvalue < 1e-4
    assert stats.kstest(theirs, stats.uniform(-bound / 2, bound).cdf).pvalue < 1e-4
