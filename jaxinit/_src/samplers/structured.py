"""The structured samplers: laws that are not one value per element (fills, identities,
orthogonal matrices, sparse columns).

Each builds the whole array in ``sample(words, numbers, static, shape, dtype)``, traced inside
the engine's kernel: ``words`` are the key's two words, ``numbers`` the law's dynamic constants
and ``static`` its static part, both from its ``pack``. Matrices are seen as torch sees a
weight: ``(batch..., outputs, inputs * receptive field)``, through the axis order of
:meth:`FanAxes.matrix_layout`.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, cast

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxinit._src import bits
from jaxinit._src.fans import FanAxes
from jaxinit._src.laws import Constant, DeltaOrthogonal, Dirac, Eye, Orthogonal, Sparse
from jaxinit._src.representable import as_compute, check_reach, compute_dtype, constant_value
from jaxinit._src.samplers.base import Packed, Sampler

# (axis order, (batch axes, out axes, in axes)) from FanAxes.matrix_layout
MatrixLayout = tuple[tuple[int, ...], tuple[int, int, int]]


class ConstantSampler(Sampler[Constant]):
    def pack(self, law: Constant, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        return (), (constant_value(law.value, dtype),)

    def sample(
        self,
        words: Any,
        numbers: tuple[Any, ...],
        static: tuple[Any, ...],
        shape: tuple[int, ...],
        dtype: np.dtype[Any],
    ) -> jax.Array:
        return jnp.full(shape, numbers[0], dtype)


class EyeSampler(Sampler[Eye]):
    def pack(self, law: Eye, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        return (), (constant_value(law.gain, dtype, "gain"),)

    def sample(
        self,
        words: Any,
        numbers: tuple[Any, ...],
        static: tuple[Any, ...],
        shape: tuple[int, ...],
        dtype: np.dtype[Any],
    ) -> jax.Array:
        (gain,) = numbers
        return jnp.where(jnp.eye(shape[0], shape[1], dtype=jnp.bool_), gain, jnp.zeros((), dtype))


def _matrix_view(
    shape: tuple[int, ...], layout: MatrixLayout
) -> tuple[tuple[int, ...], tuple[int, int, int], tuple[int, ...]]:
    """Reorder a weight's axes to (batch..., out..., in..., receptive...) and report the sizes."""
    perm, (n_batch, n_out, n_in) = layout
    ordered = tuple(shape[p] for p in perm)
    sizes = (
        math.prod(ordered[:n_batch]),
        math.prod(ordered[n_batch : n_batch + n_out]),
        math.prod(ordered[n_batch + n_out : n_batch + n_out + n_in]),
    )
    return ordered, sizes, ordered[n_batch + n_out + n_in :]


def _unview(array: jax.Array, ordered: tuple[int, ...], layout: MatrixLayout) -> jax.Array:
    return jnp.transpose(array.reshape(ordered), tuple(int(i) for i in np.argsort(layout[0])))


def _centre_mask(
    full_shape: tuple[int, ...], receptive: tuple[int, ...], torch_centre: bool = False
) -> jax.Array:
    """True at the centre of the trailing receptive-field axes of ``full_shape``: index
    ``(k - 1) // 2`` of a size-``k`` axis (jax's and Flax's), or ``k // 2`` (torch's)."""
    mask = jnp.ones(full_shape, jnp.bool_)
    first = len(full_shape) - len(receptive)
    for k, size in enumerate(receptive):
        centre = size // 2 if torch_centre else (size - 1) // 2
        mask = mask & (lax.broadcasted_iota(jnp.int32, full_shape, first + k) == centre)
    return mask


class DiracSampler(Sampler[Dirac]):
    def pack(self, law: Dirac, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        # torch puts the one at k // 2, the identity of a symmetric padding of k // 2; Flax's
        # padding="SAME" pads (k - 1) // 2 before, so its identity has the one there
        return (law.groups, axes.matrix_layout(len(shape)), axes.layout == "torch"), ()

    def sample(
        self,
        words: Any,
        numbers: tuple[Any, ...],
        static: tuple[Any, ...],
        shape: tuple[int, ...],
        dtype: np.dtype[Any],
    ) -> jax.Array:
        groups, layout, torch_centre = static
        ordered, (b, o, i), receptive = _matrix_view(shape, layout)
        full = (b, o, i, *receptive)
        out_idx = lax.broadcasted_iota(jnp.int32, full, 1)
        in_idx = lax.broadcasted_iota(jnp.int32, full, 2)
        ones = (in_idx == out_idx % (o // groups)) & _centre_mask(full, receptive, torch_centre)
        return _unview(ones.astype(dtype), ordered, layout)


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


def _haar_orthogonal(words: Any, b: int, rows: int, cols: int, compute: np.dtype[Any]) -> jax.Array:
    """``b`` Haar-distributed (rows, cols) matrices, orthonormal along the smaller side."""
    tall = (b, max(rows, cols), min(rows, cols))
    index = bits.element_index(tall)
    a = standard_normal(bits.unit_interval(words, index, compute))
    q, r = jnp.linalg.qr(a)
    # QR's sign convention is not unique: fixing diag(r) > 0 makes q exactly Haar distributed.
    d = jnp.diagonal(r, axis1=-2, axis2=-1)
    q = q * jnp.where(d < 0, -1, 1).astype(compute)[..., None, :]
    return q if rows >= cols else jnp.swapaxes(q, -1, -2)


class _OrthogonalTimesGain(Sampler[Orthogonal | DeltaOrthogonal]):
    """Orthogonal and DeltaOrthogonal: one packing, the matrix layout and the gain, and one
    ``sample`` around the matrix each builds in the view ``(batch, out, in, receptive...)``."""

    whole_matrix: ClassVar[bool] = True

    def pack(
        self, law: Orthogonal | DeltaOrthogonal, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes
    ) -> Packed:
        gain = law.gain
        check_reach(law, abs(gain), dtype)  # entries of an orthogonal matrix are in [-1, 1]
        return (axes.matrix_layout(len(shape)),), (as_compute(gain, compute_dtype(dtype)),)

    def sample(
        self,
        words: Any,
        numbers: tuple[Any, ...],
        static: tuple[Any, ...],
        shape: tuple[int, ...],
        dtype: np.dtype[Any],
    ) -> jax.Array:
        (gain,) = numbers
        (layout,) = static
        ordered, sizes, receptive = _matrix_view(shape, layout)
        matrix = self.times_gain(words, gain, (*sizes, *receptive), compute_dtype(dtype))
        return _unview(matrix, ordered, layout).astype(dtype)

    def times_gain(
        self, words: Any, gain: jax.Array, view: tuple[int, ...], compute: np.dtype[Any]
    ) -> jax.Array:
        """``gain`` times the law's values, shaped ``view``: ``(batch, out, in, receptive...)``."""
        raise NotImplementedError


class OrthogonalSampler(_OrthogonalTimesGain):
    def times_gain(
        self, words: Any, gain: jax.Array, view: tuple[int, ...], compute: np.dtype[Any]
    ) -> jax.Array:
        b, o, i, *receptive = view
        return gain * _haar_orthogonal(words, b, o, i * math.prod(receptive), compute)


class DeltaOrthogonalSampler(_OrthogonalTimesGain):
    def times_gain(
        self, words: Any, gain: jax.Array, view: tuple[int, ...], compute: np.dtype[Any]
    ) -> jax.Array:
        b, o, i, *receptive = view
        q = _haar_orthogonal(words, b, o, i, compute).reshape((b, o, i) + (1,) * len(receptive))
        return jnp.where(_centre_mask(view, tuple(receptive)), gain * q, 0)


class SparseSampler(Sampler[Sparse]):
    whole_matrix: ClassVar[bool] = True

    def pack(self, law: Sparse, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        check_reach(law, 8.0 * law.std, dtype)
        return (
            (axes.matrix_layout(len(shape)), law.zeros_per_input),
            (as_compute(law.std, compute_dtype(dtype)),),
        )

    def sample(
        self,
        words: Any,
        numbers: tuple[Any, ...],
        static: tuple[Any, ...],
        shape: tuple[int, ...],
        dtype: np.dtype[Any],
    ) -> jax.Array:
        (std,) = numbers
        layout, zeros_per_input = static
        compute = compute_dtype(dtype)
        ordered, (b, o, i), _ = _matrix_view(shape, layout)
        index = bits.element_index((b, o, i))
        values = standard_normal(bits.unit_interval(words, index, compute), std)
        # For every input unit, the k outputs with the smallest random keys are zeroed.
        order_keys = bits.random_words(bits.substream(words, 1), index, 32)
        rank = jnp.argsort(jnp.argsort(order_keys, axis=1, stable=True), axis=1, stable=True)
        values = jnp.where(rank < zeros_per_input, jnp.zeros((), compute), values)
        return _unview(values.astype(dtype), ordered, layout)
