"""Argument validation shared by every factory: one place that words the errors."""

from __future__ import annotations

import collections.abc
import math
import numbers
import operator
from collections.abc import Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def is_tracer(x: Any) -> bool:
    """True for a value being traced by a JAX transformation (an abstract value, no data)."""
    return isinstance(x, jax.core.Tracer)


def is_concrete(x: Any) -> bool:
    """True for Python numbers and JAX/NumPy values that hold data (not tracers)."""
    return not is_tracer(x)


try:  # the one question "is any JAX transformation being traced right now?"
    from jax._src.core import trace_state_clean as _trace_state_clean
except ImportError:  # pragma: no cover - older/newer jax without it: probe with an array

    def _trace_state_clean() -> bool:
        return not isinstance(jnp.zeros(()), jax.core.Tracer)


def tracing() -> bool:
    """True while any JAX transformation (jit, vmap, grad, scan, cond, checkpoint ...) is active.

    Eagerness is a property of the moment, not of the arguments: inside ``jax.jit`` a key or a
    hyperparameter captured from the enclosing scope is a concrete array, yet everything
    computed from it is staged into the traced program.
    """
    return not _trace_state_clean()


def _is_nnx_rngs(value: Any) -> bool:
    """An ``nnx.Rngs`` or ``RngStream`` (without importing flax, which is optional)."""
    return any(
        c.__module__.startswith("flax.nnx") and c.__name__ in ("Rngs", "RngStream")
        for c in type(value).__mro__
    )


def _default_key_data_shape() -> tuple[int, ...]:
    impl: str = config("jax_default_prng_impl")
    if impl not in _KEY_DATA_SHAPES:
        _KEY_DATA_SHAPES[impl] = jax.eval_shape(lambda: jax.random.PRNGKey(0)).shape
    return _KEY_DATA_SHAPES[impl]


_KEY_DATA_SHAPES: dict[str, tuple[int, ...]] = {}


def key(value: Any, name: str = "key") -> None:
    """A single PRNG key: a typed key of shape ``()``, or raw ``uint32`` key data of the shape
    the default PRNG implementation uses (``(2,)`` for threefry, ``(4,)`` for rbg)."""
    if _is_nnx_rngs(value):
        raise TypeError(
            f"`{name}` must be a PRNG key, got an nnx.{type(value).__name__}; pass "
            f"one of its keys, e.g. rngs.params()"
        )
    if isinstance(value, (jax.Array, np.ndarray, jax.core.Tracer)):
        dtype, shape = value.dtype, tuple(value.shape)
        if jnp.issubdtype(dtype, jax.dtypes.prng_key):
            if shape != ():
                raise ValueError(
                    f"`{name}` must be a single PRNG key, got a batch of keys of shape "
                    f"{shape}; use jax.vmap to initialise with several keys"
                )
            return
        if dtype == np.uint32 and len(shape) == 1:
            expected = _default_key_data_shape()
            if shape == expected:
                return
            raise TypeError(
                f"`{name}` is raw uint32 key data of shape {shape}, but the default PRNG "
                f"implementation ({config('jax_default_prng_impl')}) uses shape "
                f"{expected}; pass a typed key (jax.random.key(seed), or "
                f"jax.random.wrap_key_data(data, impl=...))"
            )
        what = f"{jnp.dtype(dtype).name}{list(shape)}"
    else:
        what = repr(value)
    raise TypeError(
        f"`{name}` must be a PRNG key (jax.random.key(seed) or jax.random.PRNGKey(seed)), got {what}"
    )


def real(name: str, value: Any, *, finite: bool = True) -> Any:
    """A real scalar hyperparameter: a Python float when concrete, else the tracer untouched.

    Tracers pass through unchecked so that ``jax.vmap`` over a hyperparameter works.
    """
    if is_tracer(value):
        if value.ndim != 0 or not jnp.issubdtype(value.dtype, jnp.number) or jnp.iscomplexobj(value):
            raise TypeError(f"`{name}` must be a real scalar, got a traced {value.dtype}{list(value.shape)}")
        return value
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (str, bytes, list, tuple, dict, set)):
        raise TypeError(f"`{name}` must be a real number, got {value!r}")
    if isinstance(value, (jax.Array, np.ndarray, np.generic)):
        if (
            np.ndim(value) != 0
            or not np.issubdtype(np.asarray(value).dtype, np.number)
            or np.iscomplexobj(value)
            or np.asarray(value).dtype == np.bool_
        ):
            raise TypeError(
                f"`{name}` must be a real scalar, got an array of dtype "
                f"{np.asarray(value).dtype} and shape {np.shape(value)}"
            )
        value = float(value)
    elif isinstance(value, numbers.Real):
        try:
            value = float(value)
        except OverflowError:  # a Python int beyond float's range
            raise ValueError(
                f"`{name}` must be finite, got an integer of {len(str(abs(value)))} "
                f"digits, beyond the float range"
            ) from None
    else:
        raise TypeError(f"`{name}` must be a real number, got {value!r}")
    if finite and not math.isfinite(value):
        raise ValueError(f"`{name}` must be finite, got {value!r}")
    return value


def nonnegative(name: str, value: Any) -> Any:
    value = real(name, value)
    if is_concrete(value) and value < 0:
        raise ValueError(f"`{name}` must be >= 0, got {value!r}")
    return value


def positive(name: str, value: Any) -> Any:
    value = real(name, value)
    if is_concrete(value) and value <= 0:
        raise ValueError(f"`{name}` must be > 0, got {value!r}")
    return value


def ordered(low_name: str, low: Any, high_name: str, high: Any) -> None:
    if is_concrete(low) and is_concrete(high) and not low < high:
        raise ValueError(
            f"`{low_name}` must be less than `{high_name}`, got {low_name}={low!r}, {high_name}={high!r}"
        )


def choice(name: str, value: Any, valid: Iterable[str]) -> str:
    valid = tuple(valid)
    if not isinstance(value, str) or value not in valid:
        names = ", ".join(repr(v) for v in valid)
        if len(valid) == 2:
            names = f"{valid[0]!r} or {valid[1]!r}"
        raise ValueError(f"`{name}` must be {'one of ' if len(valid) > 2 else ''}{names}, got {value!r}")
    return value


def integer(name: str, value: Any, *, minimum: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be an integer, got {value!r}")
    try:
        result = operator.index(value)
    except TypeError:
        raise TypeError(f"`{name}` must be an integer, got {value!r}") from None
    if minimum is not None and result < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {value!r}")
    return result


def glob(name: str, value: Any) -> str:
    """A non-empty glob string (a path pattern)."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"`{name}` must be a non-empty glob string, got {value!r}")
    return value


_SHAPE = "`shape` must be an int or a sequence of non-negative ints"


def _describe(value: Any) -> str:
    """What a bad shape (or entry) is, for an error: arrays by dtype and shape, the rest by repr."""
    if is_tracer(value):
        return f"a traced {value.dtype}{list(value.shape)} (shapes must be static under jit)"
    if isinstance(value, (jax.Array, np.ndarray)):
        return f"an array of dtype {value.dtype} and shape {tuple(value.shape)}"
    return repr(value)


def _dimension(d: Any, value: Any, position: int) -> int:
    """One entry of a shape as a Python int; NumPy and 0-d integer arrays count as ints."""
    if is_tracer(d):
        raise TypeError(f"{_SHAPE}, got {_describe(value)}: entry {position} is {_describe(d)}")
    containers = (collections.abc.Sequence, collections.abc.Set, collections.abc.Mapping)
    nested = (
        np.ndim(d) > 0
        if isinstance(d, (jax.Array, np.ndarray))
        else isinstance(d, containers) and not isinstance(d, (str, bytes))
    )
    if nested:  # ((2, 3), 4): NumPy would say "setting an array element with a sequence"
        raise TypeError(
            f"{_SHAPE}, got {value!r}: entry {position} is {_describe(d)}, not an int (shapes are flat)"
        )
    if isinstance(d, (bool, np.bool_)) or isinstance(d, (jax.Array, np.ndarray)) and d.dtype == np.bool_:
        raise TypeError(f"`shape` entries must be integers, got {d!r} in shape {value!r}")
    try:
        result = operator.index(d)  # ints, NumPy integers, 0-d integer arrays; not 2.0
    except TypeError:
        raise TypeError(f"`shape` entries must be integers, got {d!r} in shape {value!r}") from None
    if result < 0:
        raise ValueError(f"`shape` entries must be non-negative, got {result} in shape {value!r}")
    return result


def shape(value: Any) -> tuple[int, ...]:
    """Normalise ``shape`` to a tuple of non-negative Python ints.

    Accepted, as by ``jnp.zeros``: an int, a sequence (tuple, list, range) of ints, a 1-D
    integer array; NumPy integers and 0-d integer arrays count as ints. Anything else is a
    ``TypeError`` (a negative size a ``ValueError``) naming ``shape`` and what was received:
    floats (even 2.0), bools, nested sequences, sets and dicts (their order is not the
    caller's), traced values (a shape is static).
    """
    if is_tracer(value):
        raise TypeError(f"{_SHAPE}, got {_describe(value)}")
    if isinstance(value, (bool, np.bool_, str, bytes)) or not isinstance(
        value, (numbers.Integral, np.integer, jax.Array, np.ndarray, collections.abc.Sequence)
    ):
        # sets and dicts iterate in an order the caller did not choose; iterators are used up
        what = (
            repr(value)
            if value is None or isinstance(value, (numbers.Number, str, bytes, np.generic))
            else f"{type(value).__name__} {value!r}"
        )
        raise TypeError(f"{_SHAPE}, got {what}")
    if isinstance(value, (jax.Array, np.ndarray)):
        if jnp.issubdtype(value.dtype, jax.dtypes.prng_key):
            raise TypeError(f"{_SHAPE}, got a PRNG key (the call is init(key, shape, dtype))")
        if value.ndim > 1 or not jnp.issubdtype(value.dtype, jnp.integer):
            raise TypeError(f"{_SHAPE}, or a 1-D integer array, got {_describe(value)}")
        entries: tuple[Any, ...] = tuple(int(d) for d in np.ravel(np.asarray(value)))
    elif isinstance(value, (numbers.Integral, np.integer)):
        entries = (value,)
    else:
        entries = tuple(value)
    return tuple(_dimension(d, value, i) for i, d in enumerate(entries))


def dtype(value: Any, name: str = "dtype") -> np.dtype | None:
    """Normalise a dtype argument; ``None`` stays ``None``. float64 needs ``jax_enable_x64``."""
    if value is None:
        return None
    try:
        result: np.dtype[Any] = jnp.dtype(value)
    except TypeError:
        raise TypeError(f"`{name}` must be a dtype, got {value!r}") from None
    canonical = jax.dtypes.canonicalize_dtype(result)
    if canonical != result:
        raise TypeError(
            f"`{name}` is {result.name}, which JAX gives only with jax_enable_x64 on "
            f"(it would silently become {canonical.name}); enable x64 or ask for "
            f"{canonical.name}"
        )
    return result


def initializer_dtype(name: str, random: bool, dtype: np.dtype[Any]) -> None:
    """The dtype an initializer is asked for: real, and floating when it draws random values."""
    if jnp.issubdtype(dtype, jnp.complexfloating):
        raise TypeError(
            f"{name}: complex dtypes are not supported, got {dtype.name}; initialise "
            f"the real and imaginary parts separately with a real dtype"
        )
    if random and not jnp.issubdtype(dtype, jnp.floating):
        raise TypeError(f"{name} draws random floats and needs a floating dtype, got {dtype.name}")
    if not (jnp.issubdtype(dtype, jnp.number) or dtype == jnp.bool_):
        raise TypeError(f"{name}: unsupported dtype {dtype.name}")


def default_float() -> np.dtype[Any]:
    return np.dtype(np.float64 if config("jax_enable_x64") else np.float32)


def config(name: str) -> Any:
    """A JAX configuration value (``jax.config`` declares its options dynamically)."""
    return getattr(jax.config, name)
