"""The sampling core: counter-based random bits and the elementwise laws built on them.

Every random value jaxinit produces comes from :func:`unit_interval`. Element ``i`` (its
row-major flat index in the output) gets its bits from one Threefry-2x32 evaluation keyed by
the caller's key, with counter ``i // 2`` (32-bit lanes, for dtypes of 32 bits or fewer) or
``i`` (64-bit, for float64). So the bits depend only on (key, flat index, bit width):

* no counter array is materialised: XLA fuses iota -> hash -> transform -> cast into one loop,
  so the compiled initializer needs no temporary buffers beside its output;
* every element is computed independently, so under a sharding each device evaluates only
  its own elements, and the values do not depend on how (or whether) the array is sharded;
* a 16-bit result is the 32-bit result rounded once (the same bits feed both).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import log_ndtr, ndtr, ndtri

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA
# Domain separation: the key is first hashed with this counter, so jaxinit's stream never
# coincides with what jax.random itself would draw from the same key.
_DOMAIN = 0x6A617869  # b"jaxi"


def _rotl(x, r):
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def threefry2x32(k0, k1, x0, x1):
    """Threefry-2x32 with 20 rounds (Salmon et al. 2011) on uint32 arrays; returns two words."""
    ks = (k0, k1, k0 ^ k1 ^ np.uint32(_PARITY))
    x0 = x0 + ks[0]
    x1 = x1 + ks[1]
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x0 = x0 + x1
            x1 = _rotl(x1, r) ^ x0
        x0 = x0 + ks[(i + 1) % 3]
        x1 = x1 + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x0, x1


def key_words(key) -> tuple[jax.Array, jax.Array]:
    """Two uint32 words derived from a typed or legacy PRNG key (called inside the kernel)."""
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        if str(jax.random.key_impl(key)) == "threefry2x32":
            data = jax.random.key_data(key)
        else:  # rbg and friends: let the key's own generator produce the two words
            data = jax.random.bits(key, (2,), jnp.uint32)
    elif key.shape == (2,):
        data = key
    else:
        data = jax.random.bits(jax.random.wrap_key_data(key), (2,), jnp.uint32)
    return threefry2x32(data[0], data[1], np.uint32(_DOMAIN), np.uint32(0))


def substream(words, stream: int):
    """An independent key for a second draw from the same key (e.g. sparse's zero pattern)."""
    return threefry2x32(words[0], words[1], np.uint32(_DOMAIN), np.uint32(stream))


def _mul_wide(a, b):
    """Full 64-bit product of uint32 ``a`` and ``b`` as (hi, lo) words, using 16-bit limbs."""
    mask = np.uint32(0xFFFF)
    sixteen = np.uint32(16)
    al, ah, bl, bh = a & mask, a >> sixteen, b & mask, b >> sixteen
    ll, lh, hl, hh = al * bl, al * bh, ah * bl, ah * bh
    mid = (ll >> sixteen) + (lh & mask) + (hl & mask)
    lo = (mid << sixteen) | (ll & mask)
    hi = hh + (lh >> sixteen) + (hl >> sixteen) + (mid >> sixteen)
    return hi, lo


def flat_index(indices, dims):
    """Row-major flat index of per-axis uint32 ``indices`` into ``dims``, as (hi, lo) uint32 words.

    Exact for arrays of up to 2**64 elements; arrays under 2**32 elements take the one-word path.
    """
    if math.prod(dims) < 2 ** 32:
        lo = np.uint32(0)
        stride = 1
        for idx, d in zip(reversed(indices), reversed(dims)):
            lo = lo + idx * np.uint32(stride)
            stride *= d
        return jnp.zeros_like(lo), lo
    hi = lo = np.uint32(0)
    for idx, d in zip(indices, dims):  # Horner: acc = acc * d + idx, in 64-bit arithmetic
        carry_hi, lo = _mul_wide(lo, np.uint32(d))
        hi = hi * np.uint32(d) + carry_hi
        lo = lo + idx
        hi = hi + (lo < idx).astype(jnp.uint32)
    return hi, lo


def _counters(shape):
    indices = [lax.broadcasted_iota(jnp.uint32, shape, axis) for axis in range(len(shape))]
    if not indices:
        zero = jnp.zeros((), jnp.uint32)
        return zero, zero
    return flat_index(indices, shape)


def random_words(words, shape, bits: int):
    """Per-element random words: one uint32 (``bits=32``) or a (hi, lo) pair (``bits=64``)."""
    if any(d >= 2 ** 32 for d in shape):
        raise ValueError(f"`shape` entries must be below 2**32, got shape {shape}")
    hi, lo = _counters(shape)
    if bits == 64:
        return threefry2x32(words[0], words[1], hi, lo)
    one = np.uint32(1)
    w0, w1 = threefry2x32(words[0], words[1], hi >> one, (lo >> one) | (hi << np.uint32(31)))
    return jnp.where((lo & one) == 0, w0, w1)


def unit_interval(words, shape, compute_dtype):
    """Uniform values on the open interval (0, 1), symmetric about 1/2: ``(k + 1/2) / 2**m``.

    float32 uses m = 23 bits, float64 m = 52: every value is exact, and 0 and 1 never occur,
    so inverse-CDF transforms never see an infinity.
    """
    if jnp.dtype(compute_dtype) == jnp.float64:
        hi, lo = random_words(words, shape, 64)
        k = ((hi >> np.uint32(12)).astype(jnp.uint64) << np.uint64(32)) | lo.astype(jnp.uint64)
        return (k.astype(jnp.float64) + 0.5) * np.float64(2.0 ** -52)
    k = random_words(words, shape, 32) >> np.uint32(9)
    return (k.astype(jnp.float32) + np.float32(0.5)) * np.float32(2.0 ** -23)


def standard_normal(u):
    """Inverse-CDF standard normal from open-interval uniforms."""
    two = np.asarray(2, u.dtype)
    return np.asarray(math.sqrt(2.0), u.dtype) * lax.erf_inv(two * u - np.asarray(1, u.dtype))


# Below this standardised bound the normal CDF underflows in the compute dtype, and the
# truncated normal is sampled in log space instead.
_DEEP_TAIL = {np.dtype(np.float32): -12.0, np.dtype(np.float64): -35.0}


def truncnorm_regime(alpha, beta, compute_dtype) -> str:
    """Which algorithm suits standardised bounds (alpha, beta): decided once, outside the kernel."""
    if isinstance(alpha, jax.core.Tracer) or isinstance(beta, jax.core.Tracer):
        return "general"
    lo, hi = (alpha, beta) if alpha <= 0 else (-beta, -alpha)
    if hi > 0:
        return "central"
    return "tail" if lo > _DEEP_TAIL[np.dtype(compute_dtype)] else "deep"


def _inverse_log_ndtr(log_p):
    """x with log Phi(x) = log_p, for log_p far below zero: asymptotic start and Newton steps."""
    dt = log_p.dtype
    half_log_2pi = np.asarray(0.5 * math.log(2 * math.pi), dt)
    t = -2 * log_p - 2 * half_log_2pi
    x = -jnp.sqrt(jnp.maximum(t - jnp.log(jnp.maximum(t, np.asarray(1, dt))), np.asarray(1, dt)))
    for _ in range(4):
        lx = log_ndtr(x)
        x = x - (lx - log_p) * jnp.exp(lx + x * x / 2 + half_log_2pi)
    return x


def standard_truncated_normal(u, alpha, beta, regime: str):
    """Standard normal truncated to [alpha, beta], by inverse CDF on the tail nearer the bounds.

    An interval entirely above zero is mirrored below zero first, so every CDF value used is
    at most 1/2 and keeps full relative precision; intervals beyond the CDF's range in the
    compute dtype are inverted in log space.
    """
    dt = u.dtype
    flip = alpha > 0
    lo = jnp.where(flip, -beta, alpha)
    hi = jnp.where(flip, -alpha, beta)
    sqrt2 = np.asarray(math.sqrt(2.0), dt)

    def central():
        za, zb = lax.erf(lo / sqrt2), lax.erf(hi / sqrt2)
        return sqrt2 * lax.erf_inv(za + u * (zb - za))

    def tail():
        pa, pb = ndtr(lo), ndtr(hi)
        return ndtri(pa + u * (pb - pa))

    def deep():
        la, lb = log_ndtr(lo), log_ndtr(hi)
        log_p = lb + jnp.log1p((u - 1) * -jnp.expm1(la - lb))
        return _inverse_log_ndtr(log_p)

    if regime == "central":
        x = central()
    elif regime == "tail":
        x = tail()
    elif regime == "deep":
        x = deep()
    else:
        threshold = np.asarray(_DEEP_TAIL[np.dtype(dt)], dt)
        x = jnp.where(hi > 0, central(), jnp.where(lo > threshold, tail(), deep()))
    x = jnp.clip(x, lo, hi)
    return jnp.where(flip, -x, x)


def cast_inside(x, low, high, dtype):
    """Cast ``x`` (inside [low, high] in the compute dtype) to ``dtype`` without leaving the bounds.

    Rounding may carry a value just past a bound that ``dtype`` cannot represent; such values go
    to the nearest representable value inside instead, so no value leaves and none piles up.
    """
    y = x.astype(dtype)
    if jnp.dtype(dtype) == x.dtype:
        return y
    low_d, high_d = low.astype(dtype), high.astype(dtype)
    low_d = jnp.where(low_d.astype(x.dtype) < low, jnp.nextafter(low_d, high_d), low_d)
    high_d = jnp.where(high_d.astype(x.dtype) > high, jnp.nextafter(high_d, low_d), high_d)
    return jnp.clip(y, low_d, high_d)


def inward(low, high, compute_dtype):
    """``low``/``high`` in the compute dtype, rounded towards each other so that a value that
    respects the rounded bounds respects the exact ones too (tracers are cast as they are)."""
    dt = np.dtype(compute_dtype)
    out = []
    for value, direction in ((low, np.inf), (high, -np.inf)):
        if isinstance(value, jax.core.Tracer):
            out.append(value.astype(dt))
            continue
        rounded = np.asarray(value, dt)
        # compare as Python floats: NumPy would round `value` to `dt` first (NEP 50)
        if (float(rounded) < value) if direction > 0 else (float(rounded) > value):
            rounded = np.nextafter(rounded, np.asarray(direction, dt))
        out.append(rounded)
    return tuple(out)
