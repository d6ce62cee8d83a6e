"""Public objects report the module users import them from (``jaxinit.Initializer``, not
``jaxinit._src.initializer.Initializer``): in reprs, help(), tracebacks, docs and pickles."""

from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")


def public(module: str) -> Callable[[T], T]:
    """A decorator that sets ``__module__`` to ``module``, where the object is re-exported."""
    def wrap(obj: T) -> T:
        obj.__module__ = module
        return obj
    return wrap
