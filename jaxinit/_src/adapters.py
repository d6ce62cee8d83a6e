"""Adapters for frameworks whose initializers have another signature."""

from __future__ import annotations

from collections.abc import Callable

import jax

from jaxinit._src.export import public
from jaxinit.typing import DTypeLike, Initializer, ShapeLike


@public("jaxinit")
def to_haiku(init: Initializer) -> Callable[[ShapeLike, DTypeLike], jax.Array]:
    """A Haiku initializer ``(shape, dtype) -> array`` that draws ``hk.next_rng_key()``.

    Haiku is imported only when the returned function runs; it is not a dependency of jaxinit.
    Haiku kernels are ``(in, out)`` / ``(*spatial, in, out)``: the default layout applies.

    >>> import jaxinit
    >>> w_init = jaxinit.to_haiku(jaxinit.xavier_uniform())  # hk.Linear(10, w_init=w_init)
    """

    def haiku_init(shape: ShapeLike, dtype: DTypeLike = None) -> jax.Array:
        import haiku as hk

        return init(hk.next_rng_key(), shape, dtype)

    haiku_init.__qualname__ = f"to_haiku({init!r})"
    return haiku_init
