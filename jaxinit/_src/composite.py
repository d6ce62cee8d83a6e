"""Initializers made of others, for parameters whose parts follow different laws.

A Flax GRU cell packs the biases of its three gates into one vector, and PyTorch gives two of
them one law and the third another; a torch ``Embedding`` with ``padding_idx`` has one zero
row. These classes follow the ``jax.nn.initializers.Initializer`` protocol like every
jaxinit initializer, are values (equal, hashable, printable as the call that builds them), and
report their laws region by region with :meth:`laws`.
"""

from __future__ import annotations

import dataclasses
from types import EllipsisType
from typing import TypeAlias

import jax
import jax.numpy as jnp

from jaxinit._src import checks
from jaxinit._src.export import public
from jaxinit._src.initializer import Initializer
from jaxinit._src.laws import Constant, Distribution
from jaxinit.typing import DTypeLike, KeyArray, Shape, ShapeLike

#: The region of an array that follows one law: an index of ints, slices and ``...``.
Index: TypeAlias = tuple[int | slice | EllipsisType, ...]


@public("jaxinit.torch_defaults")
def laws(init: Initializer | Concat | ZeroRow, shape: ShapeLike) -> list[tuple[Index, Distribution]]:
    """The laws ``init`` draws for ``shape``, as ``(index, Distribution)`` pairs.

    ``index`` is a tuple of slices (or ints) selecting the region of the array that follows
    the law: the whole array (``(...,)``) for an ordinary initializer, one pair per part for
    :class:`Concat` and :class:`ZeroRow`.

    >>> import jaxinit
    >>> from jaxinit._src.composite import laws
    >>> laws(jaxinit.uniform(-1.0, 1.0), (3,))
    [((Ellipsis,), Uniform(low=-1.0, high=1.0))]
    """
    if isinstance(init, (Concat, ZeroRow)):
        return init.laws(shape)
    if isinstance(init, Initializer):
        return [((Ellipsis,), init.distribution(shape))]
    raise TypeError(f"`init` must be a jaxinit initializer, got {init!r}")


def _check_part(name: str, init: object) -> None:
    if not isinstance(init, Initializer):
        raise TypeError(
            f"`{name}` must be a jaxinit initializer (an object built by a factory "
            f"such as jaxinit.uniform(...)), got {init!r}"
        )


@public("jaxinit.torch_defaults")
@dataclasses.dataclass(frozen=True, init=False)
class Concat:
    """Parts drawn by different initializers, side by side along ``axis``.

    ``Concat((init_a, n_a), (init_b, n_b), ..., axis=-1)`` draws ``init_a`` for the first
    ``n_a`` entries along ``axis``, ``init_b`` for the next ``n_b``, and so on; the sizes must
    add up to the length of that axis. Part ``i`` uses ``jax.random.fold_in(key, i)``.

    >>> import jax, jaxinit
    >>> from jaxinit._src.composite import Concat
    >>> init = Concat((jaxinit.zeros(), 2), (jaxinit.ones(), 1))
    >>> init(jax.random.key(0), (3,))
    Array([0., 0., 1.], dtype=float32)
    """

    parts: tuple[tuple[Initializer, int], ...]
    axis: int = -1

    def __init__(self, *parts: tuple[Initializer, int], axis: int = -1) -> None:
        if not parts:
            raise ValueError("`parts` must name at least one (initializer, size) pair, got none")
        checked: list[tuple[Initializer, int]] = []
        for i, part in enumerate(parts):
            if not isinstance(part, tuple) or len(part) != 2:
                raise TypeError(f"each part must be an (initializer, size) pair, got {part!r}")
            init, size = part
            _check_part(f"parts[{i}][0]", init)
            checked.append((init, checks.integer(f"parts[{i}][1]", size, minimum=1)))
        object.__setattr__(self, "parts", tuple(checked))
        object.__setattr__(self, "axis", checks.integer("axis", axis))

    def __repr__(self) -> str:
        parts = ", ".join(f"({init!r}, {size})" for init, size in self.parts)
        return f"Concat({parts}{'' if self.axis == -1 else f', axis={self.axis}'})"

    def _resolve(self, shape: ShapeLike) -> tuple[Shape, int]:
        dims = checks.shape(shape)
        if not -len(dims) <= self.axis < len(dims):
            raise ValueError(f"Concat along axis {self.axis} needs an array with that axis, got shape {dims}")
        axis = self.axis % len(dims)
        total = sum(size for _, size in self.parts)
        if dims[axis] != total:
            raise ValueError(
                f"Concat's parts have {total} entries along axis {self.axis}, but the "
                f"shape {dims} has {dims[axis]} there"
            )
        return dims, axis

    def laws(self, shape: ShapeLike) -> list[tuple[Index, Distribution]]:
        """One ``(index, Distribution)`` pair per part (see :func:`laws`)."""
        dims, axis = self._resolve(shape)
        out: list[tuple[Index, Distribution]] = []
        start = 0
        for init, size in self.parts:
            part_shape = dims[:axis] + (size,) + dims[axis + 1 :]
            out.append(((slice(None),) * axis + (slice(start, start + size),), init.distribution(part_shape)))
            start += size
        return out

    def __call__(self, key: KeyArray, shape: ShapeLike, dtype: DTypeLike = None) -> jax.Array:
        dims, axis = self._resolve(shape)
        pieces = [
            init(jax.random.fold_in(key, i), dims[:axis] + (size,) + dims[axis + 1 :], dtype)
            for i, (init, size) in enumerate(self.parts)
        ]
        return jnp.concatenate(pieces, axis=axis)


@public("jaxinit.torch_defaults")
@dataclasses.dataclass(frozen=True)
class ZeroRow:
    """``init``'s values with row ``index`` (along axis 0) set to zero: torch's ``Embedding`` and
    ``EmbeddingBag`` with ``padding_idx``. A negative ``index`` counts from the end, as in torch.

    >>> import jax, jaxinit
    >>> from jaxinit._src.composite import ZeroRow
    >>> table = ZeroRow(jaxinit.ones(), 0)(jax.random.key(0), (3, 2))
    >>> table[:, 0]
    Array([0., 1., 1.], dtype=float32)
    """

    init: Initializer
    index: int

    def __post_init__(self) -> None:
        _check_part("init", self.init)
        object.__setattr__(self, "index", checks.integer("padding_idx", self.index))

    def _row(self, shape: ShapeLike) -> tuple[Shape, int]:
        dims = checks.shape(shape)
        if len(dims) < 1:
            raise ValueError(f"a zero row needs an array with at least one axis, got shape {dims}")
        if not -dims[0] <= self.index < dims[0]:
            raise ValueError(f"`padding_idx` must be within num_embeddings ({dims[0]}), got {self.index}")
        return dims, self.index % dims[0]

    def laws(self, shape: ShapeLike) -> list[tuple[Index, Distribution]]:
        """The rows before and after the zero row follow ``init``; the row is the constant 0."""
        dims, row = self._row(shape)
        law = self.init.distribution(dims)
        out: list[tuple[Index, Distribution]] = [((row,), Constant(value=0.0))]
        out += [((rows,), law) for rows in (slice(0, row), slice(row + 1, dims[0])) if rows.stop > rows.start]
        return out

    def __call__(self, key: KeyArray, shape: ShapeLike, dtype: DTypeLike = None) -> jax.Array:
        dims, row = self._row(shape)
        return self.init(key, dims, dtype).at[row].set(0)
