"""The initializer object and the one compiled kernel every initializer runs through."""

from __future__ import annotations

import collections
import dataclasses
import functools
import threading
import math
import warnings
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxinit._src import checks, sampling
from jaxinit._src import sharding as shardings
from jaxinit._src.fans import FanAxes
from jaxinit._src.laws import Distribution


@dataclasses.dataclass(frozen=True)
class Spec:
    """What the core needs to know about one named initializer.

    ``law(hyper, shape, axes)`` returns the :class:`Distribution` for a shape; it is plain
    Python arithmetic on floats (or on tracers, when a hyperparameter is being vmapped).
    """

    law: Callable[[dict, tuple, FanAxes], Distribution]
    random: bool = True       # needs a floating dtype and a key
    fan_based: bool = False   # zero-element shapes warn, as torch does
    uses_axes: bool = False   # takes layout / in_axis / out_axis / batch_axis
    # the axes follow from the hyperparameters (jax_nn's ``column_axis``), not from keywords
    axes_of: Callable[[dict], FanAxes] | None = None


SPECS: dict[str, Spec] = {}


def register(name: str, **spec: Any) -> Callable:
    def wrap(law: Callable) -> Callable:
        SPECS[name] = Spec(law, **spec)
        return law
    return wrap


def _check_dtype(name: str, spec: Spec, dtype: np.dtype) -> None:
    if jnp.issubdtype(dtype, jnp.complexfloating):
        raise TypeError(f"{name}: complex dtypes are not supported, got {dtype.name}; initialise "
                        f"the real and imaginary parts separately with a real dtype")
    if spec.random and not jnp.issubdtype(dtype, jnp.floating):
        raise TypeError(f"{name} draws random floats and needs a floating dtype, got {dtype.name}")
    if not (jnp.issubdtype(dtype, jnp.number) or dtype == jnp.bool_):
        raise TypeError(f"{name}: unsupported dtype {dtype.name}")


class Initializer:
    """An initializer: ``init(key, shape, dtype=None, out_sharding=None) -> jax.Array``.

    Built by the factories (``jaxinit.xavier_uniform()`` ...). It satisfies the
    ``jax.nn.initializers.Initializer`` protocol, so it drops into Flax ``kernel_init`` /
    ``bias_init``. It is a value: equal hyperparameters give equal (and equally hashed)
    objects, it pickles, and its ``repr`` is the call that builds it. Sampling runs in one
    jit-compiled kernel per (law family, shape, dtype, sharding), shared by all initializers;
    eager calls are cut from chunks instead, so a new shape costs no compilation.

    ``out_sharding`` (a ``jax.sharding.NamedSharding``, or a ``PartitionSpec`` inside
    ``jax.set_mesh``) returns the array with that sharding; each device computes only its
    shard, and the values are those of the unsharded call.
    """

    __slots__ = ("_name", "_hyper", "_dtype", "_axes", "__weakref__")  # jax.jit(init) needs a weakref

    def __init__(self, name: str, hyper: dict[str, Any], dtype: Any = None,
                 axes: FanAxes | None = None):
        if name not in SPECS:
            raise ValueError(f"`name` must be the name of a jaxinit initializer (one of "
                             f"{', '.join(sorted(SPECS))}), got {name!r}; build initializers with "
                             f"the factories (jaxinit.xavier_uniform()) or jaxinit.get")
        spec = SPECS[name]
        dtype = checks.dtype(dtype)
        if dtype is not None:
            _check_dtype(name, spec, dtype)
        self._name = name
        self._hyper = dict(hyper)
        self._dtype = dtype
        if spec.axes_of is not None:
            axes = spec.axes_of(self._hyper)
        self._axes = axes if axes is not None else FanAxes()

    # -- value semantics -------------------------------------------------------------
    @property
    def name(self) -> str:
        """The factory that builds this initializer."""
        return self._name

    @property
    def hyperparameters(self) -> dict[str, Any]:
        return dict(self._hyper)

    @property
    def dtype(self) -> np.dtype | None:
        """The default dtype (``None``: JAX's default float dtype)."""
        return self._dtype

    def to_config(self) -> dict[str, Any]:
        """A plain dict ``{"name": ..., **keywords}`` that rebuilds this initializer."""
        axes = {} if SPECS[self._name].axes_of is not None else self._axes.kwargs()
        config = {"name": self._name, **self._hyper, **axes}
        if self._dtype is not None:
            config["dtype"] = self._dtype.name
        return config

    def _identity(self) -> tuple:
        return (self._name, tuple(self._hyper.items()), self._dtype, self._axes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Initializer):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        config = self.to_config()
        del config["name"]
        return f"{self._name}({', '.join(f'{k}={v!r}' for k, v in config.items())})"

    def __reduce__(self):
        return Initializer, (self._name, self._hyper, self._dtype, self._axes)

    # -- the law and the draw --------------------------------------------------------
    def _resolve_dtype(self, dtype: Any) -> np.dtype:
        dtype = checks.dtype(dtype)
        if dtype is None:
            dtype = self._dtype if self._dtype is not None else checks.default_float()
        _check_dtype(self._name, SPECS[self._name], dtype)
        return dtype

    def distribution(self, shape: Any, dtype: Any = None) -> Distribution:
        """The exact law this initializer samples for ``shape`` (see :class:`Distribution`)."""
        shape = checks.shape(shape)
        self._resolve_dtype(dtype)
        return SPECS[self._name].law(self._hyper, shape, self._axes)

    def __call__(self, key: Any, shape: Any, dtype: Any = None, out_sharding: Any = None) -> jax.Array:
        shape = checks.shape(shape)
        dtype = self._resolve_dtype(dtype)
        checks.key(key)
        sharding = shardings.resolve(out_sharding, shape)
        spec = SPECS[self._name]
        if math.prod(shape) == 0:
            if spec.fan_based:
                warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=2)
            else:
                spec.law(self._hyper, shape, self._axes)  # still reject a wrong rank
            return jnp.zeros(shape, dtype, device=sharding)
        law = spec.law(self._hyper, shape, self._axes)
        shardings.warn_whole_matrix(self._name, law.family, shape, dtype, sharding)
        return draw(law, key, shape, dtype, sharding, self._axes)


# -- the kernel ----------------------------------------------------------------------

def _compute_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def _as(value: Any, dtype: np.dtype) -> Any:
    if isinstance(value, jax.core.Tracer):
        return value.astype(dtype)
    with np.errstate(over="ignore"):  # an overflow is reported by _check_finite
        return np.asarray(value, dtype)


def _concrete(*values: Any) -> bool:
    return not any(isinstance(v, jax.core.Tracer) for v in values)


def _check_reach(law: Distribution, reach: Any, dtype: np.dtype) -> None:
    """No silent inf: the values the law takes must fit in the requested float dtype."""
    limit = float(jnp.finfo(dtype).max)
    if _concrete(reach) and reach > limit:
        raise ValueError(f"the law {law} reaches {reach:g}, beyond the largest finite {dtype.name} "
                         f"({limit:g}); use a wider dtype")


def _check_finite(law: Distribution, numbers: tuple, compute: np.dtype, dtype: np.dtype) -> None:
    """Every constant handed to the kernel must be finite in the compute dtype."""
    if all(not isinstance(n, np.ndarray) or np.isfinite(n).all() for n in numbers if n is not None):
        return
    raise ValueError(f"the law {law} needs intermediate values beyond the {compute.name} range "
                     f"in which jaxinit computes {dtype.name} values (a std or gain larger than "
                     f"{float(jnp.finfo(compute).max):g}); rescale it, or use float64 with "
                     f"jax_enable_x64")


def _interval(law: Distribution, low: Any, high: Any, compute: np.dtype, dtype: np.dtype) -> tuple:
    """The bounds of a bounded law as values of ``dtype`` (in the compute dtype), checked."""
    if not _concrete(low, high):
        return sampling.traced_bounds_in(_as(low, compute), _as(high, compute), dtype)
    _check_reach(law, max(abs(low), abs(high)), dtype)
    low_d, high_d = sampling.bounds_in(low, high, dtype)
    if low_d > high_d:
        raise ValueError(f"the law {law} has no {dtype.name} value in [{low!r}, {high!r}] (the "
                         f"nearest are {float(high_d)!r} and {float(low_d)!r}); widen the interval "
                         f"or use a wider dtype")
    return np.asarray(low_d, compute), np.asarray(high_d, compute)


def _pack(law: Distribution, shape: tuple, dtype: np.dtype, compute: np.dtype,
          axes: FanAxes) -> tuple[tuple, tuple]:
    """The kernel's static part and its numbers for ``law``, after checking that the law can be
    honoured in ``dtype`` (a clear error here, never an inf, a NaN or a value outside the law)."""
    family = law.family
    sqrt2 = math.sqrt(2.0)
    if family == "uniform":
        low, high = law.low, law.high
        bounds = _interval(law, low, high, compute, dtype)
        if _concrete(low, high):
            form, affine = sampling.affine(low, high - low, high - low, compute)
        else:
            low, high = _as(low, compute), _as(high, compute)
            form, affine = "plain", (low, None, high - low, None)
        return (form,), (*affine, *bounds)
    if family == "normal":
        mean, std = law.mean, law.std
        if _concrete(mean, std):
            _check_reach(law, abs(mean) + 8.0 * std, dtype)
            form, affine = sampling.affine(mean, std * sqrt2, 0.0, compute)
            return (form,), affine
        return ("plain",), (_as(mean, compute), None, _as(std, compute) * sqrt2, None)
    if family == "truncated_normal":
        mean, std, low, high = law.mean, law.std, law.low, law.high
        bounds = _interval(law, low, high, compute, dtype)
        static, constants = sampling.truncnorm_plan(mean, std, low, high, compute)
        if static[0] == "general":
            mean, std = _as(mean, compute), _as(std, compute)
            low, high = _as(low, compute), _as(high, compute)
            constants = (mean, std, *sampling.legacy_truncnorm_constants(
                (low - mean) / std, (high - mean) / std, compute))
        return static, (*constants, *bounds)
    if family == "triangular":
        bounds = _interval(law, law.low, law.high, compute, dtype)
        return (), (*_triangular_numbers(law.low, law.high, compute), *bounds)
    if family == "constant":
        return (), (constant_value(law.value, dtype),)
    if family == "eye":
        return (), (constant_value(law.gain, dtype, "gain"),)
    if family == "dirac":
        # torch puts the one at k // 2, the identity of a symmetric padding of k // 2; Flax's
        # padding="SAME" pads (k - 1) // 2 before, so its identity has the one there
        return (law.groups, axes.matrix_layout(len(shape)), axes.layout == "torch"), ()
    if family in ("orthogonal", "delta_orthogonal"):
        _check_reach(law, abs(law.gain), dtype)  # entries of an orthogonal matrix are in [-1, 1]
        return (axes.matrix_layout(len(shape)),), (_as(law.gain, compute),)
    if family == "sparse":
        _check_reach(law, 8.0 * law.std, dtype)
        return (axes.matrix_layout(len(shape)), law.zeros_per_input), (_as(law.std, compute),)
    raise AssertionError(family)  # pragma: no cover - Distribution validates the family


def draw(law: Distribution, key: Any, shape: tuple, dtype: np.dtype, sharding: Any,
         axes: FanAxes) -> jax.Array:
    """Sample ``law`` into an array: pick the kernel's static part, pass the numbers dynamically."""
    compute = _compute_dtype(dtype)
    family = law.family
    static, numbers = _pack(law, shape, dtype, compute, axes)
    _check_finite(law, numbers, compute, dtype)
    # Eager means no JAX transformation is being traced, whatever the arguments are: a key
    # captured by a jitted function is concrete, yet what is computed from it is staged.
    eager = not checks.tracing()
    if eager and _use_chunks(family, shape, sharding) and \
            _EAGER_CALLS.count((family, static, shape, dtype)) < _COMPILE_AFTER:
        return _draw_chunked(key, numbers, family, static, shape, dtype)
    with shardings.mesh_context(sharding, tracing=not eager):
        return _kernel(key, numbers, family=family, static=static, shape=shape, dtype=dtype,
                       sharding=sharding)


def constant_value(value: Any, dtype: np.dtype, name: str = "val") -> Any:
    """``value`` (a scalar or an array that broadcasts) in ``dtype``: an error naming the
    argument, never a silent inf or truncation."""
    if isinstance(value, jax.core.Tracer):
        return value.astype(dtype)
    source = np.asarray(value)
    with np.errstate(over="ignore", invalid="ignore"):  # reported below, in words
        cast = source.astype(dtype)
    if jnp.issubdtype(dtype, jnp.floating):
        if not np.isfinite(cast).all():
            raise ValueError(f"`{name}` {value!r} is not finite in {dtype.name}")
        return cast
    with np.errstate(over="ignore", invalid="ignore"):
        exact = cast.astype(source.dtype) == source
    if not exact.all():
        bad = np.argwhere(~exact)[0] if source.ndim else ()
        what = f"{value!r}" if not source.ndim else f"entry {tuple(int(i) for i in bad)} " \
            f"({source[tuple(bad)].item()!r}) of {value!r}"
        raise ValueError(f"`{name}` {what} cannot be represented exactly in {dtype.name} "
                         f"(it would become {cast[tuple(bad)].item()!r})")
    return cast


# Eager calls of elementwise laws up to this many elements are made from fixed-size chunks,
# so that a new shape costs no compilation (see _draw_chunked); larger ones, and everything
# traced or sharded, run through _kernel, compiled for the exact shape.
_CHUNK = 2 ** 16
_SMALL_CHUNK = 2 ** 12  # arrays of up to 4 of these (biases, small kernels) use the small size
_CHUNKED_MAX = 2 ** 22
# A shape drawn eagerly this many times gets its exact-shape kernel after all: repeated calls
# (a training loop's re-initialisation, the inplace shim) then skip the chunk assembly.
_COMPILE_AFTER = 3


class _CallCounter:
    """How often each (law family, static part, shape, dtype) was drawn eagerly: a bounded,
    thread-safe LRU, so a program that draws ever new shapes keeps a fixed amount of state."""

    def __init__(self, capacity: int = 1024):
        self.capacity = capacity
        self._counts: collections.OrderedDict[tuple, int] = collections.OrderedDict()
        self._lock = threading.Lock()

    def count(self, call: tuple) -> int:
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


_EAGER_CALLS = _CallCounter()


def _use_chunks(family, shape, sharding) -> bool:
    """Whether an eager call may be cut from chunks (unsharded, elementwise, not too large)."""
    return (family in _ELEMENTWISE and sharding is None and math.prod(shape) <= _CHUNKED_MAX
            and jax.sharding.get_abstract_mesh().empty)


def _opaque(key, numbers):
    """The key's two words and the law's numbers, hidden from XLA's constant folding.

    Inside an outer jit a captured key and the numbers arrive as constants; XLA would then
    fold whole arrays at compile time (with other code for erf_inv than the compiled loop's)
    or fold the numbers into the arithmetic in another order than at run time. The barrier
    keeps eager == jit bit for bit.
    """
    return lax.optimization_barrier((sampling.key_words(key), numbers))


@functools.partial(jax.jit, static_argnames=("family", "static", "shape", "dtype", "sharding"))
def _kernel(key, numbers, *, family, static, shape, dtype, sharding):
    words, numbers = _opaque(key, numbers)
    if shardings.is_explicit(sharding):
        # Sharding in types: compute under Auto axes and let the partitioner split the work,
        # as for an Auto mesh; the result carries `sharding` in its type.
        body = functools.partial(_sample, family=family, static=static, shape=shape,
                                 dtype=dtype, sharded=True)
        return jax.sharding.auto_axes(body, out_sharding=sharding)(words, numbers)
    return shardings.place(_sample(words, numbers, family=family, static=static, shape=shape,
                                   dtype=dtype, sharded=sharding is not None), sharding)


def _sample(words, numbers, *, family, static, shape, dtype, sharded):
    n = math.prod(shape)
    # a loop over blocks cannot be split between devices: sharded outputs stay fused
    if family == "truncated_normal" and static[0] in _UNFUSABLE and not sharded and _CHUNK < n < 2 ** 31:
        return _blocked(words, numbers, family, static, n, dtype).reshape(shape)
    if family in _ELEMENTWISE:
        return _elementwise(words, numbers, family, static, sampling.element_index(shape), dtype)
    return _SAMPLERS[family](words, numbers, static, shape, dtype)


# Laws whose per-element code XLA:CPU splits into several loops (it will not duplicate the
# log-space Newton iteration of trunc_normal's far tail into each consumer): made block by
# block in a loop instead, so that their temporaries stay one block in size.
_UNFUSABLE = frozenset({"deep", "narrow", "general"})


def _blocked(words, numbers, family, static, n, dtype):
    """The flat array of ``n`` elements, computed ``_CHUNK`` elements at a time in a loop.

    Block ``b`` holds elements ``b * _CHUNK ..``; the last block is moved back to end at
    ``n`` (it overlaps its neighbour, which is harmless: an element's value depends only on
    its index).
    """
    blocks = -(-n // _CHUNK)

    def body(b, out):
        start = jnp.minimum(b * _CHUNK, n - _CHUNK).astype(jnp.uint32)
        index = sampling.offset_index(np.uint32(0), start, _CHUNK)
        block = _elementwise(words, numbers, family, static, index, dtype)
        return lax.dynamic_update_slice(out, block, (start.astype(jnp.int32),))

    return lax.fori_loop(0, blocks, body, jnp.empty((n,), dtype))


@functools.partial(jax.jit, static_argnames=("family", "static", "dtype", "size"))
def _chunk_kernel(key, numbers, start_hi, start_lo, *, family, static, dtype, size=_CHUNK):
    """Elements ``start .. start + size - 1`` of any array drawn from this law: one compiled
    program per (law family, dtype, chunk size) serves every shape."""
    words, numbers = _opaque(key, numbers)
    index = sampling.offset_index(start_hi, start_lo, size)
    return _elementwise(words, numbers, family, static, index, dtype)


def _draw_chunked(key, numbers, family, static, shape, dtype):
    """The same values as ``_kernel``, cut from fixed-size chunks (eager calls only).

    Compiling a kernel for every new shape is what makes eager model building slow (a few
    tenths of a second per shape on CPU); the chunk kernel is compiled once per law family
    and dtype (and one more for small arrays). Element ``i`` of the result is element
    ``i % size`` of chunk ``i // size``.
    """
    n = math.prod(shape)
    size = _SMALL_CHUNK if n <= 4 * _SMALL_CHUNK else _CHUNK
    chunks = [_chunk_kernel(key, numbers, np.uint32(start >> 32), np.uint32(start & 0xFFFFFFFF),
                            family=family, static=static, dtype=dtype, size=size)
              for start in range(0, n, size)]
    (device,) = chunks[0].devices()
    if not _host_memory(device):
        return _assemble(chunks, shape=shape)
    # On CPU, jax arrays are host memory: assembling in NumPy needs no compiled program.
    host = np.empty(len(chunks) * size, dtype)
    for k, chunk in enumerate(chunks):
        host[k * size:(k + 1) * size] = np.asarray(chunk)
    out = host[:n].reshape(shape)
    return jax.device_put(out, None if device == _default_device() else device)


def _host_memory(device) -> bool:
    return device.platform == "cpu"


def _default_device():
    return jax.config.jax_default_device or jax.devices()[0]


@functools.partial(jax.jit, static_argnames=("shape",))
def _assemble(chunks, *, shape):
    return jnp.concatenate(chunks)[:math.prod(shape)].reshape(shape)


def _elementwise(words, numbers, family, static, index, dtype):
    """An elementwise law at the flat indices ``index``: one uniform per element, transformed."""
    compute = _compute_dtype(dtype)
    u = sampling.unit_interval(words, index, compute, sampling.bits_for(dtype))
    return _TRANSFORMS[family](u, numbers, static, dtype)


def _uniform(u, numbers, static, dtype):
    *affine, low_d, high_d = numbers
    return sampling.cast_inside(sampling.apply_affine(u, static[0], affine), low_d, high_d, dtype)


def _normal(u, numbers, static, dtype):
    # mean + (std sqrt2) erfinv(2u - 1), the scale folded on the host: XLA reassociates a
    # product of scalars with the array for some shapes and not others (the last bit with it)
    z = lax.erf_inv(np.asarray(2, u.dtype) * u - np.asarray(1, u.dtype))
    return sampling.apply_affine(z, static[0], numbers).astype(dtype)


def _truncated_normal(u, numbers, static, dtype):
    regime, form = static
    *numbers, low_d, high_d = numbers
    if regime == "general":
        mean, std, *constants = numbers
        x = mean + std * sampling.legacy_standard_truncated_normal(u, constants)
    else:
        offset = sampling.truncnorm_offset(u, numbers[4:], regime)
        x = sampling.apply_affine(offset, form, numbers[:4])
    return sampling.cast_inside(x, low_d, high_d, dtype)


def _triangular_numbers(low, high, compute):
    """(low, high) rounded inwards, the centre and the half-width, in the compute dtype."""
    if isinstance(low, jax.core.Tracer) or isinstance(high, jax.core.Tracer):
        low, high = _as(low, compute), _as(high, compute)
        return low, high, low / 2 + high / 2, high / 2 - low / 2  # halves first: no overflow
    centre, half = (low + high) / 2, (high - low) / 2  # Python floats: exact enough, no overflow
    return (*sampling.bounds_in(low, high, compute), _as(centre, compute), _as(half, compute))


def _triangular(u, numbers, static, dtype):
    """The symmetric triangular law on [low, high] by its inverse CDF.

    With q = 2 min(u, 1 - u), the value lies at ``half * sqrt(q)`` from the bound on the side
    of ``u``, that is at ``half * (1 - sqrt(q)) = half * (1 - q) / (1 + sqrt(q))`` from the
    centre. For the grid of :func:`sampling.unit_interval`, q and 1 - q are exact. The value is
    computed from whichever reference point is nearer (the bound while sqrt(q) < 1/2, else the
    centre), so its error is a few ulps of that point's distance: full relative precision at a
    bound or a centre at zero, the usual cases.
    """
    low, high, centre, half, low_d, high_d = numbers
    dt = u.dtype
    one = np.asarray(1, dt)
    below = u < np.asarray(0.5, dt)
    q = np.asarray(2, dt) * jnp.minimum(u, one - u)
    root = jnp.sqrt(q)
    from_bound = half * root
    from_centre = half * ((one - q) / (one + root))
    x = jnp.where(q < np.asarray(0.25, dt),
                  jnp.where(below, low + from_bound, high - from_bound),
                  jnp.where(below, centre - from_centre, centre + from_centre))
    return sampling.cast_inside(jnp.clip(x, low, high), low_d, high_d, dtype)


def _constant(words, numbers, static, shape, dtype):
    return jnp.full(shape, numbers[0], dtype)


def _eye(words, numbers, static, shape, dtype):
    (gain,) = numbers
    return jnp.where(jnp.eye(shape[0], shape[1], dtype=jnp.bool_), gain, jnp.zeros((), dtype))


def _matrix_view(shape, layout):
    """Reorder a weight's axes to (batch..., out..., in..., receptive...) and report the sizes."""
    perm, (n_batch, n_out, n_in) = layout
    ordered = tuple(shape[p] for p in perm)
    sizes = (math.prod(ordered[:n_batch]), math.prod(ordered[n_batch:n_batch + n_out]),
             math.prod(ordered[n_batch + n_out:n_batch + n_out + n_in]))
    return ordered, sizes, ordered[n_batch + n_out + n_in:]


def _unview(array, ordered, layout):
    return jnp.transpose(array.reshape(ordered), np.argsort(layout[0]))


def _centre_mask(full_shape, receptive, torch_centre=False):
    """True at the centre of the trailing receptive-field axes of ``full_shape``: index
    ``(k - 1) // 2`` of a size-``k`` axis (jax's and Flax's), or ``k // 2`` (torch's)."""
    mask = jnp.ones(full_shape, jnp.bool_)
    first = len(full_shape) - len(receptive)
    for k, size in enumerate(receptive):
        centre = size // 2 if torch_centre else (size - 1) // 2
        mask = mask & (lax.broadcasted_iota(jnp.int32, full_shape, first + k) == centre)
    return mask


def _dirac(words, numbers, static, shape, dtype):
    groups, layout, torch_centre = static
    ordered, (b, o, i), receptive = _matrix_view(shape, layout)
    full = (b, o, i, *receptive)
    out_idx = lax.broadcasted_iota(jnp.int32, full, 1)
    in_idx = lax.broadcasted_iota(jnp.int32, full, 2)
    ones = (in_idx == out_idx % (o // groups)) & _centre_mask(full, receptive, torch_centre)
    return _unview(ones.astype(dtype), ordered, layout)


def _haar_orthogonal(words, b, rows, cols, compute):
    """``b`` Haar-distributed (rows, cols) matrices, orthonormal along the smaller side."""
    tall = (b, max(rows, cols), min(rows, cols))
    index = sampling.element_index(tall)
    a = sampling.standard_normal(sampling.unit_interval(words, index, compute))
    q, r = jnp.linalg.qr(a)
    # QR's sign convention is not unique: fixing diag(r) > 0 makes q exactly Haar distributed.
    d = jnp.diagonal(r, axis1=-2, axis2=-1)
    q = q * jnp.where(d < 0, -1, 1).astype(compute)[..., None, :]
    return q if rows >= cols else jnp.swapaxes(q, -1, -2)


def _orthogonal(words, numbers, static, shape, dtype):
    (gain,) = numbers
    (layout,) = static
    ordered, (b, o, i), receptive = _matrix_view(shape, layout)
    q = _haar_orthogonal(words, b, o, i * math.prod(receptive), gain.dtype)
    return _unview(gain * q, ordered, layout).astype(dtype)


def _delta_orthogonal(words, numbers, static, shape, dtype):
    (gain,) = numbers
    (layout,) = static
    ordered, (b, o, i), receptive = _matrix_view(shape, layout)
    q = _haar_orthogonal(words, b, o, i, gain.dtype).reshape((b, o, i) + (1,) * len(receptive))
    full = (b, o, i, *receptive)
    return _unview(jnp.where(_centre_mask(full, receptive), gain * q, 0).astype(dtype), ordered, layout)


def _sparse(words, numbers, static, shape, dtype):
    (std,) = numbers
    layout, zeros_per_input = static
    ordered, (b, o, i), _ = _matrix_view(shape, layout)
    index = sampling.element_index((b, o, i))
    values = sampling.standard_normal(sampling.unit_interval(words, index, std.dtype), std)
    # For every input unit, the k outputs with the smallest random keys are zeroed.
    order_keys = sampling.random_words(sampling.substream(words, 1), index, 32)
    rank = jnp.argsort(jnp.argsort(order_keys, axis=1, stable=True), axis=1, stable=True)
    values = jnp.where(rank < zeros_per_input, jnp.zeros((), std.dtype), values)
    return _unview(values.astype(dtype), ordered, layout)


_TRANSFORMS = {"uniform": _uniform, "normal": _normal, "truncated_normal": _truncated_normal,
               "triangular": _triangular}
_ELEMENTWISE = frozenset(_TRANSFORMS)
_SAMPLERS = {
    "constant": _constant, "eye": _eye, "dirac": _dirac, "orthogonal": _orthogonal,
    "delta_orthogonal": _delta_orthogonal, "sparse": _sparse,
}
