"""The structured samplers: laws that are not one value per element (fills, identities,
orthogonal matrices, sparse columns).

Each is ``sampler(words, numbers, static, shape, dtype) -> jax.Array``, traced inside the
engine's kernel: ``words`` are the key's two words, ``numbers`` the law's dynamic constants and
``static`` its static part (see :meth:`jaxinit.distributions.Distribution.pack`). Matrices are
seen as torch sees a weight: ``(batch..., outputs, inputs * receptive field)``, through the
axis order of :meth:`FanAxes.matrix_layout`.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxinit._src import sampling
from jaxinit._src.representable import compute_dtype

# (axis order, (batch axes, out axes, in axes)) from FanAxes.matrix_layout
MatrixLayout = tuple[tuple[int, ...], tuple[int, int, int]]


def constant(words: Any, numbers: tuple[Any, ...], static: tuple[Any, ...],
             shape: tuple[int, ...], dtype: np.dtype[Any]) -> jax.Array:
    return jnp.full(shape, numbers[0], dtype)


def eye(words: Any, numbers: tuple[Any, ...], static: tuple[Any, ...],
        shape: tuple[int, ...], dtype: np.dtype[Any]) -> jax.Array:
    (gain,) = numbers
    return jnp.where(jnp.eye(shape[0], shape[1], dtype=jnp.bool_), gain, jnp.zeros((), dtype))


def _matrix_view(shape: tuple[int, ...], layout: MatrixLayout
                 ) -> tuple[tuple[int, ...], tuple[int, int, int], tuple[int, ...]]:
    """Reorder a weight's axes to (batch..., out..., in..., receptive...) and report the sizes."""
    perm, (n_batch, n_out, n_in) = layout
    ordered = tuple(shape[p] for p in perm)
    sizes = (math.prod(ordered[:n_batch]), math.prod(ordered[n_batch:n_batch + n_out]),
             math.prod(ordered[n_batch + n_out:n_batch + n_out + n_in]))
    return ordered, sizes, ordered[n_batch + n_out + n_in:]


def _unview(array: jax.Array, ordered: tuple[int, ...], layout: MatrixLayout) -> jax.Array:
    return jnp.transpose(array.reshape(ordered), tuple(int(i) for i in np.argsort(layout[0])))


def _centre_mask(full_shape: tuple[int, ...], receptive: tuple[int, ...],
                 torch_centre: bool = False) -> jax.Array:
    """True at the centre of the trailing receptive-field axes of ``full_shape``: index
    ``(k - 1) // 2`` of a size-``k`` axis (jax's and Flax's), or ``k // 2`` (torch's)."""
    mask = jnp.ones(full_shape, jnp.bool_)
    first = len(full_shape) - len(receptive)
    for k, size in enumerate(receptive):
        centre = size // 2 if torch_centre else (size - 1) // 2
        mask = mask & (lax.broadcasted_iota(jnp.int32, full_shape, first + k) == centre)
    return mask


def dirac(words: Any, numbers: tuple[Any, ...], static: tuple[Any, ...],
          shape: tuple[int, ...], dtype: np.dtype[Any]) -> jax.Array:
    groups, layout, torch_centre = static
    ordered, (b, o, i), receptive = _matrix_view(shape, layout)
    full = (b, o, i, *receptive)
    out_idx = lax.broadcasted_iota(jnp.int32, full, 1)
    in_idx = lax.broadcasted_iota(jnp.int32, full, 2)
    ones = (in_idx == out_idx % (o // groups)) & _centre_mask(full, receptive, torch_centre)
    return _unview(ones.astype(dtype), ordered, layout)


def _haar_orthogonal(words: Any, b: int, rows: int, cols: int, compute: np.dtype[Any]) -> jax.Array:
    """``b`` Haar-distributed (rows, cols) matrices, orthonormal along the smaller side."""
    tall = (b, max(rows, cols), min(rows, cols))
    index = sampling.element_index(tall)
    a = sampling.standard_normal(sampling.unit_interval(words, index, compute))
    q, r = jnp.linalg.qr(a)
    # QR's sign convention is not unique: fixing diag(r) > 0 makes q exactly Haar distributed.
    d = jnp.diagonal(r, axis1=-2, axis2=-1)
    q = q * jnp.where(d < 0, -1, 1).astype(compute)[..., None, :]
    return q if rows >= cols else jnp.swapaxes(q, -1, -2)


def orthogonal(words: Any, numbers: tuple[Any, ...], static: tuple[Any, ...],
               shape: tuple[int, ...], dtype: np.dtype[Any]) -> jax.Array:
    (gain,) = numbers
    (layout,) = static
    ordered, (b, o, i), receptive = _matrix_view(shape, layout)
    q = _haar_orthogonal(words, b, o, i * math.prod(receptive), compute_dtype(dtype))
    return _unview(gain * q, ordered, layout).astype(dtype)


def delta_orthogonal(words: Any, numbers: tuple[Any, ...], static: tuple[Any, ...],
                     shape: tuple[int, ...], dtype: np.dtype[Any]) -> jax.Array:
    (gain,) = numbers
    (layout,) = static
    ordered, (b, o, i), receptive = _matrix_view(shape, layout)
    q = _haar_orthogonal(words, b, o, i, compute_dtype(dtype))
    q = q.reshape((b, o, i) + (1,) * len(receptive))
    full = (b, o, i, *receptive)
    return _unview(jnp.where(_centre_mask(full, receptive), gain * q, 0).astype(dtype),
                   ordered, layout)


def sparse(words: Any, numbers: tuple[Any, ...], static: tuple[Any, ...],
           shape: tuple[int, ...], dtype: np.dtype[Any]) -> jax.Array:
    (std,) = numbers
    layout, zeros_per_input = static
    compute = compute_dtype(dtype)
    ordered, (b, o, i), _ = _matrix_view(shape, layout)
    index = sampling.element_index((b, o, i))
    values = sampling.standard_normal(sampling.unit_interval(words, index, compute), std)
    # For every input unit, the k outputs with the smallest random keys are zeroed.
    order_keys = sampling.random_words(sampling.substream(words, 1), index, 32)
    rank = jnp.argsort(jnp.argsort(order_keys, axis=1, stable=True), axis=1, stable=True)
    values = jnp.where(rank < zeros_per_input, jnp.zeros((), compute), values)
    return _unview(values.astype(dtype), ordered, layout)
