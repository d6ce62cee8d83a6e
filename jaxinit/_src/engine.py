"""The engine: every law is sampled here, from (key, flat element index) alone.

The engine knows no law family: it asks :func:`samplers.of` for the law's sampler
(:mod:`jaxinit._src.samplers`), which packs the law into a static part and dynamic numbers and
computes its values. Element ``i`` of an elementwise law is ``sampler.transform`` of one
uniform made from the key and ``i`` (:mod:`jaxinit._src.bits`), so the values do not depend on
how the array is computed: in one piece, in chunks, block by block, or shard by shard.
Structured laws (orthogonal, sparse ...) are ``sampler.sample`` of the whole array.

The tier policy, in one place. A call is drawn by

1. **chunks** (:func:`_draw_chunked`) when it is eager (no JAX transformation is being traced),
   unsharded, elementwise, at most ``CHUNKED_MAX`` elements, and this (sampler, static part,
   shape, dtype) has been drawn eagerly fewer than ``COMPILE_AFTER`` times: the array is cut
   from fixed-size chunks of one program compiled per (sampler, static part, dtype, chunk
   size), so a new shape costs no compilation;
2. **the exact-shape kernel** (:func:`_kernel`) otherwise: one program per (sampler, static
   part, shape, dtype, sharding), shared by every initializer, and under an outer ``jit`` the
   kernel is inlined into the caller's program. Inside it, a law whose per-element code XLA:CPU
   cannot fuse (``sampler.blocked``) is computed **block by block** (:func:`_blocked`) when
   unsharded and larger than one chunk, so its temporaries stay one block in size.

The law's numbers are passed at run time, never baked into the program, and hidden from
constant folding (:func:`_opaque`), so all tiers give the same bits.

Imports go one way: the initializer calls the engine, the engine its samplers, the samplers
the bits; nothing below imports what is above it (``tests/test_layers.py``).
"""

from __future__ import annotations

import collections
import functools
import math
import threading
from typing import Any, Callable, Hashable, cast

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxinit._src import bits, checks, samplers
from jaxinit._src import sharding as shardings
from jaxinit._src.fans import FanAxes
from jaxinit._src.laws import Distribution
from jaxinit._src.representable import check_finite, compute_dtype
from jaxinit._src.samplers import Sampler

#: A key as the initializer accepts it: a typed key, or raw uint32 key data (JAX or NumPy).
Key = jax.Array | np.ndarray[Any, Any]

# Eager calls of elementwise laws up to CHUNKED_MAX elements are made from chunks of CHUNK
# elements (SMALL_CHUNK for arrays of up to 4 small chunks: biases, small kernels).
CHUNK = 2 ** 16
SMALL_CHUNK = 2 ** 12
CHUNKED_MAX = 2 ** 22
# A shape drawn eagerly this many times gets its exact-shape kernel after all: repeated calls
# (a training loop's re-initialisation, the inplace shim) then skip the chunk assembly.
COMPILE_AFTER = 3
# Platforms whose jax arrays are host memory: chunks are joined in NumPy there, with no
# compiled program; elsewhere by a small compiled concatenation.
HOST_PLATFORMS = ("cpu",)


def draw(law: Distribution, key: Key, shape: tuple[int, ...], dtype: np.dtype[Any],
         sharding: jax.sharding.Sharding | None, axes: FanAxes) -> jax.Array:
    """Sample ``law`` into an array: pick the tier, pass the law's numbers dynamically."""
    sampler = samplers.of(law)
    static, numbers = sampler.pack(law, shape, dtype, axes)
    check_finite(law, numbers, dtype)
    # Eager means no JAX transformation is being traced, whatever the arguments are: a key
    # captured by a jitted function is concrete, yet what is computed from it is staged.
    eager = not checks.tracing()
    if eager and use_chunks(sampler, shape, sharding) and \
            EAGER_CALLS.count((sampler, static, shape, dtype)) < COMPILE_AFTER:
        return _draw_chunked(key, numbers, sampler, static, shape, dtype)
    with shardings.mesh_context(sharding, tracing=not eager):
        out: jax.Array = _kernel(key, numbers, sampler=sampler, static=static, shape=shape,
                                 dtype=dtype, sharding=sharding)
        return out


def whole_matrix(law: Distribution) -> bool:
    """Whether sampling ``law`` needs the whole matrix at once (a QR, a sort): a sharded
    output is then built in full on every device."""
    return samplers.of(law).whole_matrix


def use_chunks(sampler: Sampler[Any], shape: tuple[int, ...],
               sharding: jax.sharding.Sharding | None) -> bool:
    """Whether an eager call may be cut from chunks (unsharded, elementwise, not too large)."""
    return (sampler.elementwise and sharding is None and math.prod(shape) <= CHUNKED_MAX
            and jax.sharding.get_abstract_mesh().empty)


class CallCounter:
    """How often each (sampler, static part, shape, dtype) was drawn eagerly: a bounded,
    thread-safe LRU, so a program that draws ever new shapes keeps a fixed amount of state."""

    def __init__(self, capacity: int = 1024):
        self.capacity = capacity
        self._counts: collections.OrderedDict[Hashable, int] = collections.OrderedDict()
        self._lock = threading.Lock()

    def count(self, call: Hashable) -> int:
        """Record one more call of ``call``; return how many there have been, this one included."""
        with self._lock:
            count = self._counts.pop(call, 0) + 1
            self._counts[call] = count
            if len(self._counts) > self.capacity:
                self._counts.popitem(last=False)
            return count

    def __len__(self) -> int:
        return len(self._counts)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


EAGER_CALLS = CallCounter()


def compiled_programs() -> tuple[int, int]:
    """How many exact-shape kernels and chunk kernels are compiled (for tests and benchmarks)."""
    return getattr(_kernel, "_cache_size")(), getattr(_chunk_kernel, "_cache_size")()


def _opaque(key: Key, numbers: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
    """The key's two words and the law's numbers, hidden from XLA's constant folding.

    Inside an outer jit a captured key and the numbers arrive as constants; XLA would then
    fold whole arrays at compile time (with other code for erf_inv than the compiled loop's)
    or fold the numbers into the arithmetic in another order than at run time. The barrier
    keeps eager == jit bit for bit.
    """
    barrier = cast(Callable[[Any], tuple[Any, tuple[Any, ...]]], lax.optimization_barrier)
    words = bits.key_words(cast(jax.Array, key))  # traced here: a jax array, even from NumPy
    return barrier((words, numbers))


@functools.partial(jax.jit, static_argnames=("sampler", "static", "shape", "dtype", "sharding"))
def _kernel(key: Key, numbers: tuple[Any, ...], *, sampler: Sampler[Any], static: tuple[Any, ...],
            shape: tuple[int, ...], dtype: np.dtype[Any],
            sharding: jax.sharding.Sharding | None) -> jax.Array:
    words, numbers = _opaque(key, numbers)
    if shardings.is_explicit(sharding):
        # Sharding in types: compute under Auto axes and let the partitioner split the work,
        # as for an Auto mesh; the result carries `sharding` in its type.
        body = functools.partial(_sample, sampler=sampler, static=static, shape=shape,
                                 dtype=dtype, sharded=True)
        out: jax.Array = jax.sharding.auto_axes(body, out_sharding=sharding)(words, numbers)
        return out
    return shardings.place(_sample(words, numbers, sampler=sampler, static=static, shape=shape,
                                   dtype=dtype, sharded=sharding is not None), sharding)


def _sample(words: Any, numbers: tuple[Any, ...], *, sampler: Sampler[Any],
            static: tuple[Any, ...], shape: tuple[int, ...], dtype: np.dtype[Any],
            sharded: bool) -> jax.Array:
    n = math.prod(shape)
    # a loop over blocks cannot be split between devices: sharded outputs stay fused
    if sampler.blocked(static) and not sharded and CHUNK < n < 2 ** 31:
        return _blocked(words, numbers, sampler, static, n, dtype).reshape(shape)
    if sampler.elementwise:
        return _elementwise(words, numbers, sampler, static, bits.element_index(shape), dtype)
    return sampler.sample(words, numbers, static, shape, dtype)


def _blocked(words: Any, numbers: tuple[Any, ...], sampler: Sampler[Any], static: tuple[Any, ...],
             n: int, dtype: np.dtype[Any]) -> jax.Array:
    """The flat array of ``n`` elements, computed ``CHUNK`` elements at a time in a loop.

    Block ``b`` holds elements ``b * CHUNK ..``; the last block is moved back to end at
    ``n`` (it overlaps its neighbour, which is harmless: an element's value depends only on
    its index).
    """
    blocks = -(-n // CHUNK)

    def body(b: jax.Array, out: jax.Array) -> jax.Array:
        start = jnp.minimum(b * CHUNK, n - CHUNK).astype(jnp.uint32)
        index = bits.offset_index(np.uint32(0), start, CHUNK)
        block = _elementwise(words, numbers, sampler, static, index, dtype)
        return lax.dynamic_update_slice(out, block, (start.astype(jnp.int32),))

    out: jax.Array = lax.fori_loop(0, blocks, body, jnp.empty((n,), dtype))
    return out


@functools.partial(jax.jit, static_argnames=("sampler", "static", "dtype", "size"))
def _chunk_kernel(key: Key, numbers: tuple[Any, ...], start_hi: Any, start_lo: Any, *,
                  sampler: Sampler[Any], static: tuple[Any, ...], dtype: np.dtype[Any],
                  size: int = CHUNK) -> jax.Array:
    """Elements ``start .. start + size - 1`` of any array drawn from this law: one compiled
    program per (sampler, static part, dtype, chunk size) serves every shape."""
    words, numbers = _opaque(key, numbers)
    index = bits.offset_index(start_hi, start_lo, size)
    return _elementwise(words, numbers, sampler, static, index, dtype)


def lower_chunk(key: Key, law: Distribution, dtype: np.dtype[Any]) -> Any:
    """The chunk kernel of ``law`` lowered for ``dtype`` (to inspect its compiled program)."""
    sampler = samplers.of(law)
    static, numbers = sampler.pack(law, (1,), dtype, FanAxes())
    return _chunk_kernel.lower(key, numbers, np.uint32(0), np.uint32(0), sampler=sampler,
                               static=static, dtype=dtype)


def _draw_chunked(key: Key, numbers: tuple[Any, ...], sampler: Sampler[Any],
                  static: tuple[Any, ...], shape: tuple[int, ...], dtype: np.dtype[Any]) -> jax.Array:
    """The same values as ``_kernel``, cut from fixed-size chunks (eager calls only).

    Compiling a kernel for every new shape is what makes eager model building slow (a few
    tenths of a second per shape on CPU); the chunk kernel is compiled once per sampler,
    static part and dtype (and one more for small arrays). Element ``i`` of the result is element
    ``i % size`` of chunk ``i // size``.
    """
    n = math.prod(shape)
    size = SMALL_CHUNK if n <= 4 * SMALL_CHUNK else CHUNK
    chunks: list[jax.Array] = [_chunk_kernel(key, numbers, np.uint32(start >> 32), np.uint32(start & 0xFFFFFFFF),
                            sampler=sampler, static=static, dtype=dtype, size=size)
              for start in range(0, n, size)]
    (device,) = chunks[0].devices()
    if device.platform not in HOST_PLATFORMS:
        assembled: jax.Array = _assemble(chunks, shape=shape)
        return assembled
    host = np.empty(len(chunks) * size, dtype)
    for k, chunk in enumerate(chunks):
        host[k * size:(k + 1) * size] = np.asarray(chunk)
    out = host[:n].reshape(shape)
    default = checks.config("jax_default_device") or jax.devices()[0]
    placed: jax.Array = jax.device_put(out, None if device == default else device)
    return placed


@functools.partial(jax.jit, static_argnames=("shape",))
def _assemble(chunks: list[jax.Array], *, shape: tuple[int, ...]) -> jax.Array:
    return jnp.concatenate(chunks)[:math.prod(shape)].reshape(shape)


def _elementwise(words: Any, numbers: tuple[Any, ...], sampler: Sampler[Any],
                 static: tuple[Any, ...], index: Any, dtype: np.dtype[Any]) -> jax.Array:
    """An elementwise law at the flat indices ``index``: one uniform per element, transformed."""
    u = bits.unit_interval(words, index, compute_dtype(dtype), bits.bits_for(dtype))
    return sampler.transform(u, numbers, static, dtype)
