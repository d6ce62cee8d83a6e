"""Public objects report the module users import them from (``jaxinit.Initializer``, not
``jaxinit._src.initializer.Initializer``): in reprs, help(), tracebacks, docs and pickles."""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def shared_doc(text: str) -> Callable[[T], T]:
    """A decorator that appends ``text``, a paragraph several public objects share, to the
    object's docstring."""

    def wrap(obj: T) -> T:
        obj.__doc__ = (obj.__doc__ or "").rstrip() + "\n" + text
        return obj

    return wrap


def public(module: str) -> Callable[[T], T]:
    """A decorator that sets ``__module__`` to ``module``, where the object is re-exported.

    A class keeps working with the tools that look names up in ``__module__``: its postponed
    (string) annotations are evaluated now, in the module that defines it, so that
    ``typing.get_type_hints`` does not look for them in ``module``; and it is listed in its
    defining module's ``__test__``, so that doctest still collects its methods' examples there.
    """

    def wrap(obj: T) -> T:
        home = sys.modules[getattr(obj, "__module__")]
        if isinstance(obj, type):
            own = vars(obj).get("__annotations__")
            if own:  # strings, or ForwardRefs (NamedTuple): evaluated here, while they resolve
                hints = typing.get_type_hints(obj, include_extras=True)
                obj.__annotations__ = {name: hints[name] for name in own}
                new = getattr(obj, "__new__")  # a NamedTuple's generated constructor
                if isinstance(new, types.FunctionType) and issubclass(obj, tuple):
                    new.__annotations__ = {k: hints.get(k, v) for k, v in new.__annotations__.items()}
            tests: dict[str, Any] = home.__dict__.setdefault("__test__", {})
            tests[obj.__qualname__] = obj
        setattr(obj, "__module__", module)
        return obj

    return wrap
