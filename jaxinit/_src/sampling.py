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
from collections.abc import Sequence
from typing import Any, Literal, TypeAlias, cast, overload

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import log_ndtr, ndtr

from jaxinit._src import checks
from jaxinit.typing import DTypeLike, KeyArray, Shape

#: A uint32 word: a JAX array, or a NumPy scalar where a constant enters the arithmetic.
Word: TypeAlias = jax.Array | np.uint32
#: Two uint32 words: Threefry's output, or a key's two words.
Words: TypeAlias = tuple[jax.Array, jax.Array]
#: Flat indices as (hi, lo) uint32 words.
Index: TypeAlias = tuple[Word, Word]
#: A real number: a Python float (or float64) on the host, a traced array in the kernel.
Real: TypeAlias = float | jax.Array

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA
# Domain separation: the key is first hashed with this counter, so jaxinit's stream never
# coincides with what jax.random itself would draw from the same key.
_DOMAIN = 0x6A617869  # b"jaxi"


def _rotl(x: jax.Array, r: int) -> jax.Array:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def threefry2x32(k0: jax.Array, k1: jax.Array, x0: Word, x1: Word) -> Words:
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


def key_words(key: KeyArray) -> Words:
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


def substream(words: Words, stream: int) -> Words:
    """An independent key for a second draw from the same key (e.g. sparse's zero pattern)."""
    return threefry2x32(words[0], words[1], np.uint32(_DOMAIN), np.uint32(stream))


def _mul_wide(a: Word, b: Word) -> tuple[Word, Word]:
    """Full 64-bit product of uint32 ``a`` and ``b`` as (hi, lo) words, using 16-bit limbs."""
    mask = np.uint32(0xFFFF)
    sixteen = np.uint32(16)
    al, ah, bl, bh = a & mask, a >> sixteen, b & mask, b >> sixteen
    ll, lh, hl, hh = al * bl, al * bh, ah * bl, ah * bh
    mid = (ll >> sixteen) + (lh & mask) + (hl & mask)
    lo = (mid << sixteen) | (ll & mask)
    hi = hh + (lh >> sixteen) + (hl >> sixteen) + (mid >> sixteen)
    return hi, lo


def flat_index(indices: Sequence[jax.Array], dims: Sequence[int]) -> Index:
    """Row-major flat index of per-axis uint32 ``indices`` into ``dims``, as (hi, lo) uint32 words.

    Exact for arrays of up to 2**64 elements; arrays under 2**32 elements take the one-word path.
    """
    lo: Word
    hi: Word
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


def element_index(shape: Shape) -> Index:
    """The row-major flat index of every element of ``shape``, as (hi, lo) uint32 arrays."""
    if any(d >= 2 ** 32 for d in shape):
        raise ValueError(f"`shape` entries must be below 2**32, got shape {shape}")
    indices = [lax.broadcasted_iota(jnp.uint32, shape, axis) for axis in range(len(shape))]
    if not indices:
        zero = jnp.zeros((), jnp.uint32)
        return zero, zero
    return flat_index(indices, shape)


def offset_index(start_hi: Word, start_lo: Word, size: int) -> Words:
    """Flat indices ``start, start + 1, ..., start + size - 1`` (``start`` given as two uint32
    words), as (hi, lo) uint32 arrays: the indices of one chunk of a larger array."""
    lo = start_lo + lax.iota(jnp.uint32, size)
    return start_hi + (lo < start_lo).astype(jnp.uint32), lo


def bits_for(dtype: DTypeLike) -> int:
    """Random bits per value: 16 for 16-bit (and narrower) floats, 32 for float32, 64 for float64."""
    return int(min(max(jnp.dtype(dtype).itemsize * 8, 16), 64))


@overload
def random_words(words: Words, index: Index, bits: Literal[64]) -> Words: ...
@overload
def random_words(words: Words, index: Index, bits: Literal[16, 32]) -> jax.Array: ...
@overload
def random_words(words: Words, index: Index, bits: int) -> Words | jax.Array: ...
def random_words(words: Words, index: Index, bits: int) -> Words | jax.Array:
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


def unit_interval(words: Words, index: Index, compute_dtype: DTypeLike,
                  bits: int | None = None) -> jax.Array:
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
    word = cast(jax.Array, random_words(words, index, bits))  # one word: bits is 16 or 32 here
    k = word >> np.uint32(bits - mantissa)
    dt = jnp.dtype(compute_dtype)
    return (k.astype(dt) + np.asarray(0.5, dt)) * np.asarray(2.0 ** -mantissa, dt)


def standard_normal(u: jax.Array, scale: jax.Array | None = None) -> jax.Array:
    """Inverse-CDF normal values ``scale * N(0, 1)`` from open-interval uniforms.

    The scale is folded into the constant sqrt(2) before it meets the array: XLA reassociates
    ``scale * (c * x)`` into ``(scale * c) * x`` for some shapes and not others, and that
    would make the last bit depend on the shape.
    """
    factor: jax.Array | np.ndarray[Any, Any] = np.asarray(math.sqrt(2.0), u.dtype)
    if scale is not None:
        factor = scale * factor
    # NumPy defers to jax.Array (__array_priority__), so the product is a jax.Array
    return cast(jax.Array, factor * lax.erf_inv(np.asarray(2, u.dtype) * u - np.asarray(1, u.dtype)))


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
_NDTRI_P0 = (-5.99633501014107895267E1, 9.80010754185999661536E1, -5.66762857469070293439E1,
             1.39312609387279679503E1, -1.23916583867381258016E0)
_NDTRI_Q0 = (1.0, 1.95448858338141759834E0, 4.67627912898881538453E0, 8.63602421390890590575E1,
             -2.25462687854119370527E2, 2.00260212380060660359E2, -8.20372256168333339912E1,
             1.59056225126211695515E1, -1.18331621121330003142E0)
_NDTRI_P1 = (4.05544892305962419923E0, 3.15251094599893866154E1, 5.71628192246421288162E1,
             4.40805073893200834700E1, 1.46849561928858024014E1, 2.18663306850790267539E0,
             -1.40256079171354495875E-1, -3.50424626827848203418E-2, -8.57456785154685413611E-4)
_NDTRI_Q1 = (1.0, 1.57799883256466749731E1, 4.53907635128879210584E1, 4.13172038254672030440E1,
             1.50425385692907503408E1, 2.50464946208309415979E0, -1.42182922854787788574E-1,
             -3.80806407691578277194E-2, -9.33259480895457427372E-4)
_NDTRI_P2 = (3.23774891776946035970E0, 6.91522889068984211695E0, 3.93881025292474443415E0,
             1.33303460815807542389E0, 2.01485389549179081538E-1, 1.23716634817820021358E-2,
             3.01581553508235416007E-4, 2.65806974686737550832E-6, 6.23974539184983293730E-9)
_NDTRI_Q2 = (1.0, 6.02427039364742014255E0, 3.67983563856160859403E0, 1.37702099489081330271E0,
             2.16236993594496635890E-1, 1.34204006088543189037E-2, 3.28014464682127739104E-4,
             2.89247864745380683936E-6, 6.79019408009981274425E-9)


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
    x = jnp.where(safe > np.asarray(np.exp(-2.0), dt), big,
                  jnp.where(z >= np.asarray(8.0, dt), small, other))
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


def affine(base: float, factor: float, width: float,
           compute_dtype: DTypeLike) -> tuple[str, tuple[np.ndarray[Any, Any], ...]]:
    """The form and constants of ``x = base + factor * y``, computed where the precision lives.

    ``base`` is split into ``hi + lo`` (twice the compute dtype's precision) when it is not a
    value of the compute dtype, so that a value close to ``base`` (a truncation bound, the mean
    of a narrow normal) is rounded once, as the exact law rounded to the dtype would be. When
    ``width`` (the range ``factor * y`` can span) would overflow the compute dtype, everything
    is halved and the sum doubled: scaling by a power of two is exact.

    The form (``"plain"``, ``"split"``, ``"scaled"`` or ``"split scaled"``) is static: XLA
    drops an addition of a known zero or a product with a known one and may then fuse a
    multiply-add into one rounding, so the arithmetic must not depend on whether the constants
    are known at compile time (inside an outer jit) or passed at run time.
    """
    dt = np.dtype(compute_dtype)
    s = 2.0 if width > float(np.finfo(dt).max) else 1.0
    with np.errstate(over="ignore"):  # an overflow is reported by the caller's finiteness check
        hi = np.asarray(base / s, dt)
        lo = np.asarray(base / s - float(hi), dt) if np.isfinite(hi) else np.zeros((), dt)
        k = np.asarray(factor / s, dt)
    form = " ".join(name for name, used in (("split", lo != 0), ("scaled", s != 1)) if used)
    return form or "plain", (hi, lo, k, np.asarray(s, dt))


def apply_affine(y: jax.Array, form: str, constants: Sequence[jax.Array]) -> jax.Array:
    """``x`` from ``y`` and the constants of :func:`affine` (see there for ``form``)."""
    hi, lo, k, s = constants  # lo, s: None from traced callers whose form does not use them
    x = hi + (lo + k * y) if "split" in form else hi + k * y
    return s * x if "scaled" in form else x


def bounds_in(low: float, high: float, dtype: DTypeLike) -> tuple[np.ndarray[Any, Any], ...]:
    """``low``/``high`` rounded inward to values of ``dtype`` (returned as ``dtype`` scalars):
    every value of ``dtype`` inside them lies inside ``[low, high]``. ``low > high`` results
    when the interval holds no value of ``dtype``."""
    dt = np.dtype(dtype)
    out = []
    with np.errstate(over="ignore"):
        for value, direction in ((low, np.inf), (high, -np.inf)):
            rounded = np.asarray(value, dt)
            # compare as Python floats: NumPy would round `value` to `dt` first (NEP 50)
            if (float(rounded) < value) if direction > 0 else (float(rounded) > value):
                rounded = np.nextafter(rounded, np.asarray(direction, dt))
            out.append(rounded)
    return tuple(out)


def truncnorm_plan(mean: Real, std: Real, low: Real, high: Real,
                   compute_dtype: DTypeLike) -> tuple[tuple[str, str], tuple[np.ndarray[Any, Any], ...]]:
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
        return _plan("narrow", affine(base, direction * width, width, dt), (A, B, J1), dt)
    if not flip and beta > 0:
        numbers = (special.erf(alpha / math.sqrt(2.0)), special.erf(beta / math.sqrt(2.0)))
        return _plan("central", affine(mean, std, width, dt), numbers, dt)
    # one-sided: y is the distance from the bound nearer the mean, where the mass is;
    # h is that bound's distance from the mean, in standard deviations (>= 0)
    base, direction, h = (low, 1.0, alpha) if flip else (high, -1.0, -beta)
    factor = affine(base, direction * std, width, dt)
    if h < _DEEP_TAIL[dt]:
        return _plan("tail", factor, (special.ndtr(-h - w), special.ndtr(-h), -h, w), dt)
    # mass = P(Z in [-h - w, -h]) / P(Z <= -h), the fraction of the tail inside the interval
    mass = -np.expm1(special.log_ndtr(-h - w) - special.log_ndtr(-h))
    return _plan("deep", factor, (h, mass, math.log(_series(h)), w), dt)


def _plan(regime: str, factor: tuple[str, tuple[np.ndarray[Any, Any], ...]], numbers: Sequence[Any],
          dt: np.dtype[Any]) -> tuple[tuple[str, str], tuple[np.ndarray[Any, Any], ...]]:
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


def truncnorm_offset(u: jax.Array, constants: Sequence[jax.Array], regime: str) -> jax.Array:
    """The ``y`` of :func:`truncnorm_plan`'s regime for open-interval uniforms ``u``."""
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


def legacy_truncnorm_constants(alpha: jax.Array, beta: jax.Array,
                               compute_dtype: DTypeLike) -> tuple[jax.Array, ...]:
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
    values = (lo, hi, lax.erf(lo / sqrt2), lax.erf(hi / sqrt2), ndtr(lo), ndtr(hi), lb,
              -jnp.expm1(la - lb))
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


def legacy_standard_truncated_normal(u: jax.Array, constants: Sequence[jax.Array]) -> jax.Array:
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


def traced_bounds_in(low: jax.Array, high: jax.Array, dtype: DTypeLike) -> tuple[jax.Array, jax.Array]:
    """:func:`bounds_in` for traced bounds (vmap over hyperparameters), as JAX arrays."""
    low_d, high_d = low.astype(dtype), high.astype(dtype)
    low_d = jnp.where(low_d.astype(low.dtype) < low, jnp.nextafter(low_d, high_d), low_d)
    high_d = jnp.where(high_d.astype(high.dtype) > high, jnp.nextafter(high_d, low_d), high_d)
    return low_d.astype(low.dtype), high_d.astype(high.dtype)


def cast_inside(x: jax.Array, low_d: jax.Array, high_d: jax.Array, dtype: DTypeLike) -> jax.Array:
    """Cast ``x`` to ``dtype`` and keep it inside ``[low_d, high_d]`` (values of ``dtype``, from
    :func:`bounds_in`): a value that rounding carried past a bound goes to the nearest value
    of ``dtype`` inside it, where the exact law rounded to ``dtype`` puts it too."""
    return jnp.clip(x.astype(dtype), low_d.astype(dtype), high_d.astype(dtype))
