"""Every random initializer against its exact law (KS), and the law's arithmetic to exact values."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import jaxinit
from conftest import KS_SAMPLES, ks_pvalue, ks_pvalue_rounded

SQRT3 = math.sqrt(3.0)

ELEMENTWISE = [
    jaxinit.uniform(),
    jaxinit.uniform(-3.0, 0.5),
    jaxinit.normal(),
    jaxinit.normal(1.5, 0.2),
    jaxinit.trunc_normal(),
    jaxinit.trunc_normal(0.3, 0.7, -0.5, 1.0),
    jaxinit.trunc_normal(a=5.0, b=6.0),
    jaxinit.trunc_normal(a=-10.0, b=-9.0),
    jaxinit.trunc_normal(a=-40.0, b=-39.5),
    jaxinit.trunc_normal(a=0.0, b=30.0),
    jaxinit.xavier_uniform(),
    jaxinit.xavier_normal(gain=2.0),
    jaxinit.kaiming_uniform(),
    jaxinit.kaiming_normal(mode="fan_out", nonlinearity="relu"),
    jaxinit.kaiming_uniform(a=math.sqrt(5), layout="torch"),
    jaxinit.lecun_uniform(),
    jaxinit.lecun_normal(layout="torch"),
    jaxinit.variance_scaling(2.0, "fan_avg", "truncated_normal"),
    jaxinit.variance_scaling(0.5, "fan_geo_avg", "uniform"),
    jaxinit.variance_scaling(1.0, "fan_out", "normal"),
    jaxinit.triangular(),
    jaxinit.triangular(-0.25, 1.75),
]
SHAPES = [KS_SAMPLES, (8, 128, 128)]


@pytest.mark.parametrize("init", ELEMENTWISE, ids=repr)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_ks_float32(init, shape, key):
    law = init.distribution(shape)
    x = init(key, shape)
    assert x.dtype == jnp.float32 and x.shape == shape
    assert ks_pvalue(x, law) > 1e-4


@pytest.mark.parametrize("init", ELEMENTWISE, ids=repr)
@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_low_precision(init, dtype, key):
    """16-bit draws (16 random bits per value) follow the law rounded to the dtype."""
    law = init.distribution(KS_SAMPLES)
    if law.family != "normal" and max(abs(law.low), abs(law.high)) > float(jnp.finfo(dtype).max):
        pytest.skip("outside the dtype's range")
    x = init(key, KS_SAMPLES, dtype)
    assert x.dtype == dtype
    if law.family != "normal":  # bounds are kept after rounding
        assert float(x.min()) >= law.low and float(x.max()) <= law.high
    assert ks_pvalue_rounded(x, law) > 1e-4
    assert ks_pvalue_rounded(x * 1.05, law) < 1e-4  # the rounded-law test has power too


def test_float64(key):
    with jax.enable_x64(True):
        for init in ELEMENTWISE:
            law = init.distribution(KS_SAMPLES)
            x = init(key, KS_SAMPLES, jnp.float64)
            assert x.dtype == jnp.float64
            assert ks_pvalue(x, law) > 1e-4, repr(init)
            # 52 random bits per value: far more distinct values than float32 could hold
            if law.family == "uniform":
                assert len(np.unique(np.asarray(x))) == x.size


@pytest.mark.parametrize("scale", [0.95, 1.05])
def test_ks_detects_a_five_percent_scale_error(scale, key):
    """The KS sample size has the power the quality bar asks for."""
    for init in (jaxinit.normal(std=2.0), jaxinit.uniform(-1.0, 1.0), jaxinit.kaiming_normal()):
        x = init(key, KS_SAMPLES) * scale
        assert ks_pvalue(x, init.distribution(KS_SAMPLES)) < 1e-4


@pytest.mark.parametrize("init", ELEMENTWISE, ids=repr)
def test_values_inside_bounds(init, key):
    law = init.distribution((64, 1000))
    x = np.asarray(init(key, (64, 1000)), np.float64)
    assert np.isfinite(x).all()
    if law.family != "normal":
        assert x.min() >= law.low and x.max() <= law.high
        # no pile-up on a bound: a bound value occurs at most a handful of times
        assert (x == law.low).sum() <= 2 and (x == law.high).sum() <= 2


@pytest.mark.parametrize("a,b", [(5.0, 6.0), (-10.0, -9.0), (-40.0, -39.5), (8.0, 8.001), (-2.0, 2.0)])
def test_trunc_normal_tails_match_scipy_moments(a, b, key):
    x = np.asarray(jaxinit.trunc_normal(a=a, b=b)(key, KS_SAMPLES), np.float64)
    ref = stats.truncnorm(a, b)
    assert abs(x.mean() - ref.mean()) < 5 * ref.std() / math.sqrt(x.size) + 1e-6 * abs(ref.mean())
    assert x.min() >= a and x.max() <= b


def test_trunc_normal_traced_bounds_use_every_regime(key):
    bounds = jnp.array([[-2.0, 2.0], [5.0, 6.0], [-40.0, -39.5]], jnp.float32)
    draws = jax.vmap(lambda ab: jaxinit.trunc_normal(a=ab[0], b=ab[1])(key, (200, 200)))(bounds)
    for (a, b), x in zip(np.asarray(bounds), draws):
        assert stats.kstest(np.asarray(x, np.float64).ravel(), stats.truncnorm(a, b).cdf).pvalue > 1e-4
        static = jaxinit.trunc_normal(a=float(a), b=float(b))(key, (200, 200))
        np.testing.assert_allclose(np.asarray(x), np.asarray(static), rtol=2e-5, atol=1e-5)


# -- exact arithmetic -------------------------------------------------------------------


def test_fan_based_laws_exact():
    shape = (3, 3, 16, 32)  # fan_in = 144, fan_out = 288
    fi, fo = 144, 288
    d = jaxinit.xavier_uniform(gain=0.5).distribution(shape)
    assert (d.family, d.high, d.low) == (
        "uniform",
        SQRT3 * 0.5 * math.sqrt(2.0 / (fi + fo)),
        -SQRT3 * 0.5 * math.sqrt(2.0 / (fi + fo)),
    )
    assert jaxinit.xavier_normal().distribution(shape).std == math.sqrt(2.0 / (fi + fo))
    gain = math.sqrt(2.0 / (1 + 0.0**2))  # a=0 is the slope handed to leaky_relu, as torch
    assert jaxinit.kaiming_uniform().distribution(shape).high == SQRT3 * (gain / math.sqrt(fi))
    assert jaxinit.kaiming_normal(mode="fan_out", nonlinearity="tanh").distribution(shape).std == (
        5.0 / 3.0
    ) / math.sqrt(fo)
    assert jaxinit.lecun_uniform().distribution(shape).high == math.sqrt(3.0 / fi)
    assert jaxinit.lecun_normal().distribution(shape).std == math.sqrt(1.0 / fi)
    # PyTorch's default Linear/Conv weight: kaiming_uniform(a=sqrt(5)) == U(+-1/sqrt(fan_in))
    assert jaxinit.kaiming_uniform(a=math.sqrt(5)).distribution(shape).high == pytest.approx(
        1 / math.sqrt(fi), rel=1e-15
    )


@pytest.mark.parametrize(
    "mode,n", [("fan_in", 144), ("fan_out", 288), ("fan_avg", 216), ("fan_geo_avg", math.sqrt(144 * 288))]
)
@pytest.mark.slow  # a parity check against Flax's convolutions / jax's own fan code
def test_variance_scaling_matches_jax_law(mode, n, key):
    shape = (3, 3, 16, 32)
    u = jaxinit.variance_scaling(3.0, mode, "uniform").distribution(shape)
    assert u.high == math.sqrt(3 * 3.0 / n)
    nd = jaxinit.variance_scaling(3.0, mode, "normal").distribution(shape)
    assert nd.std == math.sqrt(3.0 / n)
    t = jaxinit.variance_scaling(3.0, mode, "truncated_normal").distribution(shape)
    assert t.high == 2 * t.std and t.low == -2 * t.std
    assert t.scipy().std() == pytest.approx(math.sqrt(3.0 / n), rel=1e-12)
    # jax.nn.initializers.variance_scaling has the same law
    ref = jax.nn.initializers.variance_scaling(3.0, mode, "truncated_normal")(key, (64, 64, 16, 32))
    mine = jaxinit.variance_scaling(3.0, mode, "truncated_normal").distribution((64, 64, 16, 32))
    assert ks_pvalue(ref, mine) > 1e-4


def test_jax_default_lecun_normal_is_truncated_ours_is_not(key):
    ours = jaxinit.lecun_normal().distribution(KS_SAMPLES)
    theirs = jax.nn.initializers.lecun_normal()(key, KS_SAMPLES)
    assert ours.family == "normal"
    assert ks_pvalue(theirs, ours) < 1e-4
    assert (
        float(jnp.abs(theirs).max())
        <= 2 * float(jaxinit.variance_scaling(1.0, "fan_in", "truncated_normal").distribution(KS_SAMPLES).std)
        + 1e-6
    )


def test_distribution_scipy_laws():
    d = jaxinit.trunc_normal(1.0, 2.0, 0.0, 3.0).distribution((2,))
    law = d.scipy()
    assert law.support() == (0.0, 3.0)
    assert d == jaxinit.trunc_normal(1.0, 2.0, 0.0, 3.0).distribution((5, 5))
    assert jaxinit.sparse(0.1, std=0.5).distribution((4, 4)).scipy().std() == 0.5
    with pytest.raises(TypeError, match="'orthogonal' family has no elementwise"):
        jaxinit.orthogonal().distribution((3, 3)).scipy()
    with pytest.raises(AttributeError, match="has no parameter 'std'"):
        jaxinit.uniform().distribution((2,)).std
