"""The trailing-underscore API of the documents, generated from the factories.

Every shim is ``name_(tensor, <the factory's positional parameters>, generator, *,
<its keywords>)``: torch's positional order (the factories follow it), the factory's defaults,
and the factory's docstring (its formula) in ``help()``. Nothing is restated by hand.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import jax
import numpy as np

from jaxinit._src import checks, factories
from jaxinit._src.generator import resolve_key
from jaxinit._src.initializer import Initializer
from jaxinit._src.laws import Constant
from jaxinit._src.representable import constant_value

T = TypeVar("T")


def _nnx_variable_type() -> type[Any] | None:
    try:
        from flax import nnx
    except ImportError:  # flax is optional
        return None
    return nnx.Variable


def fill(tensor: Any, init: Initializer, generator: Any = None) -> Any:
    """Draw ``init`` for ``tensor``'s shape and dtype; write it back where the tensor is mutable.

    * ``jax.Array``: returns a new array (JAX arrays are immutable);
    * ``numpy.ndarray``: fills it in place and returns it;
    * ``flax.nnx.Variable`` / ``Param``: sets its value and returns the variable.
    """
    variable_type = _nnx_variable_type()
    if variable_type is not None and isinstance(tensor, variable_type):
        if hasattr(tensor, "get_value"):  # flax >= 0.12 deprecates `.value`
            tensor.set_value(fill(tensor.get_value(), init, generator))
        else:
            tensor.value = fill(tensor.value, init, generator)
        return tensor
    if isinstance(tensor, np.ndarray):
        tensor[...] = _numpy_values(tensor, init, generator)
        return tensor
    if not isinstance(tensor, jax.Array) and not checks.is_tracer(tensor):
        raise TypeError(
            f"`tensor` must be a jax.Array, a numpy.ndarray or an nnx.Variable, got {type(tensor).__name__}"
        )
    return _draw(tensor.shape, tensor.dtype, init, generator)


def _numpy_values(tensor: np.ndarray, init: Initializer, generator: Any) -> Any:
    """The values for a NumPy array, exact in its own dtype.

    JAX holds 64-bit values only with ``jax_enable_x64``. Without it, a float64/int64 array
    gets its deterministic fill computed in NumPy (``constant_(x, 0.1)`` is the float64 0.1),
    and a random draw in float32, cast: a law float32 cannot honour is an error, not a
    silent rounding.
    """
    dtype = tensor.dtype
    canonical = jax.dtypes.canonicalize_dtype(dtype)
    if canonical == dtype:
        return np.asarray(_draw(tensor.shape, dtype, init, generator))
    if not init.random:
        law = init.distribution(tensor.shape)
        if isinstance(law, Constant):
            return constant_value(law.value, dtype)
        return np.asarray(_draw(tensor.shape, canonical, init, generator)).astype(dtype)  # 0s and 1s
    try:
        return np.asarray(_draw(tensor.shape, canonical, init, generator)).astype(dtype)
    except ValueError as error:
        raise ValueError(
            f"{error} (this {dtype.name} NumPy array is drawn in {canonical.name}: "
            f"jax_enable_x64 is off; turn it on to draw in {dtype.name})"
        ) from None


def _draw(shape: tuple[int, ...], dtype: Any, init: Initializer, generator: Any) -> jax.Array:
    key = resolve_key(generator) if init.random else jax.random.key(0)
    return init(key, shape, dtype)


_FILL_DOC = """
    ``tensor`` may be a ``jax.Array`` (a new array is returned: JAX arrays cannot change),
    a ``numpy.ndarray`` or a ``flax.nnx.Variable`` (both are also updated in place and
    returned). Without ``jax_enable_x64`` a float64 NumPy array gets exact deterministic fills
    and a float32 random draw (an error where float32 cannot honour the law). ``generator`` is a JAX key, a :class:`jaxinit.Generator`, an ``nnx.Rngs``, or
    ``None`` for the default generator (see :func:`manual_seed`; not allowed inside ``jit``).
"""
_LAYOUT_RULE = """
    The layout follows the array: torch's ``(out, in, *spatial)`` for NumPy and JAX arrays,
    Flax's ``(*spatial, in, out)`` for an ``nnx.Variable``; an explicit ``layout``, ``in_axis``
    or ``out_axis`` wins.
"""


def _law_text(factory: Callable[..., Initializer]) -> str:
    """The factory's docstring up to its examples: the summary and the formula."""
    text = (factory.__doc__ or "").split(">>>", 1)[0].rstrip()
    return re.sub(r"\n    Keywords shared by.*", "", text, flags=re.S).rstrip()


def default_layout(tensor: Any) -> str | None:
    """The layout a shim uses when given none: Flax's for an ``nnx.Variable`` (it holds a Flax
    kernel), torch's for anything else (this is torch's API)."""
    variable_type = _nnx_variable_type()
    return None if variable_type is not None and isinstance(tensor, variable_type) else "torch"


class Fill(Protocol):
    """A shim: fills ``tensor`` (see :func:`fill`) and returns it, or the new array."""

    def __call__(self, tensor: T, /, *args: Any, **kwargs: Any) -> T: ...


_AXES = ("layout", "in_axis", "out_axis")
_P = inspect.Parameter


def shim(factory: Callable[..., Initializer], *, generator: bool) -> Fill:
    """The in-place form of ``factory``: ``tensor``, the factory's positional parameters,
    ``generator`` (for random laws, as torch places it), then the factory's keywords but
    ``dtype`` (the tensor's dtype is used). When the factory takes axes and none are given,
    the layout follows the tensor (:func:`default_layout`)."""
    params = list(inspect.signature(factory, eval_str=True).parameters.values())
    positional = [p for p in params if p.kind is _P.POSITIONAL_OR_KEYWORD]
    keywords = [p for p in params if p.kind is _P.KEYWORD_ONLY and p.name != "dtype"]
    takes_generator = [_P("generator", _P.POSITIONAL_OR_KEYWORD, default=None)] if generator else []
    signature = inspect.Signature(
        [_P("tensor", _P.POSITIONAL_OR_KEYWORD), *positional, *takes_generator, *keywords]
    )
    follows_the_array = "layout" in signature.parameters

    def fill_with_law(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:  # name the function, as Python does for a plain def
            raise TypeError(f"{name}() {error}") from None
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        tensor, key = arguments.pop("tensor"), arguments.pop("generator", None)
        if follows_the_array and all(arguments[k] is None for k in _AXES):
            arguments["layout"] = default_layout(tensor)
        return fill(tensor, factory(**arguments), key)

    name = factory.__name__ + "_"
    fill_with_law.__name__ = fill_with_law.__qualname__ = name
    fill_with_law.__module__ = "jaxinit.inplace"
    fill_with_law.__signature__ = signature  # type: ignore[attr-defined]  # what help() shows
    rule = _LAYOUT_RULE if follows_the_array else ""
    fill_with_law.__doc__ = (
        f"In-place form of :func:`jaxinit.{factory.__name__}`: {_law_text(factory)}\n{_FILL_DOC}{rule}"
    )
    return fill_with_law


uniform_: Fill = shim(factories.uniform, generator=True)
normal_: Fill = shim(factories.normal, generator=True)
trunc_normal_: Fill = shim(factories.trunc_normal, generator=True)
constant_: Fill = shim(factories.constant, generator=False)
ones_: Fill = shim(factories.ones, generator=False)
zeros_: Fill = shim(factories.zeros, generator=False)
eye_: Fill = shim(factories.eye, generator=False)
dirac_: Fill = shim(factories.dirac, generator=False)
xavier_uniform_: Fill = shim(factories.xavier_uniform, generator=True)
xavier_normal_: Fill = shim(factories.xavier_normal, generator=True)
kaiming_uniform_: Fill = shim(factories.kaiming_uniform, generator=True)
kaiming_normal_: Fill = shim(factories.kaiming_normal, generator=True)
lecun_uniform_: Fill = shim(factories.lecun_uniform, generator=True)
lecun_normal_: Fill = shim(factories.lecun_normal, generator=True)
orthogonal_: Fill = shim(factories.orthogonal, generator=True)
sparse_: Fill = shim(factories.sparse, generator=True)
