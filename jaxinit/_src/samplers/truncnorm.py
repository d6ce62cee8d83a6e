"""The truncated normal: a plan per law on the host (a static regime and its float64
constants), and the per-element offset from those constants in the kernel."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeAlias, cast, overload

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import log_ndtr, ndtr

from jaxinit._src import checks
from jaxinit._src.samplers.affine import affine
from jaxinit.typing import DTypeLike

#: A real number: a Python float (or float64) on the host, a traced array in the kernel.
Real: TypeAlias = float | jax.Array

# Beyond this many standard deviations from the mean, the near bound of a one-sided truncated
# normal is sampled by Newton steps on the asymptotic series of log Phi (accurate there to
# far below the compute dtype's epsilon); nearer, by inverting the CDF with ndtri.
_DEEP_TAIL = {np.dtype(np.float32): 12.0, np.dtype(np.float64): 35.0}
# Standardised positions beyond this are clamped: the offset from the near bound is then
# below 1e-30 standard deviations, zero in every dtype relative to the bound.
_FAR = 1e30
# Gauss-Legendre nodes and weights on [-1, 1]: 6 points integrate the narrow regime's density
# (an exponential of a quadratic that varies by at most e^{+-1}) to ~1e-12.
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(6)


# Cephes' piecewise rational approximation of the inverse normal CDF (the coefficients of
# https://root.cern.ch/doc/v608/SpecFuncCephesInv_8cxx_source.html), as jax.scipy.special.ndtri
# computed it up to jax 0.10. Ours, not jax's: jax 0.12 rewrote ndtri in a form XLA:CPU splits
# into several loops with full-size temporaries, and its values moved by an ulp or so; this
# one fuses into the element loop on every supported jax and gives the same bits on each.
_NDTRI_P0 = (
    -5.99633501014107895267e1,
    9.80010754185999661536e1,
    -5.66762857469070293439e1,
    1.39312609387279679503e1,
    -1.23916583867381258016e0,
)
_NDTRI_Q0 = (
    1.0,
    1.95448858338141759834e0,
    4.67627912898881538453e0,
    8.63602421390890590575e1,
    -2.25462687854119370527e2,
    2.00260212380060660359e2,
    -8.20372256168333339912e1,
    1.59056225126211695515e1,
    -1.18331621121330003142e0,
)
_NDTRI_P1 = (
    4.05544892305962419923e0,
    3.15251094599893866154e1,
    5.71628192246421288162e1,
    4.40805073893200834700e1,
    1.46849561928858024014e1,
    2.18663306850790267539e0,
    -1.40256079171354495875e-1,
    -3.50424626827848203418e-2,
    -8.57456785154685413611e-4,
)
_NDTRI_Q1 = (
    1.0,
    1.57799883256466749731e1,
    4.53907635128879210584e1,
    4.13172038254672030440e1,
    1.50425385692907503408e1,
    2.50464946208309415979e0,
    -1.42182922854787788574e-1,
    -3.80806407691578277194e-2,
    -9.33259480895457427372e-4,
)
_NDTRI_P2 = (
    3.23774891776946035970e0,
    6.91522889068984211695e0,
    3.93881025292474443415e0,
    1.33303460815807542389e0,
    2.01485389549179081538e-1,
    1.23716634817820021358e-2,
    3.01581553508235416007e-4,
    2.65806974686737550832e-6,
    6.23974539184983293730e-9,
)
_NDTRI_Q2 = (
    1.0,
    6.02427039364742014255e0,
    3.67983563856160859403e0,
    1.37702099489081330271e0,
    2.16236993594496635890e-1,
    1.34204006088543189037e-2,
    3.28014464682127739104e-4,
    2.89247864745380683936e-6,
    6.79019408009981274425e-9,
)


def _polyval(coefficients: Sequence[float], x: jax.Array) -> jax.Array:
    """Horner's rule from the highest coefficient, as ``jnp.polyval`` (which starts from 0)."""
    y = jnp.zeros_like(x)
    for c in coefficients:
        y = y * x + np.asarray(c, x.dtype)
    return y


def ndtri(p: jax.Array) -> jax.Array:
    """The inverse of the standard normal CDF, elementwise (float32 or float64 ``p``)."""
    dt = p.dtype
    one, half = np.asarray(1, dt), np.asarray(0.5, dt)
    maybe_complement = jnp.where(p > np.asarray(-np.expm1(-2.0), dt), one - p, p)
    # any value without NaNs for p == 0 or 1: those results are replaced below
    safe = jnp.where(maybe_complement == 0, half, maybe_complement)
    # p > exp(-2): x / sqrt(2 pi) = w + w^3 P0(w^2) / Q0(w^2)
    w = safe - half
    ww = lax.square(w)
    big = w + w * ww * (_polyval(_NDTRI_P0, ww) / _polyval(_NDTRI_Q0, ww))
    big = big * -np.asarray(np.sqrt(2.0 * np.pi), dt)
    # p <= exp(-2): x = z - log(z) / z - P(1/z) / Q(1/z) / z, z = sqrt(-2 log p)
    z = lax.sqrt(np.asarray(-2.0, dt) * lax.log(safe))
    first = z - lax.log(z) / z
    small = first - _polyval(_NDTRI_P2, 1 / z) / _polyval(_NDTRI_Q2, 1 / z) / z
    other = first - _polyval(_NDTRI_P1, 1 / z) / _polyval(_NDTRI_Q1, 1 / z) / z
    x = jnp.where(safe > np.asarray(np.exp(-2.0), dt), big, jnp.where(z >= np.asarray(8.0, dt), small, other))
    x = jnp.where(p > np.asarray(1.0 - np.exp(-2.0), dt), x, -x)
    inf = np.asarray(np.inf, dt)
    return jnp.where(p == 0, -inf, jnp.where(p == 1, inf, x))


@overload
def _narrow_integral(v: jax.Array, A: Real, B: Real) -> jax.Array: ...
@overload
def _narrow_integral(v: np.float64, A: Real, B: Real) -> np.float64: ...
def _narrow_integral(v: jax.Array | np.float64, A: Real, B: Real) -> jax.Array | np.float64:
    """``int_0^v exp(-(A x + B x^2 / 2)) dx`` by 6-point Gauss-Legendre (NumPy or JAX arrays)."""
    xp = jnp if isinstance(v, jax.Array) else np  # tracers are jax.Arrays
    dt = v.dtype if hasattr(v, "dtype") else np.dtype(np.float64)
    total = 0
    for node, weight in zip(_GL_NODES, _GL_WEIGHTS):
        x = v * np.asarray((1 + node) / 2, dt)
        total = total + np.asarray(weight / 2, dt) * xp.exp(-(A * x + B * x * x / 2))
    return v * total


def plan(
    mean: Real, std: Real, low: Real, high: Real, compute_dtype: DTypeLike
) -> tuple[tuple[str, str], tuple[np.ndarray[Any, Any], ...]]:
    """The algorithm (a static regime name) and the per-law constants for a truncated normal.

    Everything that does not depend on the element is computed here, outside the kernel, in
    float64 with SciPy: a scalar computed inside the kernel would be compiled differently for
    different shapes (XLA fuses it into the element loop), and its last bit with it. The
    sample is ``base + factor * y`` (see :func:`affine`), with ``y`` measured from where the
    mass is, so that bounds hundreds of standard deviations away, narrow intervals and huge
    means keep the law after rounding:

    * ``narrow``: the density varies by at most a factor e over ``[low, high]`` (any position):
      ``y`` in [0, 1] is the relative position, by Newton steps on a quadrature of the density;
    * ``central``: the interval contains the mean: ``y = z`` by the inverse error function;
    * ``tail``: one-sided, near bound within 12 (float64: 35) standard deviations: ``y`` is the
      distance from the near bound, by ``ndtri``;
    * ``deep``: one-sided and farther: the distance from the near bound, by Newton steps on the
      asymptotic series of ``log Phi`` written in that distance (no cancellation);
    * ``general``: traced bounds (vmap over hyperparameters): chosen per element.
    """
    dt = np.dtype(compute_dtype)
    if any(checks.is_tracer(v) for v in (mean, std, low, high)):
        return ("general", ""), ()
    # not traced: the factories made them Python floats
    mean, std, low, high = (cast(float, v) for v in (mean, std, low, high))
    from scipy import special  # float64 reference implementations, only for constants

    with np.errstate(over="ignore", divide="ignore"):
        alpha = float(np.clip(np.float64(low - mean) / std, -_FAR, _FAR))
        beta = float(np.clip(np.float64(high - mean) / std, -_FAR, _FAR))
        w = float(min(np.float64(high - low) / std, _FAR))
    width = float(np.float64(high) - np.float64(low))
    # Values grow with u, except for an interval above the mean, which is sampled as the
    # mirror image of one below it (as the per-element path for traced bounds does).
    flip = alpha > 0
    # narrow: y is the relative position from the bound the values start at
    base, direction, c = (high, -1.0, -beta) if flip else (low, 1.0, alpha)
    A, B = c * w, w * w  # the density is exp(-(A y + B y^2 / 2)) at relative position y
    if abs(A) + B / 2 <= 1.0:
        J1 = float(_narrow_integral(np.float64(1.0), A, B))
        return _packed("narrow", affine(base, direction * width, width, dt), (A, B, J1), dt)
    if not flip and beta > 0:
        numbers = (special.erf(alpha / math.sqrt(2.0)), special.erf(beta / math.sqrt(2.0)))
        return _packed("central", affine(mean, std, width, dt), numbers, dt)
    # one-sided: y is the distance from the bound nearer the mean, where the mass is;
    # h is that bound's distance from the mean, in standard deviations (>= 0)
    base, direction, h = (low, 1.0, alpha) if flip else (high, -1.0, -beta)
    factor = affine(base, direction * std, width, dt)
    if h < _DEEP_TAIL[dt]:
        return _packed("tail", factor, (special.ndtr(-h - w), special.ndtr(-h), -h, w), dt)
    # mass = P(Z in [-h - w, -h]) / P(Z <= -h), the fraction of the tail inside the interval
    mass = -np.expm1(special.log_ndtr(-h - w) - special.log_ndtr(-h))
    return _packed("deep", factor, (h, mass, math.log(_series(h)), w), dt)


def _packed(
    regime: str,
    factor: tuple[str, tuple[np.ndarray[Any, Any], ...]],
    numbers: Sequence[Any],
    dt: np.dtype[Any],
) -> tuple[tuple[str, str], tuple[np.ndarray[Any, Any], ...]]:
    form, constants = factor
    return (regime, form), (*constants, *(np.asarray(v, dt) for v in numbers))


@overload
def _series(y: float) -> float: ...
@overload
def _series(y: jax.Array) -> jax.Array: ...
def _series(y: float | jax.Array) -> float | jax.Array:
    """``1 - 1/y^2 + 3/y^4 - 15/y^6 + 105/y^8``: Phi(-y) = phi(y) / y * series, for large y."""
    r = 1 / (y * y)
    return 1 + r * (-1 + r * (3 + r * (-15 + 105 * r)))


def offset(u: jax.Array, constants: Sequence[jax.Array], regime: str) -> jax.Array:
    """The ``y`` of :func:`plan`'s regime for open-interval uniforms ``u``."""
    dt = u.dtype
    one = np.asarray(1, dt)
    if regime == "narrow":
        A, B, J1 = constants
        target = u * J1
        v = u
        for _ in range(4):  # Newton on J(v) = u J(1); the density is within e^{+-1} of flat
            density = jnp.exp(-(A * v + B * v * v / 2))
            v = jnp.clip(v - (_narrow_integral(v, A, B) - target) / density, 0, one)
        return v
    if regime == "central":
        erf_lo, erf_hi = constants
        # NumPy defers to jax.Array (__array_priority__), so the product is a jax.Array
        return cast(jax.Array, np.asarray(math.sqrt(2.0), dt) * lax.erf_inv(erf_lo + u * (erf_hi - erf_lo)))
    if regime == "tail":
        cdf_lo, cdf_hi, near, w = constants
        return jnp.clip(near - ndtri(cdf_lo + u * (cdf_hi - cdf_lo)), 0, w)
    # deep: t >= 0 with log Phi(-(h + t)) - log Phi(-h) = log(1 - (1 - u) mass) =: L, i.e.
    # -h t - t^2/2 - log(1 + t/h) + log S(h + t) - log S(h) = L, every term small with t
    h, mass, log_series_h, w = constants
    L = jnp.log1p(-(one - u) * mass)
    t = -L / h
    for _ in range(3):
        y = h + t
        D = -h * t - t * t / 2 - jnp.log1p(t / h) + (jnp.log(_series(y)) - log_series_h)
        t = jnp.clip(t + (D - L) / (y + one / y), 0, w)  # dD/dt = -1/Mills(y) ~ -(y + 1/y)
    return t


def legacy_constants(alpha: jax.Array, beta: jax.Array, compute_dtype: DTypeLike) -> tuple[jax.Array, ...]:
    """Per-element-regime constants for traced bounds (vmap over hyperparameters), from JAX's
    functions in the compute dtype: ``(lo, hi, flip, erf(lo/sqrt2), erf(hi/sqrt2), Phi(lo),
    Phi(hi), log Phi(hi), 1 - Phi(lo)/Phi(hi))`` for the interval mirrored below
    zero when it lies above zero (``flip``)."""
    dt = np.dtype(compute_dtype)
    alpha, beta = jnp.asarray(alpha, dt), jnp.asarray(beta, dt)
    flip = alpha > 0
    lo, hi = jnp.where(flip, -beta, alpha), jnp.where(flip, -alpha, beta)
    sqrt2 = math.sqrt(2.0)
    la, lb = log_ndtr(lo), log_ndtr(hi)
    values = (lo, hi, lax.erf(lo / sqrt2), lax.erf(hi / sqrt2), ndtr(lo), ndtr(hi), lb, -jnp.expm1(la - lb))
    cast_values = tuple(v.astype(dt) for v in values)
    return (cast_values[0], cast_values[1], flip) + cast_values[2:]


# Below this standardised bound the normal CDF underflows in the compute dtype (traced bounds).
_CDF_UNDERFLOW = {np.dtype(np.float32): -12.0, np.dtype(np.float64): -35.0}


def _inverse_log_ndtr(log_p: jax.Array, p: jax.Array) -> jax.Array:
    """x with log Phi(x) = log_p (``p`` is the same probability, where it is an ordinary float).

    Above the threshold Phi(x) is an ordinary float and ndtri inverts ``p``. Below it, Newton
    steps on the asymptotic expansion log Phi(x) = -x^2/2 - log(-x) - log(2 pi)/2 + log(series).
    """
    dt = log_p.dtype
    threshold = _CDF_UNDERFLOW[np.dtype(dt)]
    p_threshold = 0.5 * math.erfc(-threshold / math.sqrt(2.0))
    log_threshold = np.asarray(math.log(p_threshold), dt)
    direct = ndtri(jnp.maximum(p, np.asarray(p_threshold, dt)))
    one = np.asarray(1, dt)
    half_log_2pi = np.asarray(0.5 * math.log(2 * math.pi), dt)
    t = -2 * log_p - 2 * half_log_2pi
    x = -jnp.sqrt(jnp.maximum(t - jnp.log(jnp.maximum(t, one)), one))
    for _ in range(3):
        log_phi = -0.5 * x * x - jnp.log(-x) - half_log_2pi + jnp.log(_series(x))
        x = x - (log_phi - log_p) / (-x - one / x)
    return jnp.where(log_p > log_threshold, direct, x)


def legacy_standard(u: jax.Array, constants: Sequence[jax.Array]) -> jax.Array:
    """Standard normal truncated to [alpha, beta] for traced bounds, regime chosen per element."""
    lo, hi, flip, erf_lo, erf_hi, cdf_lo, cdf_hi, log_cdf_hi, mass = constants
    dt = u.dtype
    central = np.asarray(math.sqrt(2.0), dt) * lax.erf_inv(erf_lo + u * (erf_hi - erf_lo))
    tail = ndtri(cdf_lo + u * (cdf_hi - cdf_lo))
    deep = _inverse_log_ndtr(log_cdf_hi + jnp.log1p((u - 1) * mass), cdf_lo + u * (cdf_hi - cdf_lo))
    threshold = np.asarray(_CDF_UNDERFLOW[np.dtype(dt)], dt)
    x = jnp.where(hi > 0, central, jnp.where(lo > threshold, tail, deep))
    x = jnp.clip(x, lo, hi)
    return jnp.where(flip, -x, x)
