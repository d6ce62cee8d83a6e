"""The sampling core: counter-based random bits and the elementwise laws built on them.

Every random value jaxinit produces comes from :func:`unit_interval`. Element ``i`` (its
row-major flat index in the output) gets its bits from one Threefry-2x32 evaluation keyed by
the caller's key: counter ``i`` for float64 (64 bits), ``i // 2`` and one 32-bit half for
float32, ``i // 4`` and one 16-bit quarter for 16-bit floats. So the bits depend only on
(key, flat index, the dtype's bit width):

* no counter array is materialised: XLA fuses iota -> hash -> transform -> cast into one loop,
  so the compiled initializer needs no temporary buffers beside its output;
* every element is computed independently, so under a sharding each device evaluates only
  its own elements, and the values do not depend on how (or whether) the array is sharded;
* the same values come out whether an array is made in one piece or in chunks
  (:func:`offset_index`), which is how eager calls avoid a compilation per shape.
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


def element_index(shape):
    """The row-major flat index of every element of ``shape``, as (hi, lo) uint32 arrays."""
    if any(d >= 2 ** 32 for d in shape):
        raise ValueError(f"`shape` entries must be below 2**32, got shape {shape}")
    indices = [lax.broadcasted_iota(jnp.uint32, shape, axis) for axis in range(len(shape))]
    if not indices:
        zero = jnp.zeros((), jnp.uint32)
        return zero, zero
    return flat_index(indices, shape)


def offset_index(start_hi, start_lo, size: int):
    """Flat indices ``start, start + 1, ..., start + size - 1`` (``start`` given as two uint32
    words), as (hi, lo) uint32 arrays: the indices of one chunk of a larger array."""
    lo = start_lo + lax.iota(jnp.uint32, size)
    return start_hi + (lo < start_lo).astype(jnp.uint32), lo


def bits_for(dtype) -> int:
    """Random bits per value: 16 for 16-bit (and narrower) floats, 32 for float32, 64 for float64."""
    return int(min(max(jnp.dtype(dtype).itemsize * 8, 16), 64))


def random_words(words, index, bits: int):
    """Random bits for every element of ``index`` (flat indices as (hi, lo) words).

    One Threefry evaluation gives 64 bits, shared by the 1, 2 or 4 consecutive elements whose
    index agrees above the low 0, 1 or 2 bits. ``bits=64`` returns a (hi, lo) pair of words;
    ``bits=32`` one word per element; ``bits=16`` one word holding 16 bits in its low half.
    """
    hi, lo = index
    if bits == 64:
        return threefry2x32(words[0], words[1], hi, lo)
    shift = {32: 1, 16: 2}[bits]
    counter = (hi >> np.uint32(shift), (lo >> np.uint32(shift)) | (hi << np.uint32(32 - shift)))
    w0, w1 = threefry2x32(words[0], words[1], *counter)
    one = np.uint32(1)
    if bits == 32:
        return jnp.where((lo & one) == 0, w0, w1)
    word = jnp.where((lo & np.uint32(2)) == 0, w0, w1)
    return jnp.where((lo & one) == 0, word & np.uint32(0xFFFF), word >> np.uint32(16))


def unit_interval(words, index, compute_dtype, bits: int | None = None):
    """Uniform values on the open interval (0, 1), symmetric about 1/2: ``(k + 1/2) / 2**m``.

    ``m`` is 52 for 64 random bits (float64), 23 for 32 bits and 16 for 16 bits: every value
    is exact in the compute dtype, and 0 and 1 never occur, so inverse-CDF transforms never see
    an infinity. ``bits`` defaults to the compute dtype's width.
    """
    bits = bits_for(compute_dtype) if bits is None else bits
    if bits == 64:
        hi, lo = random_words(words, index, 64)
        k = ((hi >> np.uint32(12)).astype(jnp.uint64) << np.uint64(32)) | lo.astype(jnp.uint64)
        return (k.astype(jnp.float64) + 0.5) * np.float64(2.0 ** -52)
    mantissa = min(bits, 23)
    k = random_words(words, index, bits) >> np.uint32(bits - mantissa)
    dt = jnp.dtype(compute_dtype)
    return (k.astype(dt) + np.asarray(0.5, dt)) * np.asarray(2.0 ** -mantissa, dt)


def standard_normal(u, scale=None):
    """Inverse-CDF normal values ``scale * N(0, 1)`` from open-interval uniforms.

    The scale is folded into the constant sqrt(2) before it meets the array: XLA reassociates
    ``scale * (c * x)`` into ``(scale * c) * x`` for some shapes and not others, and that
    would make the last bit depend on the shape.
    """
    factor = np.asarray(math.sqrt(2.0), u.dtype)
    if scale is not None:
        factor = scale * factor
    return factor * lax.erf_inv(np.asarray(2, u.dtype) * u - np.asarray(1, u.dtype))


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


def truncnorm_constants(alpha, beta, compute_dtype) -> tuple:
    """Everything the truncated normal needs that does not depend on the element.

    Computed here, outside the kernel, in float64 with SciPy when the bounds are concrete: a
    scalar computed inside the kernel would be compiled differently for different shapes (XLA
    fuses it into the element loop), and its last bit with it. Traced bounds (vmap over them)
    use JAX's functions in the compute dtype. Returns ``(lo, hi, flip, erf(lo/sqrt2),
    erf(hi/sqrt2), Phi(lo), Phi(hi), log Phi(lo), log Phi(hi), 1 - Phi(lo)/Phi(hi))`` for the
    interval mirrored below zero when it lies above zero (``flip``).
    """
    dt = np.dtype(compute_dtype)
    if isinstance(alpha, jax.core.Tracer) or isinstance(beta, jax.core.Tracer):
        alpha, beta = jnp.asarray(alpha, dt), jnp.asarray(beta, dt)
        flip = alpha > 0
        lo, hi = jnp.where(flip, -beta, alpha), jnp.where(flip, -alpha, beta)
        erf, cdf, log_cdf, expm1 = lax.erf, ndtr, log_ndtr, jnp.expm1
    else:
        from scipy import special  # float64 reference implementations, only for constants

        flip = bool(alpha > 0)
        lo, hi = (-float(beta), -float(alpha)) if flip else (float(alpha), float(beta))
        erf, cdf, log_cdf, expm1 = special.erf, special.ndtr, special.log_ndtr, np.expm1
    sqrt2 = math.sqrt(2.0)
    la, lb = log_cdf(lo), log_cdf(hi)
    values = (lo, hi, erf(lo / sqrt2), erf(hi / sqrt2), cdf(lo), cdf(hi), la, lb, -expm1(la - lb))
    values = tuple(v.astype(dt) if isinstance(v, jax.Array) else np.asarray(v, dt) for v in values)
    return (values[0], values[1], np.asarray(flip) if isinstance(flip, bool) else flip) + values[2:]


def _inverse_log_ndtr(log_p, p):
    """x with log Phi(x) = log_p (``p`` is the same probability, where it is an ordinary float).

    Above the threshold Phi(x) is an ordinary float and ndtri inverts ``p``. Below it, Newton
    steps on the asymptotic expansion log Phi(x) = -x^2/2 - log(-x) - log(2 pi)/2
    + log(1 - 1/x^2 + 3/x^4 - 15/x^6 + 105/x^8), accurate to far below float64's epsilon
    there. It is closed-form, so XLA fuses it with the rest of the kernel (no temporaries).
    """
    dt = log_p.dtype
    threshold = _DEEP_TAIL[np.dtype(dt)]
    p_threshold = 0.5 * math.erfc(-threshold / math.sqrt(2.0))
    log_threshold = np.asarray(math.log(p_threshold), dt)
    direct = ndtri(jnp.maximum(p, np.asarray(p_threshold, dt)))
    one = np.asarray(1, dt)
    half_log_2pi = np.asarray(0.5 * math.log(2 * math.pi), dt)
    t = -2 * log_p - 2 * half_log_2pi
    x = -jnp.sqrt(jnp.maximum(t - jnp.log(jnp.maximum(t, one)), one))
    for _ in range(3):
        r = one / (x * x)
        series = r * (-1 + r * (3 + r * (-15 + 105 * r)))
        # log(1 + s), not log1p: |s| < 0.007 here, so log's absolute error (one ulp of 1) is
        # negligible beside |log_phi| > 72.
        log_phi = -0.5 * x * x - jnp.log(-x) - half_log_2pi + jnp.log(one + series)
        x = x - (log_phi - log_p) / (-x - one / x)
    return jnp.where(log_p > log_threshold, direct, x)


def standard_truncated_normal(u, constants, regime: str):
    """Standard normal truncated to [alpha, beta], by inverse CDF on the tail nearer the bounds.

    ``constants`` come from :func:`truncnorm_constants`. An interval entirely above zero is
    mirrored below zero first, so every CDF value used is at most 1/2 and keeps full relative
    precision; intervals beyond the CDF's range in the compute dtype are inverted in log space.
    Only the element's own uniform ``u`` is transformed here.
    """
    lo, hi, flip, erf_lo, erf_hi, cdf_lo, cdf_hi, log_cdf_lo, log_cdf_hi, mass = constants
    dt = u.dtype
    sqrt2 = np.asarray(math.sqrt(2.0), dt)

    def central():
        return sqrt2 * lax.erf_inv(erf_lo + u * (erf_hi - erf_lo))

    def tail():
        return ndtri(cdf_lo + u * (cdf_hi - cdf_lo))

    def deep():
        # log(Phi(lo) + u (Phi(hi) - Phi(lo))), without forming the probabilities
        log_p = log_cdf_hi + jnp.log1p((u - 1) * mass)
        return _inverse_log_ndtr(log_p, cdf_lo + u * (cdf_hi - cdf_lo))

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
