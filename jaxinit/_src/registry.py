"""Initializers by name, for training configs: ``get("kaiming_uniform", nonlinearity="relu")``."""

from __future__ import annotations

from typing import Any, Callable

import jaxinit._src.initializers as factories
from jaxinit._src.core import Initializer

FACTORIES: dict[str, Callable[..., Initializer]] = {
    name: getattr(factories, name) for name in (
        "constant", "ones", "zeros", "uniform", "triangular", "normal", "trunc_normal", "variance_scaling",
        "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "lecun_uniform",
        "lecun_normal", "eye", "dirac", "orthogonal", "delta_orthogonal", "sparse")
}
ALIASES = {"glorot_uniform": "xavier_uniform", "glorot_normal": "xavier_normal",
           "he_uniform": "kaiming_uniform", "he_normal": "kaiming_normal",
           "truncated_normal": "trunc_normal"}


def get(identifier: Any, **kwargs: Any) -> Initializer:
    """Build an initializer from a name (with keywords), a config dict, or return it as is.

    Names are the factory names, their aliases (``glorot_*`` = ``xavier_*``, ``he_*`` =
    ``kaiming_*``, ``truncated_normal`` = ``trunc_normal``) and the torch spellings with a
    trailing underscore. ``get(init.to_config()) == init``.

    >>> import jaxinit
    >>> jaxinit.get("he_uniform", nonlinearity="relu")
    kaiming_uniform(a=0.0, mode='fan_in', nonlinearity='relu')
    >>> jaxinit.get({"name": "xavier_normal", "gain": 2.0, "layout": "torch"})
    xavier_normal(gain=2.0, layout='torch')
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
    return FACTORIES[name](**kwargs)
