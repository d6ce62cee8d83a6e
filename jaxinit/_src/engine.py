"""The engine: every law is sampled here, from (key, flat element index) alone.

The engine knows no law family: it asks the sampler table (:func:`table.of`, in
:mod:`jaxinit._src.samplers.table`) for the law's sampler, which packs the law into a static
part and dynamic numbers and computes its values. Element ``i`` of an elementwise law is
``sampler.transform`` of one uniform made from the key and ``i`` (:mod:`jaxinit._src.bits`), so
the values do not depend on how the array is computed: in one piece, in chunks, block by
block, or shard by shard. Structured laws (orthogonal, sparse ...) are ``sampler.sample`` of
the whole array.

The tier policy, in one place. A call is drawn by

1. **chunks** (:func:`_draw_chunked`) when it is eager (no JAX transformation is being traced),
   the key is on one device, unsharded, elementwise, at most ``CHUNKED_MAX`` elements, and
   this (sampler, static part, shape, dtype) has been drawn eagerly fewer than
   ``COMPILE_AFTER`` times: the array is cut from fixed-size chunks of one program compiled
   per (sampler, static part, dtype, chunk size), so a new shape costs no compilation;
2. **the exact-shape kernel** (:func:`_kernel`) otherwise: one program per (sampler, static
   part, shape, dtype, sharding), shared by every initializer, and under an outer ``jit`` the
   kernel is inlined into the caller's program. Inside it, a law whose per-element code XLA:CPU
   cannot fuse (``sampler.blocked``) is computed **block by block** (:func:`_blocked`) when
   unsharded and larger than one chunk, so its temporaries stay one block in size.

Many arrays at once (a whole model: :func:`draw_many`, which ``jaxinit.reinit`` and
``reset_parameters`` use) are drawn, with the same bits, by

3. **batched chunks** (:func:`_draw_chunk_batches`) eagerly on a host platform with a key on
   one device, for arrays the chunk tier may cut: every such array of a (sampler, static
   part, dtype), whatever its shape, is cut from batches of ``CHUNK_BATCH`` chunks, so a model
   costs the programs of its law families, not of its shapes or its depth;
4. **the exact-shape kernel, one array at a time** eagerly otherwise (accelerators, sharded or
   large arrays), the array's key derived inside the kernel: one program per (sampler,
   static part, shape, dtype, sharding), shared by every layer;
5. **stacks** (:func:`_stack_kernel`) under an outer jit, for arrays that share (sampler,
   static part, shape, dtype, sharding): a loop fills the stack one array per iteration. A
   loop's output is a buffer that XLA cannot fuse into its consumers, so the sampling code is
   compiled once per stack; slicing a plain ``vmap``'s output instead lets XLA copy the whole
   generator into every slice. Stacks hold at most ``STACK_BYTES`` per device.

The law's numbers are passed at run time, never baked into the program, and hidden from
constant folding (:func:`_opaque`), so all tiers give the same bits.

Imports go one way: the initializer calls the engine, the engine its samplers, the samplers
the bits; nothing below imports what is above it (``tests/test_layers.py``).
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import math
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxinit._src import bits, checks, sharding as shardings
from jaxinit._src.fans import FanAxes
from jaxinit._src.laws import Distribution
from jaxinit._src.representable import check_finite, compute_dtype
from jaxinit._src.samplers import table
from jaxinit._src.samplers.base import Packed, Sampler

#: A key as the initializer accepts it: a typed key, or raw uint32 key data (JAX or NumPy).
Key = jax.Array | np.ndarray[Any, Any]

# Eager calls of elementwise laws up to CHUNKED_MAX elements are made from chunks of CHUNK
# elements (SMALL_CHUNK for arrays of up to 4 small chunks: biases, small kernels).
CHUNK = 2**16
SMALL_CHUNK = 2**12
CHUNKED_MAX = 2**22
# A shape drawn eagerly this many times gets its exact-shape kernel after all: repeated calls
# (a training loop's re-initialisation, the inplace shim) then skip the chunk assembly.
COMPILE_AFTER = 3
# Platforms whose jax arrays are host memory: chunks are joined in NumPy there, with no
# compiled program; elsewhere by a small compiled concatenation.
HOST_PLATFORMS = ("cpu",)


@dataclasses.dataclass(frozen=True, eq=False)
class Draw:
    """One array to sample, everything but its key: what an initializer call hands the engine."""

    law: Distribution
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    sharding: jax.sharding.Sharding | None
    axes: FanAxes

    @functools.cached_property
    def packed(self) -> Packed:
        """The law's static part and numbers for this shape and dtype, checked. Cached: a
        whole-tree draw checks every law before drawing any, and draws with the same pack."""
        static, numbers = table.of(self.law).pack(self.law, self.shape, self.dtype, self.axes)
        check_finite(self.law, numbers, self.dtype)
        return static, numbers


def draw(planned: Draw, key: Key, digest: Sequence[int] | None = None) -> jax.Array:
    """Sample ``planned.law`` into an array: pick the tier, pass the law's numbers dynamically.

    With a ``digest`` the array is drawn with ``leaf_key(key, digest)``, derived inside the
    compiled kernel (no dispatch of its own).
    """
    sampler = table.of(planned.law)
    static, numbers = planned.packed
    shape, dtype, sharding = planned.shape, planned.dtype, planned.sharding
    # Eager means no JAX transformation is being traced, whatever the arguments are: a key
    # captured by a jitted function is concrete, yet what is computed from it is staged.
    eager = not checks.tracing()
    if (
        eager
        and _on_one_device(key)
        and use_chunks(sampler, shape, sharding)
        and EAGER_CALLS.count((sampler, static, shape, dtype)) < COMPILE_AFTER
    ):
        return _draw_chunked(
            key if digest is None else leaf_key(key, digest), numbers, sampler, static, shape, dtype
        )
    with shardings.mesh_context(sharding, tracing=not eager):
        out: jax.Array = _kernel(
            key,
            numbers,
            None if digest is None else np.asarray(digest, np.uint32),
            sampler=sampler,
            static=static,
            shape=shape,
            dtype=dtype,
            sharding=sharding,
        )
        return out


def whole_matrix(law: Distribution) -> bool:
    """Whether sampling ``law`` needs the whole matrix at once (a QR, a sort): a sharded
    output is then built in full on every device."""
    return table.of(law).whole_matrix


def use_chunks(sampler: Sampler[Any], shape: tuple[int, ...], sharding: jax.sharding.Sharding | None) -> bool:
    """Whether an eager call may be cut from chunks (unsharded, elementwise, not too large)."""
    return (
        sampler.elementwise
        and sharding is None
        and math.prod(shape) <= CHUNKED_MAX
        and jax.sharding.get_abstract_mesh().empty
    )


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
    words = bits.key_words(cast(jax.Array, key))  # traced here: a jax array, even from NumPy
    return _hidden((words, numbers))


_hidden = cast(Callable[[Any], tuple[Any, tuple[Any, ...]]], lax.optimization_barrier)


@functools.partial(jax.jit, static_argnames=("sampler", "static", "shape", "dtype", "sharding"))
def _kernel(
    key: Key,
    numbers: tuple[Any, ...],
    digest: Any = None,
    *,
    sampler: Sampler[Any],
    static: tuple[Any, ...],
    shape: tuple[int, ...],
    dtype: np.dtype[Any],
    sharding: jax.sharding.Sharding | None,
) -> jax.Array:
    if digest is not None:
        key = leaf_key(key, (digest[0], digest[1]))
    words, numbers = _opaque(key, numbers)
    if shardings.is_explicit(sharding):
        # Sharding in types: compute under Auto axes and let the partitioner split the work,
        # as for an Auto mesh; the result carries `sharding` in its type.
        body = functools.partial(
            _sample, sampler=sampler, static=static, shape=shape, dtype=dtype, sharded=True
        )
        out: jax.Array = jax.sharding.auto_axes(body, out_sharding=sharding)(words, numbers)
        return out
    return shardings.place(
        _sample(
            words,
            numbers,
            sampler=sampler,
            static=static,
            shape=shape,
            dtype=dtype,
            sharded=sharding is not None,
        ),
        sharding,
    )


def _sample(
    words: Any,
    numbers: tuple[Any, ...],
    *,
    sampler: Sampler[Any],
    static: tuple[Any, ...],
    shape: tuple[int, ...],
    dtype: np.dtype[Any],
    sharded: bool,
) -> jax.Array:
    n = math.prod(shape)
    # a loop over blocks cannot be split between devices: sharded outputs stay fused
    if sampler.blocked(static) and not sharded and CHUNK < n < 2**31:
        return _blocked(words, numbers, sampler, static, n, dtype).reshape(shape)
    if sampler.elementwise:
        return _elementwise(words, numbers, sampler, static, bits.element_index(shape), dtype)
    return sampler.sample(words, numbers, static, shape, dtype)


def _blocked(
    words: Any,
    numbers: tuple[Any, ...],
    sampler: Sampler[Any],
    static: tuple[Any, ...],
    n: int,
    dtype: np.dtype[Any],
) -> jax.Array:
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
def _chunk_kernel(
    key: Key,
    numbers: tuple[Any, ...],
    start_hi: Any,
    start_lo: Any,
    *,
    sampler: Sampler[Any],
    static: tuple[Any, ...],
    dtype: np.dtype[Any],
    size: int = CHUNK,
) -> jax.Array:
    """Elements ``start .. start + size - 1`` of any array drawn from this law: one compiled
    program per (sampler, static part, dtype, chunk size) serves every shape."""
    words, numbers = _opaque(key, numbers)
    index = bits.offset_index(start_hi, start_lo, size)
    return _elementwise(words, numbers, sampler, static, index, dtype)


def lower_chunk(key: Key, law: Distribution, dtype: np.dtype[Any]) -> Any:
    """The chunk kernel of ``law`` lowered for ``dtype`` (to inspect its compiled program)."""
    sampler = table.of(law)
    static, numbers = sampler.pack(law, (1,), dtype, FanAxes())
    return _chunk_kernel.lower(
        key, numbers, np.uint32(0), np.uint32(0), sampler=sampler, static=static, dtype=dtype
    )


def _draw_chunked(
    key: Key,
    numbers: tuple[Any, ...],
    sampler: Sampler[Any],
    static: tuple[Any, ...],
    shape: tuple[int, ...],
    dtype: np.dtype[Any],
) -> jax.Array:
    """The same values as ``_kernel``, cut from fixed-size chunks (eager calls only).

    Compiling a kernel for every new shape is what makes eager model building slow (a few
    tenths of a second per shape on CPU); the chunk kernel is compiled once per sampler,
    static part and dtype (and one more for small arrays). Element ``i`` of the result is element
    ``i % size`` of chunk ``i // size``.
    """
    n = math.prod(shape)
    size = _chunk_size(n)
    chunks: list[jax.Array] = [
        _chunk_kernel(
            key,
            numbers,
            np.uint32(start >> 32),
            np.uint32(start & 0xFFFFFFFF),
            sampler=sampler,
            static=static,
            dtype=dtype,
            size=size,
        )
        for start in range(0, n, size)
    ]
    (device,) = chunks[0].devices()
    if device.platform not in HOST_PLATFORMS:
        assembled: jax.Array = _assemble(chunks, shape=shape)
        return assembled
    host = _HostArray(shape, dtype)
    for k, chunk in enumerate(chunks):
        host.put(k * size, np.asarray(chunk))
    return host.placed(device)


@functools.partial(jax.jit, static_argnames=("shape",))
def _assemble(chunks: list[jax.Array], *, shape: tuple[int, ...]) -> jax.Array:
    return jnp.concatenate(chunks)[: math.prod(shape)].reshape(shape)


def _chunk_size(n: int) -> int:
    """The chunk an ``n``-element array is cut from: small arrays (biases) from small chunks."""
    return SMALL_CHUNK if n <= 4 * SMALL_CHUNK else CHUNK


class _HostArray:
    """An array joined from chunks in host memory (eager, host platform: NumPy copies, no
    compiled program per shape), then handed to JAX."""

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype[Any]):
        self.shape = shape
        self.buffer: np.ndarray[Any, Any] = np.empty(math.prod(shape), dtype)

    def put(self, start: int, chunk: np.ndarray[Any, Any]) -> bool:
        """Copy ``chunk`` in at element ``start``, cut at the array's end; whether it reached the end."""
        stop = min(start + len(chunk), self.buffer.size)
        self.buffer[start:stop] = chunk[: stop - start]
        return stop == self.buffer.size

    def placed(self, device: jax.Device) -> jax.Array:
        """The array on ``device``, where the kernel that drew it ran: uncommitted on the default
        device, as a single eager draw comes back, so the array can join any computation."""
        target = None if device == _default_device() else device
        out: jax.Array = jax.device_put(self.buffer.reshape(self.shape), target)
        return out


def _default_device() -> jax.Device:
    return checks.config("jax_default_device") or jax.devices()[0]


def _elementwise(
    words: Any,
    numbers: tuple[Any, ...],
    sampler: Sampler[Any],
    static: tuple[Any, ...],
    index: Any,
    dtype: np.dtype[Any],
) -> jax.Array:
    """An elementwise law at the flat indices ``index``: one uniform per element, transformed."""
    u = bits.unit_interval(words, index, compute_dtype(dtype), bits.bits_for(dtype))
    return sampler.transform(u, numbers, static, dtype)


# -- many arrays at once: a whole model's parameters --------------------------------------

# Eager calls on a host platform cut every array of a law family from batches of this many
# chunks: one program per (law family, static part, dtype, chunk size) serves every shape.
CHUNK_BATCH = 64
# Under jit, a stack holds at most this many bytes per device (or one array, if larger): the
# stack is a temporary beside the arrays sliced from it, so this bounds the extra memory.
STACK_BYTES = 2**30


def numbers_form(numbers: tuple[Any, ...]) -> Hashable | None:
    """The shapes and dtypes of a law's numbers (what stacking them needs to agree on), or
    ``None`` when they cannot be stacked (a traced hyperparameter)."""
    form: list[Hashable] = []
    for number in numbers:
        if number is None:
            form.append(None)
        elif isinstance(number, (np.ndarray, np.generic)):
            form.append((np.shape(number), np.asarray(number).dtype))
        else:
            return None
    return tuple(form)


def leaf_key(key: Key, digest: Sequence[Any]) -> jax.Array:
    """``fold_in(fold_in(key, digest[0]), digest[1])``: the key of one array of a many-array draw."""
    folded: jax.Array = jax.random.fold_in(jax.random.fold_in(key, digest[0]), digest[1])
    return folded


def draw_many(draws: Sequence[Draw], key: Key, digests: np.ndarray[Any, Any]) -> list[jax.Array]:
    """Array ``i`` of ``draws`` sampled with the key ``leaf_key(key, digests[i])``: the same
    bits as ``draw`` array by array, from a number of compiled programs that does not grow
    with the number of arrays (a model's depth). The tier policy for many arrays:

    * **eagerly on a host platform** (CPU), arrays the chunk tier may cut (``use_chunks``) are
      cut from **batches of chunks**: every such array of one (law family, static part,
      dtype), whatever its shape, from ``CHUNK_BATCH`` chunks at a time; one program per
      chunk size serves every model, and one batch is the only temporary;
    * **eagerly otherwise**, array by array (``draw``, its leaf key derived inside the
      kernel): one program per (law family, static part, shape, dtype, sharding), shared by
      every layer, and no temporary;
    * **under jit**, arrays that share (law family, static part, shape, dtype, sharding) are
      drawn as **stacks** (:func:`_stack_kernel`): a loop fills the stack one array per
      iteration, and a loop's output is a buffer that XLA cannot fuse into the slices taken
      from it, so the sampling code is compiled once per stack rather than once per array.
      Stacks hold at most ``STACK_BYTES`` per device. An array alone in its stack, or with a
      traced hyperparameter, is drawn by ``draw``.
    """
    digests = np.asarray(digests, np.uint32).reshape(len(draws), 2)
    packs = [d.packed for d in draws]
    eager = not checks.tracing()
    # rbg keys draw other bits under vmap than alone, and the batched chunks are a vmap
    host = eager and _on_one_device(key) and _default_platform() in HOST_PLATFORMS and _threefry(key)
    out: list[jax.Array | None] = [None] * len(draws)
    chunked: dict[Hashable, list[int]] = collections.defaultdict(list)
    stacked: dict[Hashable, list[int]] = collections.defaultdict(list)
    alone: list[int] = []
    for i, (d, (static, numbers)) in enumerate(zip(draws, packs)):
        form = numbers_form(numbers)
        sampler = table.of(d.law)
        if host and form is not None and use_chunks(sampler, d.shape, d.sharding):
            chunked[(sampler, static, d.dtype, form)].append(i)
        elif eager or form is None or not _stackable(d.sharding):
            alone.append(i)
        else:
            stacked[(sampler, static, d.shape, d.dtype, d.sharding, form)].append(i)
    for members in chunked.values():
        arrays = _draw_chunk_batches(
            [draws[i] for i in members], [packs[i] for i in members], key, digests[members]
        )
        for i, array in zip(members, arrays):
            out[i] = array
    stacks = [members for members in stacked.values() if len(members) > 1]
    alone.extend(i for members in stacked.values() if len(members) == 1 for i in members)
    if stacks:
        # every stacked array's key words in one batched computation (Threefry keys: vmapping
        # the derivation gives the same words; other key kinds derive them array by array)
        rows = [i for members in stacks for i in members]
        words = _leaf_words(key, digests[rows]) if _threefry(key) else None
        where = {i: r for r, i in enumerate(rows)}
        for members in stacks:
            picked = None if words is None else words[np.array([where[i] for i in members])]
            arrays = _draw_stacked(
                [draws[i] for i in members], [packs[i] for i in members], key, digests[members], picked
            )
            for i, array in zip(members, arrays):
                out[i] = array
    for i in sorted(alone):
        out[i] = draw(draws[i], key, digests[i].tolist())
    return cast(list[jax.Array], out)


def _on_one_device(key: Key) -> bool:
    """Whether a concrete key lives on one device: chunks are drawn where the key is and joined
    there. A key replicated over several devices is drawn by the kernel, whose output is placed
    as the key is (as ``jax.random``'s)."""
    return not isinstance(key, jax.Array) or len(key.devices()) == 1  # a NumPy key: the host


def _default_platform() -> str:
    return str(_default_device().platform)


def _threefry(key: Key) -> bool:
    """A raw uint32 key, or a typed key of jax's default Threefry implementation."""
    if not jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return True
    return str(jax.random.key_impl(key)) == "threefry2x32"


def _stackable(sharding: jax.sharding.Sharding | None) -> bool:
    return sharding is None or isinstance(sharding, jax.sharding.NamedSharding)


def _draw_chunk_batches(
    draws: Sequence[Draw], packs: Sequence[tuple[Any, Any]], key: Key, digests: np.ndarray[Any, Any]
) -> list[jax.Array]:
    """Arrays of one law family, static part and dtype, any shapes, cut from batches of chunks
    (eager, host platform). Row ``r`` of a batch is the chunk of array ``a[r]`` that starts at
    element ``start[r]``, with ``_chunk_kernel``'s values: each array is what ``draw`` gives.
    An array is handed to JAX as soon as its last chunk is in, so the host buffers never hold
    more than the arrays still being cut."""
    sampler, static, dtype = table.of(draws[0].law), packs[0][0], draws[0].dtype
    sizes = [math.prod(d.shape) for d in draws]
    numbers = _stack_numbers([n for _, n in packs])
    out: list[jax.Array | None] = [None] * len(draws)
    for size in (SMALL_CHUNK, CHUNK):
        members = [a for a, n in enumerate(sizes) if _chunk_size(n) == size]
        rows = [(a, start) for a in members for start in range(0, sizes[a], size)]
        hosts: dict[int, _HostArray] = {}
        for first in range(0, len(rows), CHUNK_BATCH):
            batch = rows[first : first + CHUNK_BATCH]
            padded = batch + [batch[-1]] * (CHUNK_BATCH - len(batch))
            leaf = np.array([a for a, _ in padded])
            starts = np.array([[s >> 32, s & 0xFFFFFFFF] for _, s in padded], np.uint32)
            drawn = _chunk_batch_kernel(
                key,
                digests[leaf],
                starts,
                tuple(None if x is None else x[leaf] for x in numbers),
                sampler=sampler,
                static=static,
                dtype=dtype,
                size=size,
            )
            (device,) = drawn.devices()  # the key's device, as for a single draw
            values = np.asarray(drawn)
            for (a, start), chunk in zip(batch, values):
                if a not in hosts:
                    hosts[a] = _HostArray(draws[a].shape, dtype)
                if hosts[a].put(start, chunk):  # its last chunk
                    out[a] = hosts.pop(a).placed(device)
    return cast(list[jax.Array], out)


@functools.partial(jax.jit, static_argnames=("sampler", "static", "dtype", "size"))
def _chunk_batch_kernel(
    key: Key,
    digests: Any,
    starts: Any,
    numbers: tuple[Any, ...],
    *,
    sampler: Sampler[Any],
    static: tuple[Any, ...],
    dtype: np.dtype[Any],
    size: int,
) -> jax.Array:
    """``CHUNK_BATCH`` chunks, each of its own array (key, numbers) and start."""

    def chunk(digest: Any, start: Any, row: tuple[Any, ...]) -> jax.Array:
        words, row = _opaque(leaf_key(key, (digest[0], digest[1])), row)
        return _elementwise(words, row, sampler, static, bits.offset_index(start[0], start[1], size), dtype)

    batched: jax.Array = jax.vmap(chunk)(digests, starts, numbers)
    return batched


def _leaf_words(key: Key, digests: np.ndarray[Any, Any]) -> jax.Array:
    """The key words of ``leaf_key(key, digest)`` for every row of ``digests``, as (n, 2) uint32."""

    def words(digest: Any) -> jax.Array:
        return jnp.stack(bits.key_words(leaf_key(key, (digest[0], digest[1]))))

    stacked: jax.Array = jax.vmap(words)(jnp.asarray(digests))
    return stacked


def _draw_stacked(
    draws: Sequence[Draw],
    packs: Sequence[tuple[Any, Any]],
    key: Key,
    digests: np.ndarray[Any, Any],
    words: jax.Array | None,
) -> list[jax.Array]:
    """Arrays that share (law family, static part, shape, dtype, sharding), under jit: in
    stacks of at most ``STACK_BYTES`` per device (equal stacks), sliced into the arrays."""
    first = draws[0]
    sampler, shape, dtype, sharding = table.of(first.law), first.shape, first.dtype, first.sharding
    per_device = sharding.shard_shape(shape) if sharding is not None else shape
    leaf_bytes = max(1, math.prod(per_device) * dtype.itemsize)
    n = len(draws)
    stacks = -(-n // max(1, min(n, STACK_BYTES // leaf_bytes)))
    size = -(-n // stacks)
    out: list[jax.Array] = []
    for start in range(0, n, size):
        rows = range(start, min(start + size, n))
        stack = _stack_kernel(
            key,
            digests[list(rows)],
            None if words is None else words[start : start + size],
            _stack_numbers([packs[r][1] for r in rows]),
            sampler=sampler,
            static=packs[0][0],
            shape=shape,
            dtype=dtype,
            sharding=sharding,
        )
        leaves = [lax.index_in_dim(stack, i, keepdims=False) for i in range(len(rows))]
        # explicit axes: the stack's type carries the sharding, and so do its slices
        out.extend(
            leaves if shardings.explicit_mesh(sharding) else [shardings.place(x, sharding) for x in leaves]
        )
    return out


def _stacked_sharding(sharding: jax.sharding.Sharding | None) -> jax.sharding.Sharding | None:
    """The sharding of a stack of arrays with ``sharding``: the stacking axis is not split."""
    if sharding is None:
        return None
    if not isinstance(sharding, jax.sharding.NamedSharding):
        raise TypeError(f"stacked draws take NamedShardings, got {sharding!r}")
    return shardings.with_spec(sharding, (None, *sharding.spec))


def _stack_numbers(numbers: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    """Per-array numbers, position by position, as arrays with a leading stacking axis."""
    return tuple(
        None if column[0] is None else np.stack([np.asarray(x) for x in column]) for column in zip(*numbers)
    )


@functools.partial(jax.jit, static_argnames=("sampler", "static", "shape", "dtype", "sharding"))
def _stack_kernel(
    key: Key,
    digests: Any,
    words: Any,
    numbers: tuple[Any, ...],
    *,
    sampler: Sampler[Any],
    static: tuple[Any, ...],
    shape: tuple[int, ...],
    dtype: np.dtype[Any],
    sharding: jax.sharding.Sharding | None,
) -> jax.Array:
    """The stack of ``digests.shape[0]`` arrays, array ``i`` drawn with ``leaf_key(key,
    digests[i])`` (whose key words are ``words[i]`` when given) and row ``i`` of ``numbers``,
    each with ``sharding`` (the stack is not split along its first axis)."""
    size = digests.shape[0]
    stack_sharding = _stacked_sharding(sharding)
    # On a mesh with Explicit axes the stack is computed under Auto axes, so the loop's carry
    # and updates need no sharding types, and comes out with its sharding in its type.
    typed = shardings.explicit_mesh(sharding)

    def constrain(x: jax.Array, target: jax.sharding.Sharding | None) -> jax.Array:
        # each array is constrained too, so that a device computes only its own shard of it
        if typed and isinstance(target, jax.sharding.NamedSharding):
            return shardings.place_spec(x, target.spec)
        return shardings.place(x, target)

    def fill(key: Any, digests: Any, words: Any, numbers: tuple[Any, ...]) -> jax.Array:
        def body(i: jax.Array, out: jax.Array) -> jax.Array:
            row = tuple(None if x is None else x[i] for x in numbers)
            if words is None:
                pair, row = _opaque(leaf_key(key, (digests[i, 0], digests[i, 1])), row)
            else:
                pair, row = _hidden(((words[i, 0], words[i, 1]), row))
            leaf = _sample(
                pair,
                row,
                sampler=sampler,
                static=static,
                shape=shape,
                dtype=dtype,
                sharded=sharding is not None,
            )
            updated: jax.Array = lax.dynamic_update_index_in_dim(out, constrain(leaf, sharding), i, 0)
            return updated

        empty = constrain(jnp.empty((size, *shape), dtype), stack_sharding)
        out: jax.Array = lax.fori_loop(0, size, body, empty)
        return constrain(out, stack_sharding)

    if typed:
        stacked: jax.Array = jax.sharding.auto_axes(fill, out_sharding=stack_sharding)(
            key, digests, words, numbers
        )
        return stacked
    return fill(key, digests, words, numbers)
