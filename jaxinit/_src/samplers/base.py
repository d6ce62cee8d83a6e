"""The sampler interface: what the engine needs to sample one law family.

A sampler packs a law into a static part, which selects the compiled program, and dynamic
numbers, passed at run time so one program serves every value of the parameters; then, inside
the kernel, it turns one uniform per element into a value (``transform``) or builds the whole
array (``sample``). It is a stateless value: samplers of one class are interchangeable, so they
compare and hash by their class (the engine passes one to its jitted kernels as a static
argument).
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

import jax
import numpy as np

from jaxinit._src.fans import FanAxes
from jaxinit._src.laws import Distribution

#: What :meth:`Sampler.pack` hands the engine: the static part (hashable: it selects the
#: compiled program) and the numbers (passed at run time, so one program serves every value).
Packed = tuple[tuple[Any, ...], tuple[Any, ...]]

L = TypeVar("L", bound=Distribution)


class Sampler(Generic[L]):
    """How the engine samples the law family ``L``."""

    #: one value per element from one uniform (``transform``), else the whole array (``sample``)
    elementwise: ClassVar[bool] = False
    #: needs the whole matrix at once (QR, a sort): a sharded output builds all of it everywhere
    whole_matrix: ClassVar[bool] = False

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def pack(self, law: L, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        """The engine's static part and dynamic numbers for sampling ``law`` into ``shape``
        and ``dtype``, after checking that the law can be honoured there (a clear
        ``ValueError``, never an inf, a NaN or a value outside the law)."""
        raise NotImplementedError

    def blocked(self, static: tuple[Any, ...]) -> bool:
        """Whether the per-element code is too large for XLA:CPU to fuse into one loop, so the
        engine computes it block by block (to keep its temporaries one block in size)."""
        return False

    def transform(
        self, u: jax.Array, numbers: tuple[Any, ...], static: tuple[Any, ...], dtype: np.dtype[Any]
    ) -> jax.Array:
        """Elementwise samplers: the values for the uniforms ``u`` (in the compute dtype)."""
        raise NotImplementedError

    def sample(
        self,
        words: Any,
        numbers: tuple[Any, ...],
        static: tuple[Any, ...],
        shape: tuple[int, ...],
        dtype: np.dtype[Any],
    ) -> jax.Array:
        """Structured samplers: the whole array, from the key's two ``words``."""
        raise NotImplementedError
