"""The random bits: counter-based Threefry words and the uniforms made from them.

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
from typing import Literal, TypeAlias, cast, overload

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxinit.typing import DTypeLike, KeyArray, Shape

#: A uint32 word: a JAX array, or a NumPy scalar where a constant enters the arithmetic.
Word: TypeAlias = jax.Array | np.uint32
#: Two uint32 words: Threefry's output, or a key's two words.
Words: TypeAlias = tuple[jax.Array, jax.Array]
#: Flat indices as (hi, lo) uint32 words.
Index: TypeAlias = tuple[Word, Word]

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
    if math.prod(dims) < 2**32:
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
    if any(d >= 2**32 for d in shape):
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


def unit_interval(words: Words, index: Index, compute_dtype: DTypeLike, bits: int | None = None) -> jax.Array:
    """Uniform values on the open interval (0, 1), symmetric about 1/2: ``(k + 1/2) / 2**m``.

    ``m`` is 52 for 64 random bits (float64), 23 for 32 bits and 16 for 16 bits: every value
    is exact in the compute dtype, and 0 and 1 never occur, so inverse-CDF transforms never see
    an infinity. ``bits`` defaults to the compute dtype's width.
    """
    bits = bits_for(compute_dtype) if bits is None else bits
    if bits == 64:
        hi, lo = random_words(words, index, 64)
        k = ((hi >> np.uint32(12)).astype(jnp.uint64) << np.uint64(32)) | lo.astype(jnp.uint64)
        return (k.astype(jnp.float64) + 0.5) * np.float64(2.0**-52)
    mantissa = min(bits, 23)
    word = cast(jax.Array, random_words(words, index, bits))  # one word: bits is 16 or 32 here
    k = word >> np.uint32(bits - mantissa)
    dt = jnp.dtype(compute_dtype)
    return (k.astype(dt) + np.asarray(0.5, dt)) * np.asarray(2.0**-mantissa, dt)
