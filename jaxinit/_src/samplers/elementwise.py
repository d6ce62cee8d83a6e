"""The elementwise samplers: each element is one value of the law, made from one uniform
(:func:`jaxinit._src.bits.unit_interval`) by the law's inverse CDF."""

from __future__ import annotations

import math
from typing import Any, ClassVar, TypeGuard

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxinit._src import checks
from jaxinit._src.fans import FanAxes
from jaxinit._src.laws import Normal, Real, Triangular, TruncatedNormal, Uniform
from jaxinit._src.representable import (
    as_compute,
    bounds_in,
    cast_inside,
    check_reach,
    compute_dtype,
    interval,
)
from jaxinit._src.samplers import truncnorm
from jaxinit._src.samplers.affine import affine, apply_affine
from jaxinit._src.samplers.base import L, Packed, Sampler


def _number(value: Real) -> TypeGuard[float]:
    """A law parameter that is a number (not a tracer: no hyperparameter is vmapped)."""
    return checks.is_concrete(value)


def _bounded(x: jax.Array, numbers: tuple[Any, ...], dtype: np.dtype[Any]) -> jax.Array:
    """``x`` cast into ``dtype`` inside the law's bounds, the last two numbers."""
    return cast_inside(x, numbers[-2], numbers[-1], dtype)


class Elementwise(Sampler[L]):
    """An elementwise sampler: ``transform`` maps one uniform per element to a value."""

    elementwise: ClassVar[bool] = True


class UniformSampler(Elementwise[Uniform]):
    def pack(self, law: Uniform, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        low, high, compute = law.low, law.high, compute_dtype(dtype)
        bounds = interval(law, low, high, dtype)
        if _number(low) and _number(high):
            form, constants = affine(low, high - low, high - low, compute)
            return (form,), (*constants, *bounds)
        low, high = as_compute(low, compute), as_compute(high, compute)
        return ("plain",), (low, None, high - low, None, *bounds)

    def transform(
        self, u: jax.Array, numbers: tuple[Any, ...], static: tuple[Any, ...], dtype: np.dtype[Any]
    ) -> jax.Array:
        return _bounded(apply_affine(u, static[0], numbers[:4]), numbers, dtype)


class NormalSampler(Elementwise[Normal]):
    def pack(self, law: Normal, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        mean, std, compute = law.mean, law.std, compute_dtype(dtype)
        if _number(mean) and _number(std):
            check_reach(law, abs(mean) + 8.0 * std, dtype)
            form, constants = affine(mean, std * math.sqrt(2.0), 0.0, compute)
            return (form,), constants
        return ("plain",), (as_compute(mean, compute), None, as_compute(std, compute) * math.sqrt(2.0), None)

    def transform(
        self, u: jax.Array, numbers: tuple[Any, ...], static: tuple[Any, ...], dtype: np.dtype[Any]
    ) -> jax.Array:
        # mean + (std sqrt2) erfinv(2u - 1), the scale folded on the host: XLA reassociates a
        # product of scalars with the array for some shapes and not others (the last bit with it)
        z = lax.erf_inv(np.asarray(2, u.dtype) * u - np.asarray(1, u.dtype))
        return apply_affine(z, static[0], numbers).astype(dtype)


class TruncatedNormalSampler(Elementwise[TruncatedNormal]):
    def pack(
        self, law: TruncatedNormal, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes
    ) -> Packed:
        mean, std, low, high, compute = law.mean, law.std, law.low, law.high, compute_dtype(dtype)
        bounds = interval(law, low, high, dtype)
        constants: tuple[Any, ...]
        static, constants = truncnorm.plan(mean, std, low, high, compute)
        if static[0] == "general":
            mean, std = as_compute(mean, compute), as_compute(std, compute)
            low, high = as_compute(low, compute), as_compute(high, compute)
            constants = (
                mean,
                std,
                *truncnorm.legacy_constants((low - mean) / std, (high - mean) / std, compute),
            )
        return static, (*constants, *bounds)

    def blocked(self, static: tuple[Any, ...]) -> bool:
        # the far tail's log-space Newton iteration, which XLA:CPU will not duplicate into
        # each consumer: fused, its code splits into several loops and full-size temporaries
        return static[0] in ("deep", "narrow", "general")

    def transform(
        self, u: jax.Array, numbers: tuple[Any, ...], static: tuple[Any, ...], dtype: np.dtype[Any]
    ) -> jax.Array:
        regime, form = static
        if regime == "general":
            mean, std, *constants = numbers[:-2]
            x = mean + std * truncnorm.legacy_standard(u, constants)
        else:
            offset = truncnorm.offset(u, numbers[4:-2], regime)
            x = apply_affine(offset, form, numbers[:4])
        return _bounded(x, numbers, dtype)


class TriangularSampler(Elementwise[Triangular]):
    def pack(self, law: Triangular, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        """(low, high) rounded inwards, the centre and the half-width, in the compute dtype."""
        low, high, compute = law.low, law.high, compute_dtype(dtype)
        bounds = interval(law, low, high, dtype)
        if not (_number(low) and _number(high)):
            low, high = as_compute(low, compute), as_compute(high, compute)
            return (), (low, high, low / 2 + high / 2, high / 2 - low / 2, *bounds)  # no overflow
        centre, half = (low + high) / 2, (high - low) / 2  # Python floats: exact enough, no overflow
        return (), (
            *bounds_in(low, high, compute),
            as_compute(centre, compute),
            as_compute(half, compute),
            *bounds,
        )

    def transform(
        self, u: jax.Array, numbers: tuple[Any, ...], static: tuple[Any, ...], dtype: np.dtype[Any]
    ) -> jax.Array:
        """The inverse CDF.

        With q = 2 min(u, 1 - u), the value lies at ``half * sqrt(q)`` from the bound on the
        side of ``u``, that is at ``half * (1 - sqrt(q)) = half * (1 - q) / (1 + sqrt(q))`` from
        the centre. For the grid of :func:`jaxinit._src.bits.unit_interval`, q and 1 - q are
        exact. The value is computed from whichever reference point is nearer (the bound while
        sqrt(q) < 1/2, else the centre), so its error is a few ulps of that point's distance:
        full relative precision at a bound or a centre at zero, the usual cases.
        """
        low, high, centre, half = numbers[:4]
        dt = u.dtype
        one = np.asarray(1, dt)
        below = u < np.asarray(0.5, dt)
        q = np.asarray(2, dt) * jnp.minimum(u, one - u)
        root = jnp.sqrt(q)
        from_bound = half * root
        from_centre = half * ((one - q) / (one + root))
        x = jnp.where(
            q < np.asarray(0.25, dt),
            jnp.where(below, low + from_bound, high - from_bound),
            jnp.where(below, centre - from_centre, centre + from_centre),
        )
        return _bounded(jnp.clip(x, low, high), numbers, dtype)
