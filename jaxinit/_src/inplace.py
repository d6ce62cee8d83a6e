"""The trailing-underscore API of the documents, as thin adapters over the factories."""

from __future__ import annotations

import functools
import re
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import jaxinit._src.initializers as factories
from jaxinit._src.core import SPECS, Initializer, constant_value
from jaxinit._src.generator import resolve_key


def _nnx_variable_type():
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
    if not isinstance(tensor, (jax.Array, jax.core.Tracer)):
        raise TypeError(f"`tensor` must be a jax.Array, a numpy.ndarray or an nnx.Variable, "
                        f"got {type(tensor).__name__}")
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
    if not SPECS[init.name].random:
        law = init.distribution(tensor.shape)
        if law.family == "constant":
            return constant_value(law.value, dtype)
        return np.asarray(_draw(tensor.shape, canonical, init, generator)).astype(dtype)  # 0s and 1s
    try:
        return np.asarray(_draw(tensor.shape, canonical, init, generator)).astype(dtype)
    except ValueError as error:
        raise ValueError(f"{error} (this {dtype.name} NumPy array is drawn in {canonical.name}: "
                         f"jax_enable_x64 is off; turn it on to draw in {dtype.name})") from None


def _draw(shape: tuple, dtype: Any, init: Initializer, generator: Any) -> jax.Array:
    key = resolve_key(generator) if SPECS[init.name].random else jax.random.key(0)
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


def _law_text(factory) -> str:
    """The factory's docstring up to its examples: the summary and the formula."""
    text = factory.__doc__.split(">>>", 1)[0].rstrip()
    return re.sub(r"\n    Keywords shared by.*", "", text, flags=re.S).rstrip()


def _doc(factory):
    def wrap(fn):
        rule = _LAYOUT_RULE if "layout" in fn.__code__.co_varnames else ""
        fn.__doc__ = (f"In-place form of :func:`jaxinit.{factory.__name__}`: "
                      f"{_law_text(factory)}\n{_FILL_DOC}{rule}")
        return fn
    return wrap


def default_layout(tensor: Any) -> str | None:
    """The layout a shim uses when given none: Flax's for an ``nnx.Variable`` (it holds a Flax
    kernel), torch's for anything else (this is torch's API)."""
    variable_type = _nnx_variable_type()
    return None if variable_type is not None and isinstance(tensor, variable_type) else "torch"


def _follows_the_array(fn):
    """Fill in the default layout from the tensor when no axes were given."""
    @functools.wraps(fn)
    def shim(tensor, *args, **kwargs):
        if all(kwargs.get(k) is None for k in ("layout", "in_axis", "out_axis")):
            kwargs["layout"] = default_layout(tensor)
        return fn(tensor, *args, **kwargs)
    return shim


@_doc(factories.uniform)
def uniform_(tensor, a=0.0, b=1.0, generator=None):
    return fill(tensor, factories.uniform(a, b), generator)


@_doc(factories.normal)
def normal_(tensor, mean=0.0, std=1.0, generator=None):
    return fill(tensor, factories.normal(mean, std), generator)


@_doc(factories.trunc_normal)
def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    return fill(tensor, factories.trunc_normal(mean, std, a, b), generator)


@_doc(factories.constant)
def constant_(tensor, val):
    return fill(tensor, factories.constant(val))


@_doc(factories.ones)
def ones_(tensor):
    return fill(tensor, factories.ones())


@_doc(factories.zeros)
def zeros_(tensor):
    return fill(tensor, factories.zeros())


@_doc(factories.eye)
def eye_(tensor):
    return fill(tensor, factories.eye())


@_follows_the_array
@_doc(factories.dirac)
def dirac_(tensor, groups=1, *, layout=None, in_axis=None, out_axis=None, batch_axis=()):
    return fill(tensor, factories.dirac(groups, layout=layout, in_axis=in_axis, out_axis=out_axis,
                                        batch_axis=batch_axis))


@_follows_the_array
@_doc(factories.xavier_uniform)
def xavier_uniform_(tensor, gain=1.0, generator=None, *, layout=None, in_axis=None, out_axis=None,
                    batch_axis=()):
    return fill(tensor, factories.xavier_uniform(gain, layout=layout, in_axis=in_axis,
                                                 out_axis=out_axis, batch_axis=batch_axis), generator)


@_follows_the_array
@_doc(factories.xavier_normal)
def xavier_normal_(tensor, gain=1.0, generator=None, *, layout=None, in_axis=None, out_axis=None,
                   batch_axis=()):
    return fill(tensor, factories.xavier_normal(gain, layout=layout, in_axis=in_axis,
                                                out_axis=out_axis, batch_axis=batch_axis), generator)


@_follows_the_array
@_doc(factories.kaiming_uniform)
def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None, *,
                     layout=None, in_axis=None, out_axis=None, batch_axis=()):
    return fill(tensor, factories.kaiming_uniform(a, mode, nonlinearity, layout=layout, in_axis=in_axis,
                                                  out_axis=out_axis, batch_axis=batch_axis), generator)


@_follows_the_array
@_doc(factories.kaiming_normal)
def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None, *,
                    layout=None, in_axis=None, out_axis=None, batch_axis=()):
    return fill(tensor, factories.kaiming_normal(a, mode, nonlinearity, layout=layout, in_axis=in_axis,
                                                 out_axis=out_axis, batch_axis=batch_axis), generator)


@_follows_the_array
@_doc(factories.lecun_uniform)
def lecun_uniform_(tensor, *, generator=None, layout=None, in_axis=None, out_axis=None, batch_axis=()):
    return fill(tensor, factories.lecun_uniform(layout=layout, in_axis=in_axis, out_axis=out_axis,
                                                batch_axis=batch_axis), generator)


@_follows_the_array
@_doc(factories.lecun_normal)
def lecun_normal_(tensor, *, generator=None, layout=None, in_axis=None, out_axis=None, batch_axis=()):
    return fill(tensor, factories.lecun_normal(layout=layout, in_axis=in_axis, out_axis=out_axis,
                                               batch_axis=batch_axis), generator)


@_follows_the_array
@_doc(factories.orthogonal)
def orthogonal_(tensor, gain=1.0, generator=None, *, layout=None, in_axis=None, out_axis=None,
                batch_axis=()):
    return fill(tensor, factories.orthogonal(gain, layout=layout, in_axis=in_axis, out_axis=out_axis,
                                             batch_axis=batch_axis), generator)


@_follows_the_array
@_doc(factories.sparse)
def sparse_(tensor, sparsity, std=0.01, generator=None, *, layout=None, in_axis=None, out_axis=None,
            batch_axis=()):
    return fill(tensor, factories.sparse(sparsity, std, layout=layout, in_axis=in_axis,
                                         out_axis=out_axis, batch_axis=batch_axis), generator)
