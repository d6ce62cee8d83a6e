"""Stateful key sources for the torch-style API: ``Generator`` and the default generator."""

from __future__ import annotations

import threading
from typing import Any, SupportsIndex

import jax
import numpy as np

from jaxinit._src import checks
from jaxinit._src.export import public

# torch.manual_seed's range: a negative seed s stands for s + 2**64.
_SEED_MIN, _SEED_MAX = -(2**63), 2**64 - 1


def seed_value(seed: SupportsIndex) -> int:
    """A seed as torch reads it: any integer in [-2**63, 2**64 - 1], a negative one standing
    for ``seed + 2**64``; returned as that 64-bit unsigned value."""
    value = checks.integer("seed", seed)
    if not _SEED_MIN <= value <= _SEED_MAX:
        raise ValueError(f"`seed` must be in [-2**63, 2**64 - 1] (torch's range), got {value!r}")
    return value % 2**64


def seed_key(seed: SupportsIndex) -> jax.Array:
    """The key of a seed (see :func:`seed_value`): the 64-bit value ``s`` becomes the threefry
    key with words ``(s >> 32, s & 0xFFFFFFFF)``; for 0 <= seed < 2**31 that is
    ``jax.random.key(seed)``.
    """
    value = seed_value(seed)
    data = np.array([value >> 32, value & 0xFFFFFFFF], np.uint32)
    # jax annotates key_bits_array as jax.Array, but takes any array of key data
    key: jax.Array = jax.random.wrap_key_data(data, impl="threefry2x32")  # type: ignore[arg-type]
    return key


@public("jaxinit")
class Generator:
    """The ``torch.Generator`` analogue: a seeded, stateful source of fresh JAX keys.

    Each :meth:`next_key` returns ``fold_in(key(seed), n)`` for n = 0, 1, 2, ...; so the
    sequence is reproducible from the seed, and two generators with the same seed agree.
    Seeds follow torch: any integer in [-2**63, 2**64 - 1], a negative seed standing for
    ``seed + 2**64``; see :func:`seed_key` for the key a seed gives. Handing out a key is
    atomic: threads sharing a generator never get the same key twice. Meant for eager code
    (notebooks, the ``jaxinit.inplace`` shim); inside a JAX transformation pass keys
    explicitly, as JAX code does.

    >>> import jax, jaxinit
    >>> a, b = jaxinit.Generator(42), jaxinit.Generator(42)
    >>> bool((jax.random.key_data(a.next_key()) == jax.random.key_data(b.next_key())).all())
    True
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> Generator:
        """Reset to ``seed``; returns the generator, as torch does."""
        value = seed_value(seed)
        with self._lock:
            self._seed = value
            # made on first use: importing jaxinit must not start JAX's backend
            self._key: jax.Array | None = None
            self._count = 0
        return self

    def initial_seed(self) -> int:
        """The seed, as a 64-bit unsigned integer (torch's ``initial_seed``)."""
        return self._seed

    def next_key(self) -> jax.Array:
        """A fresh key; advances the generator."""
        if checks.tracing():
            raise RuntimeError(
                "a jaxinit.Generator hands out keys only outside JAX transformations "
                "(its state would be frozen into the traced program); pass an "
                "explicit key, e.g. generator=jax.random.key(0)"
            )
        with self._lock:  # one count per key, even when threads share the generator
            if self._key is None:
                self._key = seed_key(self._seed)
            key, count = self._key, self._count
            self._count += 1
        return jax.random.fold_in(key, count)

    def __getstate__(self) -> dict[str, int]:
        return {"seed": self._seed, "count": self._count}

    def __setstate__(self, state: dict[str, int]) -> None:
        type(self).__init__(self, state["seed"])
        self._count = state["count"]

    def __repr__(self) -> str:
        return f"Generator(seed={self._seed}, draws={self._count})"


default_generator: Generator = Generator(0)


@public("jaxinit.inplace")
def manual_seed(seed: int) -> Generator:
    """Seed the default generator that ``jaxinit.inplace`` uses when no generator is given."""
    return default_generator.manual_seed(seed)


def resolve_key(generator: Any) -> jax.Array | np.ndarray[Any, Any]:
    """A key from ``generator``: a JAX key, a :class:`Generator`, an ``nnx.Rngs``, or ``None``
    (the default generator). Raw key data given as a NumPy array is returned as it is."""
    if generator is None:
        if checks.tracing():
            raise RuntimeError(
                "inside a JAX transformation (jit/vmap/grad) a key must be given "
                "explicitly: pass generator=key; the default generator would bake "
                "one fixed key into the compiled program"
            )
        return default_generator.next_key()
    if isinstance(generator, (Generator, jax.Array, np.ndarray)) or checks._is_nnx_rngs(generator):
        return key_of(generator, "generator")  # tracers are jax.Arrays
    raise TypeError(f"`generator` must be a JAX key, a jaxinit.Generator or an nnx.Rngs, got {generator!r}")


class MissingStream(ValueError, TypeError):
    """An ``nnx.Rngs`` without a ``params`` or ``default`` stream: a ``ValueError`` (and, as
    ``reset_parameters`` raised before the key sources were one, a ``TypeError``)."""


def key_of(source: Any, name: str = "key") -> jax.Array:
    """The one key resolver of jaxinit: a JAX key (typed, or raw ``uint32`` key data) as it is;
    a :class:`Generator`'s next key; an ``nnx.Rngs``'s ``params`` stream, else its ``default``
    stream (:class:`MissingStream` without either); an ``nnx.RngStream``'s next key. Anything
    else is a ``TypeError`` naming the argument ``name``."""
    if isinstance(source, Generator):
        return source.next_key()
    if checks._is_nnx_rngs(source):
        return _nnx_key(source, name)
    checks.key(source, name)
    key: jax.Array = source
    return key


def _nnx_key(rngs: Any, name: str) -> jax.Array:
    """A key from an ``nnx.Rngs`` (its ``params`` stream, else ``default``) or an ``RngStream``."""
    key: jax.Array
    if type(rngs).__name__ == "RngStream":
        key = rngs()
        return key
    for stream in ("params", "default"):
        try:
            key = getattr(rngs, stream)()
            return key
        except AttributeError:
            continue
    streams = sorted(name for name, _ in vars(rngs).items() if not name.startswith("_"))
    raise MissingStream(
        f"`{name}` is an nnx.Rngs without a 'params' or 'default' stream (it has "
        f"{streams}); pass nnx.Rngs(params=seed), or one of its streams, e.g. "
        f"rngs.{streams[0] if streams else 'dropout'}"
    )
