"""Initializers by name, for training configs: ``get("kaiming_uniform", nonlinearity="relu")``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jaxinit._src import factories, jax_nn
from jaxinit._src.export import public
from jaxinit._src.initializer import Initializer

# Derived from the factories themselves: every top-level factory registers itself by name
# (initializers.factory), and jax.nn.initializers' names come under a "jax_nn." prefix
# (zeros and ones are initializers there, not factories).
FACTORIES: dict[str, Callable[..., Initializer] | Initializer] = {
    **factories.FACTORIES,
    **{jax_nn.PREFIX + name: value for name, value in jax_nn.FACTORIES.items()},
}
# Names only JAX and Keras use mean jax's law, as the top-level names do.
ALIASES = {
    name: jax_nn.PREFIX + name
    for name in ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "truncated_normal")
}


@public("jaxinit")
def get(identifier: str | dict[str, Any] | Initializer, **kwargs: Any) -> Initializer:
    """Build an initializer from a name (with keywords), a config dict, or return it as is.

    Names are those of the top-level factories, with the same meaning: torch's names
    (``xavier_*``, ``kaiming_*``, ``trunc_normal``, ...) give torch's laws, also spelt with
    torch's trailing underscore; ``glorot_*``, ``he_*`` and ``truncated_normal``, names only
    JAX and Keras use, give jax's. Every ``jax.nn.initializers`` name is available with a
    ``"jax_nn."`` prefix and builds the :mod:`jaxinit.jax_nn` initializer, with jax's
    keywords (``"jax_nn.zeros"`` and ``"jax_nn.ones"`` are initializers already and take
    none). ``get(init.to_config()) == init``.

    >>> import jaxinit
    >>> jaxinit.get("kaiming_uniform", nonlinearity="relu")
    kaiming_uniform(a=0.0, mode='fan_in', nonlinearity='relu')
    >>> jaxinit.get({"name": "xavier_normal", "gain": 2.0, "layout": "torch"})
    xavier_normal(gain=2.0, layout='torch')
    >>> jaxinit.get("jax_nn.normal", stddev=0.02)
    jax_nn.normal(stddev=0.02)
    >>> jaxinit.get("he_normal", batch_axis=0)
    jax_nn.he_normal(batch_axis=0)
    """
    if isinstance(identifier, Initializer):
        if kwargs:
            raise TypeError("keywords are only used with a name, not with an initializer object")
        return identifier
    if isinstance(identifier, dict):
        if kwargs:
            raise TypeError("pass keywords inside the config dict, not beside it")
        config = dict(identifier)
        if "name" not in config:
            raise ValueError(f"an initializer config needs a 'name' key, got keys {sorted(config)}")
        identifier, kwargs = config.pop("name"), config
    if not isinstance(identifier, str):
        raise TypeError(f"`identifier` must be a name, a config dict or an Initializer, got {identifier!r}")
    name = identifier.removesuffix("_") if identifier.endswith("_") else identifier
    name = ALIASES.get(name, name)
    if name not in FACTORIES:
        valid = ", ".join(sorted(FACTORIES) + sorted(ALIASES))
        raise ValueError(f"unknown initializer {identifier!r}; valid names: {valid}")
    factory = FACTORIES[name]
    if isinstance(factory, Initializer):
        if kwargs:
            raise TypeError(
                f"{identifier!r} is an initializer, not a factory: it takes no keywords, got {sorted(kwargs)}"
            )
        return factory
    return factory(**kwargs)
