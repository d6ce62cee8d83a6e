"""Stateful key sources for the torch-style API: ``Generator`` and the default generator."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from jaxinit._src import checks


def tracing() -> bool:
    """True while JAX is tracing (jit, vmap, grad, scan ...): array creation is staged then."""
    return isinstance(jnp.zeros(()), jax.core.Tracer)


class Generator:
    """The ``torch.Generator`` analogue: a seeded, stateful source of fresh JAX keys.

    Each :meth:`next_key` returns ``fold_in(key(seed), n)`` for n = 0, 1, 2, ...; so the
    sequence is reproducible from the seed, and two generators with the same seed agree.
    Meant for eager code (notebooks, the ``jaxinit.inplace`` shim); inside a JAX
    transformation pass keys explicitly, as JAX code does.

    >>> import jax, jaxinit
    >>> a, b = jaxinit.Generator(42), jaxinit.Generator(42)
    >>> bool((jax.random.key_data(a.next_key()) == jax.random.key_data(b.next_key())).all())
    True
    """

    def __init__(self, seed: int = 0):
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> "Generator":
        """Reset to ``seed``; returns the generator, as torch does."""
        self._seed = checks.integer("seed", seed)
        self._key = None  # made on first use: importing jaxinit must not start JAX's backend
        self._count = 0
        return self

    def initial_seed(self) -> int:
        return self._seed

    def next_key(self) -> jax.Array:
        """A fresh key; advances the generator."""
        if tracing():
            raise RuntimeError("a jaxinit.Generator hands out keys only outside JAX transformations "
                               "(its state would be frozen into the traced program); pass an "
                               "explicit key, e.g. generator=jax.random.key(0)")
        if self._key is None:
            self._key = jax.random.key(self._seed % 2 ** 64)
        key = jax.random.fold_in(self._key, self._count)
        self._count += 1
        return key

    def __repr__(self) -> str:
        return f"Generator(seed={self._seed}, draws={self._count})"


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Seed the default generator that ``jaxinit.inplace`` uses when no generator is given."""
    return default_generator.manual_seed(seed)


def resolve_key(generator: Any) -> jax.Array:
    """A key from ``generator``: a JAX key, a :class:`Generator`, an ``nnx.Rngs``, or ``None``
    (the default generator)."""
    if generator is None:
        if tracing():
            raise RuntimeError("inside a JAX transformation (jit/vmap/grad) a key must be given "
                               "explicitly: pass generator=key; the default generator would bake "
                               "one fixed key into the compiled program")
        return default_generator.next_key()
    if isinstance(generator, Generator):
        return generator.next_key()
    if type(generator).__name__ == "Rngs" and hasattr(generator, "params"):  # flax.nnx.Rngs
        return generator.params()
    if hasattr(generator, "dtype") and hasattr(generator, "shape"):
        from jaxinit._src.core import check_key
        check_key(generator)
        return generator
    raise TypeError(f"`generator` must be a JAX key, a jaxinit.Generator or an nnx.Rngs, got {generator!r}")
