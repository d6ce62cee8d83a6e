"""No silent surprises: transformations and threads on a fresh process, the exact law at the
edges of every dtype (or a clear error), NumPy float64 fills, bounded state, and errors that
name the argument and the value."""

import math
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from scipy import special, stats

import jaxinit
from jaxinit import inplace
from jaxinit._src import engine, representable, samplers
from jaxinit.distributions import Normal
from conftest import ks_pvalue, ks_pvalue_rounded

HERE = os.path.dirname(__file__)


def _run_fresh(script):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(HERE), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, os.path.join(HERE, "fresh", script)], capture_output=True,
                          text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "checked" in done.stdout


@pytest.mark.slow  # a subprocess suite
def test_every_kind_under_every_transformation_on_a_fresh_process():
    _run_fresh("transforms.py")


@pytest.mark.slow  # a subprocess suite
def test_keys_and_draws_from_eight_threads_on_a_fresh_process():
    _run_fresh("threads.py")


# -- the exact law at the edges of a dtype -------------------------------------------------

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
    (jaxinit.trunc_normal(0.92, 0.001, -0.3, 0.4), jnp.bfloat16, _TruncatedNormal(0.92, 0.001, -0.3, 0.4).cdf),
    (jaxinit.trunc_normal(-0.5, 0.01, 3.0, 4.0), jnp.float16, _TruncatedNormal(-0.5, 0.01, 3.0, 4.0).cdf),
    (jaxinit.trunc_normal(a=-40.0, b=-39.9), jnp.float32, _TruncatedNormal(0, 1, -40.0, -39.9).cdf),
    (jaxinit.normal(0.1, 1e-9), jnp.float32, stats.norm(0.1, 1e-9).cdf),
    (jaxinit.trunc_normal(std=3.5e38, a=-2e38, b=2e38), jnp.float32,
     stats.truncnorm(-2 / 3.5, 2 / 3.5, scale=3.5e38).cdf),
]


@pytest.mark.parametrize("init,dtype,cdf", EDGE_LAWS, ids=lambda v: repr(v) if not callable(v) or
                         isinstance(v, jaxinit.Initializer) else "")
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


@pytest.mark.parametrize("init,dtype,match", [
    (jaxinit.uniform(1.001, 1.002), jnp.bfloat16, r"has no bfloat16 value in \[1.001, 1.002\]"),
    (jaxinit.uniform(1e-50, 2e-50), jnp.float32, r"has no float32 value in \[1e-50, 2e-50\]"),
    (jaxinit.trunc_normal(a=1.001, b=1.002), jnp.bfloat16, r"has no bfloat16 value"),
    (jaxinit.orthogonal(gain=1e39), jnp.float32, r"reaches 1e\+39, beyond the largest finite float32"),
    (jaxinit.orthogonal(gain=1e5), jnp.float16, r"reaches 100000, beyond the largest finite float16"),
    (jaxinit.delta_orthogonal(gain=1e5), jnp.float16, r"reaches 100000, beyond the largest finite float16"),
    (jaxinit.sparse(0.5, std=1e39), jnp.float32, r"beyond the largest finite float32"),
    (jaxinit.uniform(-1e5, 1e5), jnp.float16, r"beyond the largest finite float16"),
])
def test_laws_a_dtype_cannot_honour_are_errors(init, dtype, match, key):
    shape = (3, 3, 4, 4) if init.name in ("delta_orthogonal",) else (4, 4)
    with pytest.raises(ValueError, match=match):
        init(key, shape, dtype)


_SHAPES = [(1, 1), (7, 13), (1, 31), (3, 3, 5, 2), (2, 1, 97)]
_DTYPES = [jnp.float32, jnp.bfloat16, jnp.float16]


@settings(max_examples=40, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@pytest.mark.slow  # hundreds of hypothesis examples
@given(st.sampled_from(_SHAPES), st.sampled_from(_DTYPES),
       st.floats(-50, 50), st.floats(1e-3, 30), st.floats(-8, 8), st.floats(1e-4, 12),
       st.sampled_from(["uniform", "trunc_normal", "normal", "kaiming_uniform", "xavier_normal"]))
def test_property_inside_the_law_and_the_same_everywhere(shape, dtype, mean, std, a, width, kind):
    key = jax.random.key(7)
    b = a + width
    init = {"uniform": jaxinit.uniform(a, b), "trunc_normal": jaxinit.trunc_normal(mean, std, a, b),
            "normal": jaxinit.normal(mean / 10, std), "kaiming_uniform": jaxinit.kaiming_uniform(a=a),
            "xavier_normal": jaxinit.xavier_normal(gain=std)}[kind]
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


# -- NumPy float64 and int64 arrays without x64 ----------------------------------------------

def test_deterministic_fills_of_numpy_arrays_are_exact_in_their_own_dtype():
    assert inplace.constant_(np.zeros(3), 0.1)[0] == 0.1
    assert inplace.constant_(np.zeros(3, np.int64), 2 ** 40)[0] == 2 ** 40
    assert inplace.ones_(np.zeros((2, 2), np.int64)).dtype == np.int64
    np.testing.assert_array_equal(inplace.eye_(np.empty((2, 3))), np.eye(2, 3))
    with pytest.raises(ValueError, match="cannot be represented exactly in int64"):
        inplace.constant_(np.zeros(3, np.int64), 0.5)


def test_random_draws_into_float64_numpy_arrays_honour_the_law_or_refuse():
    x = inplace.uniform_(np.empty((64, 64)), -1.0, 1.0, generator=jax.random.key(0))
    assert x.dtype == np.float64 and x.min() >= -1 and x.max() <= 1
    with pytest.raises(ValueError, match=r"no float32 value .* float64 NumPy array is drawn in "
                                         r"float32: jax_enable_x64 is off"):
        inplace.uniform_(np.empty(3), 1e-50, 2e-50, generator=jax.random.key(0))


def test_generator_is_positional_where_torch_has_it():
    k = jax.random.key(3)
    x = np.empty((4, 5), np.float32)
    for fill, args in [(inplace.normal_, (0.0, 1.0)), (inplace.uniform_, (0.0, 1.0)),
                       (inplace.trunc_normal_, (0.0, 1.0, -2.0, 2.0)), (inplace.xavier_uniform_, (1.0,)),
                       (inplace.kaiming_normal_, (0.0, "fan_in", "relu")), (inplace.orthogonal_, (1.0,)),
                       (inplace.sparse_, (0.5, 0.01))]:
        np.testing.assert_array_equal(fill(x.copy(), *args, k), fill(x.copy(), *args, generator=k))


# -- seeds ------------------------------------------------------------------------------------

def test_seeds_follow_torch():
    torch = pytest.importorskip("torch")
    for seed in (-1, -2 ** 63, 2 ** 64 - 1, 0, 12345):
        torch.manual_seed(seed)
        assert jaxinit.Generator(seed).initial_seed() == torch.initial_seed()
    for seed in (2 ** 64, -2 ** 63 - 1):
        with pytest.raises(ValueError):
            torch.manual_seed(seed)
        with pytest.raises(ValueError, match=r"`seed` must be in \[-2\*\*63, 2\*\*64 - 1\]"):
            jaxinit.Generator(seed)


def test_a_seed_maps_to_the_documented_key():
    from jaxinit._src.generator import seed_key
    np.testing.assert_array_equal(jax.random.key_data(seed_key(5)), jax.random.key_data(jax.random.key(5)))
    np.testing.assert_array_equal(jax.random.key_data(seed_key(-1)), [0xFFFFFFFF, 0xFFFFFFFF])
    np.testing.assert_array_equal(jax.random.key_data(seed_key(2 ** 40 + 3)), [2 ** 8, 3])
    assert jaxinit.Generator(-1).next_key() is not None


# -- bounded state ----------------------------------------------------------------------------

def test_the_eager_call_counter_is_bounded(key, monkeypatch):
    counter = engine.CallCounter(capacity=16)
    monkeypatch.setattr(engine, "EAGER_CALLS", counter)
    for n in range(40):
        jaxinit.normal()(key, (3, n + 1))
    assert len(counter) == 16
    # the tiering still works for a shape within the window
    assert counter.count((samplers.of(Normal(0.0, 1.0)), ("plain",), (3, 40), np.dtype(np.float32))) == 2


# -- errors that name the argument and the value ---------------------------------------------

BAD = [
    (lambda: jaxinit.kaiming_uniform(a=1e200), ValueError, r"`a` \(the negative slope of leaky_relu\) must be at most 1e150"),
    (lambda: jaxinit.calculate_gain("leaky_relu", 1e200), ValueError, r"`param` .* got 1e\+200"),
    (lambda: jaxinit.calculate_gain("leaky_relu", True), ValueError, r"`param` must be a real number, got True"),
    (lambda: jaxinit.calculate_gain("leaky_relu", [1]), ValueError, r"`param` must be a real number, got \[1\]"),
    (lambda: jaxinit.uniform(10 ** 400), ValueError, r"`a` must be finite, got an integer of 401 digits"),
    (lambda: jaxinit.reinit({"b": jnp.ones(3)}, jax.random.key(0), {"*b": jaxinit.zeros}), TypeError,
     r"rule '\*b' maps to the factory jaxinit.zeros, not to an initializer: call it"),
    (lambda: jaxinit.reinit({"b": jnp.ones(3)}, jax.random.key(0), {"*b": 0.0}), TypeError,
     r"rule '\*b' maps to 0.0, which is not an initializer"),
    (lambda: jaxinit.reinit({"b": jnp.ones(3)}, jax.random.key(0), [("*b",)]), TypeError,
     r"`rules` entry 0 must be a \(pattern, initializer\) pair, got \('\*b',\)"),
    (lambda: jaxinit.reinit({"b": jnp.ones(3)}, jax.random.key(0), None), TypeError,
     r"`rules` must be a dict or a sequence of \(pattern, initializer\) pairs, got None"),
    (lambda: jaxinit.reinit({"dense": {"bias": jnp.ones(32)}}, jax.random.key(0), {"*bias": jaxinit.xavier_uniform()}),
     ValueError, r"rule '\*bias' -> xavier_uniform\(gain=1.0\) on leaf 'dense/bias' \(shape \(32,\), float32\): fan in"),
    (lambda: jaxinit.reinit({"b": jnp.ones(3)}, jax.random.key(0), {"*b": jax.nn.initializers.lecun_normal}),
     TypeError, r"on leaf 'b' .* returned function of shape None"),
    (lambda: jaxinit.normal()(jnp.zeros(4, jnp.uint32), (2,)), TypeError,
     r"`key` is raw uint32 key data of shape \(4,\), but the default PRNG implementation"),
    (lambda: jaxinit.sparse(0.5, in_axis=())(jax.random.key(0), (3, 4)), ValueError,
     r"sparse needs one input axis and one output axis, got in_axis=\(\)"),
    (lambda: jaxinit.normal()(jax.random.key(0), {3, 2}), TypeError,
     r"`shape` must be an int or a sequence of non-negative ints, got set"),
    (lambda: jaxinit.normal()(jax.random.key(0), ((2, 3), 4)), TypeError,
     r"`shape` must be an int or a sequence of non-negative ints, got \(\(2, 3\), 4\): entry 0 is \(2, 3\)"),
    (lambda: jaxinit.calculate_fan_in_and_fan_out(((2, 3), 4)), TypeError, r"`shape` .* got \(\(2, 3\), 4\)"),
    (lambda: jaxinit.normal()(jax.random.key(0), (2, 3.0)), TypeError, r"`shape` entries must be integers, got 3.0"),
    (lambda: jaxinit.normal()(jax.random.key(0), {3: 2}), TypeError, r"got dict \{3: 2\}"),
    (lambda: jaxinit.normal()(jax.random.key(0), np.ones((2, 2), int)), TypeError, r"or a 1-D integer array, got an array of dtype int64 and shape \(2, 2\)"),
    (lambda: jaxinit.path_key(jax.random.key(0), 3), TypeError, r"`path` must be a str .* got 3"),
    (lambda: jaxinit.Initializer("foo", {}), TypeError, r"`recipe` must be a jaxinit Recipe, got 'foo'.*jaxinit.get"),
    (lambda: inplace.normal_(np.empty(3), generator=3), TypeError, r"`generator` must be a JAX key, .* got 3"),
]


@pytest.mark.parametrize("call,error,match", BAD, ids=[m[:40] for _, _, m in BAD])
def test_bad_inputs_get_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_nnx_rngs_as_key_or_generator():
    nnx = pytest.importorskip("flax.nnx")
    with pytest.raises(TypeError, match=r"`key` must be a PRNG key, got an nnx.Rngs; pass one of "
                                        r"its keys, e.g. rngs.params\(\)"):
        jaxinit.normal()(nnx.Rngs(0), (2,))
    with pytest.raises(ValueError, match=r"an nnx.Rngs without a 'params' or 'default' stream "
                                         r"\(it has \['dropout'\]\)"):
        inplace.normal_(np.empty(3, np.float32), generator=nnx.Rngs(dropout=0))
    assert inplace.normal_(np.empty(3, np.float32), generator=nnx.Rngs(dropout=0).dropout).shape == (3,)
