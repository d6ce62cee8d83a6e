"""Whether a law can be honoured in a dtype: the checks every family's packing runs.

A result is the exact law rounded to the dtype or a ``ValueError`` naming the law, the value
and the dtype: never an inf, a NaN or a value outside the law. The kernel computes in a
*compute dtype* (float64 for float64, float32 otherwise), so a law's constants must be finite
there and its values must fit in the requested dtype.

A ``law`` argument is only named in a message: this module knows no law class, so the
samplers that run these checks sit above it.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxinit._src import checks
from jaxinit.typing import DTypeLike


def largest(dtype: np.dtype[Any]) -> float:
    """The largest finite value of a float dtype (bfloat16 and float8 too)."""
    return float(jnp.finfo(dtype).max)  # type: ignore[no-untyped-call]  # jax's finfo is unannotated


def compute_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype the kernel computes ``dtype`` values in."""
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def as_compute(value: Any, compute: np.dtype[Any]) -> Any:
    """A hyperparameter as a ``compute`` scalar (a tracer stays a tracer)."""
    if checks.is_tracer(value):
        return value.astype(compute)
    with np.errstate(over="ignore"):  # an overflow is reported by check_finite
        return np.asarray(value, compute)


def check_reach(law: object, reach: Any, dtype: np.dtype[Any]) -> None:
    """No silent inf: the values the law takes must fit in the requested float dtype."""
    limit = largest(dtype)
    if checks.is_concrete(reach) and reach > limit:
        raise ValueError(
            f"the law {law} reaches {reach:g}, beyond the largest finite {dtype.name} "
            f"({limit:g}); use a wider dtype"
        )


def check_finite(law: object, numbers: tuple[Any, ...], dtype: np.dtype[Any]) -> None:
    """Every constant handed to the kernel must be finite in the compute dtype."""
    if all(not isinstance(n, np.ndarray) or np.isfinite(n).all() for n in numbers if n is not None):
        return
    compute = compute_dtype(dtype)
    raise ValueError(
        f"the law {law} needs intermediate values beyond the {compute.name} range "
        f"in which jaxinit computes {dtype.name} values (a std or gain larger than "
        f"{largest(compute):g}); rescale it, or use float64 with "
        f"jax_enable_x64"
    )


def interval(law: object, low: Any, high: Any, dtype: np.dtype[Any]) -> tuple[Any, Any]:
    """The bounds of a bounded law as values of ``dtype`` (in the compute dtype), checked."""
    compute = compute_dtype(dtype)
    if checks.is_tracer(low) or checks.is_tracer(high):
        return traced_bounds_in(as_compute(low, compute), as_compute(high, compute), dtype)
    check_reach(law, max(abs(low), abs(high)), dtype)
    low_d, high_d = bounds_in(low, high, dtype)
    if low_d > high_d:
        raise ValueError(
            f"the law {law} has no {dtype.name} value in [{low!r}, {high!r}] (the "
            f"nearest are {float(high_d)!r} and {float(low_d)!r}); widen the interval "
            f"or use a wider dtype"
        )
    return np.asarray(low_d, compute), np.asarray(high_d, compute)


def constant_value(value: Any, dtype: np.dtype[Any], name: str = "val") -> Any:
    """``value`` (a scalar or an array that broadcasts) in ``dtype``: an error naming the
    argument, never a silent inf or truncation."""
    if checks.is_tracer(value):
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
        what = (
            f"{value!r}"
            if not source.ndim
            else f"entry {tuple(int(i) for i in bad)} ({source[tuple(bad)].item()!r}) of {value!r}"
        )
        raise ValueError(
            f"`{name}` {what} cannot be represented exactly in {dtype.name} "
            f"(it would become {cast[tuple(bad)].item()!r})"
        )
    return cast


# -- a bounded law's interval as values of the dtype --------------------------------------


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
