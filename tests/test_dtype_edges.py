"""The exact law rounded to each dtype at its edges, or a clear error where a dtype cannot honour it."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from scipy import special, stats

import jaxinit
from conftest import ks_pvalue_rounded
from jaxinit._src import representable


class _TruncatedNormal:
    """The exact truncated-normal CDF, in log space on the tail nearer the bounds (SciPy's
    ``truncnorm`` loses precision hundreds of standard deviations out)."""

    def __init__(self, mean, std, low, high):
        self.mean, self.std, self.low, self.high = mean, std, low, high

    def cdf(self, x):
        x = np.clip(np.asarray(x, np.float64), self.low, self.high)
        a, b = (self.low - self.mean) / self.std, (self.high - self.mean) / self.std
        z = (x - self.mean) / self.std
        if a > 0:  # mirror: P(X <= x) = 1 - P(-Z <= -z) on [-b, -a]
            return 1 - _TruncatedNormal(0.0, 1.0, -b, -a)._lower_cdf(-z)
        return self._lower_cdf(z) if b <= 0 else stats.truncnorm(a, b).cdf(z)

    def _lower_cdf(self, z, a=None, b=None):
        a, b = (self.low - self.mean) / self.std, (self.high - self.mean) / self.std
        la, lb, lz = special.log_ndtr(a), special.log_ndtr(b), special.log_ndtr(z)
        return np.exp(lz - lb) * -np.expm1(la - lz) / -np.expm1(la - lb)


class _Law:
    """An exact CDF for ``ks_pvalue_rounded``, with the mass beyond the extreme values of the
    dtype inside [low, high] moved onto them (where rounding and the inward clamp put it)."""

    def __init__(self, cdf, bounds=None):
        self._cdf, self._bounds = cdf, bounds

    def scipy(self):
        return self

    def cdf(self, x):
        x = np.asarray(x, np.float64)
        out = self._cdf(x)
        if self._bounds is not None:
            low_d, high_d = self._bounds
            out = np.where(x > high_d, 1.0, np.where(x < low_d, 0.0, out))
        return out


EDGE_LAWS = [
    # (initializer, dtype, exact CDF)
    (jaxinit.uniform(-3e38, 3e38), jnp.float32, stats.uniform(-3e38, 6e38).cdf),
    (jaxinit.uniform(-1.0, -0.9999999), jnp.float32, stats.uniform(-1.0, 1e-7).cdf),
    (jaxinit.uniform(1.0, 1.02), jnp.bfloat16, stats.uniform(1.0, 0.02).cdf),
    (jaxinit.trunc_normal(std=1e300, a=-1.0, b=1.0), jnp.float32, stats.uniform(-1.0, 2.0).cdf),
    (jaxinit.trunc_normal(a=100.0, b=100.00001), jnp.float32, _TruncatedNormal(0, 1, 100.0, 100.00001).cdf),
    (jaxinit.trunc_normal(a=-1.0, b=-1.0 + 1e-5), jnp.float32, _TruncatedNormal(0, 1, -1.0, -1.0 + 1e-5).cdf),
    (jaxinit.trunc_normal(0.92, 0.001, -0.3, 0.4), jnp.float32, _TruncatedNormal(0.92, 0.001, -0.3, 0.4).cdf),
    (
        jaxinit.trunc_normal(0.92, 0.001, -0.3, 0.4),
        jnp.bfloat16,
        _TruncatedNormal(0.92, 0.001, -0.3, 0.4).cdf,
    ),
    (jaxinit.trunc_normal(-0.5, 0.01, 3.0, 4.0), jnp.float16, _TruncatedNormal(-0.5, 0.01, 3.0, 4.0).cdf),
    (jaxinit.trunc_normal(a=-40.0, b=-39.9), jnp.float32, _TruncatedNormal(0, 1, -40.0, -39.9).cdf),
    (jaxinit.normal(0.1, 1e-9), jnp.float32, stats.norm(0.1, 1e-9).cdf),
    (
        jaxinit.trunc_normal(std=3.5e38, a=-2e38, b=2e38),
        jnp.float32,
        stats.truncnorm(-2 / 3.5, 2 / 3.5, scale=3.5e38).cdf,
    ),
]


@pytest.mark.parametrize(
    "init,dtype,cdf",
    EDGE_LAWS,
    ids=lambda v: repr(v) if not callable(v) or isinstance(v, jaxinit.Initializer) else "",
)
def test_exact_law_rounded_to_the_dtype_at_the_edges(init, dtype, cdf, key):
    x = init(key, (256, 512), dtype)
    law = init.distribution((256, 512))
    assert x.dtype == dtype and bool(jnp.isfinite(x).all())
    values = np.asarray(x, np.float64)
    bounds = None
    if law.family == "uniform" or law.family == "truncated_normal":
        assert values.min() >= law.low and values.max() <= law.high
        bounds = [float(b) for b in representable.bounds_in(law.low, law.high, dtype)]
    assert ks_pvalue_rounded(x, _Law(cdf, bounds)) > 1e-4


def test_a_mean_far_beyond_the_bounds_puts_every_value_on_the_near_bound(key):
    # the mass lies within 1e-30 of b = 2: rounded to any dtype, every value is 2
    for dtype in (jnp.float32, jnp.bfloat16):
        assert bool((jaxinit.trunc_normal(mean=1e30)(key, (64, 64), dtype) == 2.0).all())
    assert bool((jaxinit.trunc_normal(mean=-1e30, a=-2.0, b=2.0)(key, (64,)) == -2.0).all())


def test_edge_laws_detect_a_five_percent_scale_error(key):
    init = jaxinit.trunc_normal(0.92, 0.001, -0.3, 0.4)
    x = np.asarray(init(key, (256, 512)), np.float64).ravel()
    wrong = _TruncatedNormal(0.92, 0.00095, -0.3, 0.4)
    assert stats.kstest(x, wrong.cdf).pvalue < 1e-4


@pytest.mark.parametrize(
    "init,dtype,match",
    [
        (jaxinit.uniform(1.001, 1.002), jnp.bfloat16, r"has no bfloat16 value in \[1.001, 1.002\]"),
        (jaxinit.uniform(1e-50, 2e-50), jnp.float32, r"has no float32 value in \[1e-50, 2e-50\]"),
        (jaxinit.trunc_normal(a=1.001, b=1.002), jnp.bfloat16, r"has no bfloat16 value"),
        (jaxinit.orthogonal(gain=1e39), jnp.float32, r"reaches 1e\+39, beyond the largest finite float32"),
        (jaxinit.orthogonal(gain=1e5), jnp.float16, r"reaches 100000, beyond the largest finite float16"),
        (
            jaxinit.delta_orthogonal(gain=1e5),
            jnp.float16,
            r"reaches 100000, beyond the largest finite float16",
        ),
        (jaxinit.sparse(0.5, std=1e39), jnp.float32, r"beyond the largest finite float32"),
        (jaxinit.uniform(-1e5, 1e5), jnp.float16, r"beyond the largest finite float16"),
    ],
)
def test_laws_a_dtype_cannot_honour_are_errors(init, dtype, match, key):
    shape = (3, 3, 4, 4) if init.name in ("delta_orthogonal",) else (4, 4)
    with pytest.raises(ValueError, match=match):
        init(key, shape, dtype)


_SHAPES = [(1, 1), (7, 13), (1, 31), (3, 3, 5, 2), (2, 1, 97)]


_DTYPES = [jnp.float32, jnp.bfloat16, jnp.float16]


@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.slow  # hundreds of hypothesis examples
@given(
    st.sampled_from(_SHAPES),
    st.sampled_from(_DTYPES),
    st.floats(-50, 50),
    st.floats(1e-3, 30),
    st.floats(-8, 8),
    st.floats(1e-4, 12),
    st.sampled_from(["uniform", "trunc_normal", "normal", "kaiming_uniform", "xavier_normal"]),
)
def test_property_inside_the_law_and_the_same_everywhere(shape, dtype, mean, std, a, width, kind):
    key = jax.random.key(7)
    b = a + width
    init = {
        "uniform": jaxinit.uniform(a, b),
        "trunc_normal": jaxinit.trunc_normal(mean, std, a, b),
        "normal": jaxinit.normal(mean / 10, std),
        "kaiming_uniform": jaxinit.kaiming_uniform(a=a),
        "xavier_normal": jaxinit.xavier_normal(gain=std),
    }[kind]
    law = init.distribution(shape)
    try:
        x = init(key, shape, dtype)
    except ValueError as error:  # only an interval without a value of the dtype may refuse
        assert "has no" in str(error)
        return
    assert x.shape == shape and x.dtype == dtype and bool(jnp.isfinite(x).all())
    if law.family in ("uniform", "truncated_normal"):
        values = np.asarray(x, np.float64)
        assert values.min() >= law.low and values.max() <= law.high
    jitted = jax.jit(init, static_argnums=(1, 2))(key, shape, dtype)
    np.testing.assert_array_equal(np.asarray(x), np.asarray(jitted))
    keys = jnp.stack([key, jax.random.key(8)])
    rows = jax.vmap(lambda k: init(k, shape, dtype))(keys)
    np.testing.assert_array_equal(np.asarray(rows[0]), np.asarray(x))


def test_no_mass_piles_up_on_a_bound(key):
    # a bound that is not a value of the dtype: the inside neighbour gets only the rounded mass
    init = jaxinit.uniform(0.0, 1.01)
    x = np.asarray(init(key, (512, 512), jnp.bfloat16), np.float64)
    top = x.max()
    assert top <= 1.01 and top == 1.0078125
    # bfloat16 rounds [1.00390625, 1.01] onto 1.0078125: (1.01 - 1.00390625) / 1.01 of the mass
    assert abs((x == top).mean() - (1.01 - 1.00390625) / 1.01) < 0.002
