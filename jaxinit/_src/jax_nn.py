"""``jax.nn.initializers``, name for name, on jaxinit's engine.

Every public name of ``jax.nn.initializers`` is here with jax's signature, defaults and kind
of object (``zeros`` and ``ones`` are initializers, the rest are factories), and with jax's
law: truncated normals where jax truncates, ``normal(stddev=1e-2)``, ``uniform(scale)`` =
U(0, scale), fans computed as jax computes them. What you get back is a jaxinit
:class:`~jaxinit.Initializer`: a value with ``distribution()``, a config and a repr, sampled
without temporaries and identically under any sharding. The values are not jax.random's bits
(jaxinit draws from its own counter-based stream); the laws are the same.

>>> import jax
>>> from jaxinit import jax_nn as initializers
>>> initializers.he_normal().distribution((512, 512))  # doctest: +ELLIPSIS
TruncatedNormal(mean=0.0, std=0.0710..., low=-0.1421..., high=0.1421...)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from jax.nn.initializers import Initializer

from jaxinit._src import checks, factories
from jaxinit._src.export import public, shared_doc
from jaxinit._src.fans import FAN_MODES, FanAxes
from jaxinit._src.initializer import Hyper, Initializer as _JaxinitInitializer, Recipe
from jaxinit._src.laws import Distribution, Normal, Orthogonal, TruncatedNormal, Uniform
from jaxinit.typing import Axes, DistributionName, DTypeLike, FanMode, RealLike, Shape

F = TypeVar("F", bound=Callable[..., Any])


#: Every name of jax.nn.initializers, by that name: jax_nn's entries (``"jax_nn." + name``)
#: of the registry behind :func:`jaxinit.get`. Filled by :func:`_factory`, as
#: ``factories.FACTORIES`` is by ``factories.factory``; jax's aliases and its two
#: initializers (not factories) are added at the end.
FACTORIES: dict[str, Callable[..., _JaxinitInitializer] | _JaxinitInitializer] = {}


def _factory(fn: F) -> F:
    """A jax_nn factory: exported as ``jaxinit.jax_nn.<name>`` and registered under its name."""
    FACTORIES[fn.__name__] = public("jaxinit.jax_nn")(fn)
    return fn


__all__ = [
    "Initializer",
    "constant",
    "delta_orthogonal",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "orthogonal",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

PREFIX = "jax_nn."  # the names of jax_nn's initializers in configs and reprs

_DTYPE_DOC = """
    ``dtype`` is the default dtype of the result (``None``: JAX's default float dtype); a
    dtype passed to the call wins.
"""
_AXES_DOC = """
    ``in_axis``, ``out_axis`` and ``batch_axis`` are axes or sequences of axes, as in jax:
    the receptive field is the shape's size divided by the sizes of the three groups (see
    :func:`variance_scaling`). There is no ``layout`` keyword: jax's signature is kept exactly.
    ``dtype`` is the default dtype of the result (``None``: JAX's default float dtype).
"""


# -- the initializers themselves ----------------------------------------------------------

# jax's zeros and ones are initializers, not factories: so are these (``zeros()`` of jaxinit)
zeros: _JaxinitInitializer = factories.zeros()
ones: _JaxinitInitializer = factories.ones()


@_factory
@shared_doc(_DTYPE_DOC)
def constant(value: Any, dtype: DTypeLike = None) -> _JaxinitInitializer:
    """Fill with ``value``, a scalar or an array that broadcasts to the shape.

    This is :func:`jaxinit.constant` (a value the dtype cannot hold exactly is an error).

    >>> import jax
    >>> from jaxinit import jax_nn
    >>> jax_nn.constant(-7)(jax.random.key(0), (2, 3))
    Array([[-7., -7., -7.],
           [-7., -7., -7.]], dtype=float32)
    """
    return factories.constant(value, dtype=dtype)


# -- plain random laws ---------------------------------------------------------------------


def _uniform_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    return Uniform(low=0.0, high=h["scale"])


_UNIFORM = Recipe(PREFIX + "uniform", _uniform_law)


@_factory
@shared_doc(_DTYPE_DOC)
def uniform(scale: RealLike = 1e-2, dtype: DTypeLike = None) -> _JaxinitInitializer:
    r"""Values from :math:`\mathcal{U}(0, \text{scale})` (jax's default scale is 0.01).

    >>> from jaxinit import jax_nn
    >>> jax_nn.uniform(10.0).distribution((2, 3))
    Uniform(low=0.0, high=10.0)
    """
    return _JaxinitInitializer(_UNIFORM, {"scale": checks.positive("scale", scale)}, dtype)


def _normal_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    return Normal(mean=0.0, std=h["stddev"])


_NORMAL = Recipe(PREFIX + "normal", _normal_law)


@_factory
@shared_doc(_DTYPE_DOC)
def normal(stddev: RealLike = 1e-2, dtype: DTypeLike = None) -> _JaxinitInitializer:
    r"""Values from :math:`\mathcal{N}(0, \text{stddev}^2)` (jax's default stddev is 0.01).

    >>> from jaxinit import jax_nn
    >>> jax_nn.normal().distribution((2, 3))
    Normal(mean=0.0, std=0.01)
    """
    return _JaxinitInitializer(_NORMAL, {"stddev": checks.nonnegative("stddev", stddev)}, dtype)


def _truncated_normal_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    std = h["stddev"]
    return TruncatedNormal(mean=0.0, std=std, low=h["lower"] * std, high=h["upper"] * std)


_TRUNCATED_NORMAL = Recipe(PREFIX + "truncated_normal", _truncated_normal_law)


@_factory
@shared_doc(_DTYPE_DOC)
def truncated_normal(
    stddev: RealLike = 1e-2, dtype: DTypeLike = None, lower: RealLike = -2.0, upper: RealLike = 2.0
) -> _JaxinitInitializer:
    r"""A normal :math:`\mathcal{N}(0, \text{stddev}^2)` conditioned on
    :math:`[\text{lower} \cdot \text{stddev}, \text{upper} \cdot \text{stddev}]`.

    ``stddev`` is the std of the normal *before* truncation (the values' std is smaller:
    0.88 stddev for the default bounds), and the bounds are in units of ``stddev``, as in
    jax. Note that ``dtype`` is the second positional parameter, as in jax.
    :func:`jaxinit.trunc_normal` is torch's form, with absolute bounds and a mean.

    >>> from jaxinit import jax_nn
    >>> jax_nn.truncated_normal(0.02).distribution((768, 3072))
    TruncatedNormal(mean=0.0, std=0.02, low=-0.04, high=0.04)
    """
    stddev = checks.positive("stddev", stddev)
    lower, upper = checks.real("lower", lower), checks.real("upper", upper)
    checks.ordered("lower", lower, "upper", upper)
    return _JaxinitInitializer(_TRUNCATED_NORMAL, {"stddev": stddev, "lower": lower, "upper": upper}, dtype)


# -- variance scaling and its named cases --------------------------------------------------

_VARIANCE_SCALING = Recipe(PREFIX + "variance_scaling", factories.variance_scaling_law, fan_based=True)


def _axes(in_axis: Axes, out_axis: Axes, batch_axis: Axes) -> FanAxes:
    return FanAxes.make(None, in_axis, out_axis, batch_axis, overlapping=True)


@_factory
def variance_scaling(
    scale: RealLike,
    mode: FanMode,
    distribution: DistributionName,
    in_axis: Axes = -2,
    out_axis: Axes = -1,
    batch_axis: Axes = (),
    dtype: DTypeLike = None,
) -> _JaxinitInitializer:
    r"""The law of ``jax.nn.initializers.variance_scaling``, with jax's signature.

    With :math:`n` the fan selected by ``mode`` (``fan_in``, ``fan_out``, ``fan_avg`` =
    (in + out) / 2, ``fan_geo_avg`` = :math:`\sqrt{\text{in} \cdot \text{out}}`):

    * ``normal``: :math:`\mathcal{N}(0, \text{scale}/n)`;
    * ``uniform``: :math:`\mathcal{U}(-\sqrt{3\,\text{scale}/n}, \sqrt{3\,\text{scale}/n})`;
    * ``truncated_normal``: a normal cut at :math:`\pm 2\sigma`, with
      :math:`\sigma = \sqrt{\text{scale}/n} / 0.8796...` so that the std *after*
      truncation is :math:`\sqrt{\text{scale}/n}`.

    The fans are jax's: with :math:`I, O, B` the products of the sizes on ``in_axis``,
    ``out_axis`` and ``batch_axis`` (each an axis or a sequence of axes),

    .. math::
       R = \frac{\prod_k d_k}{I \, O \, B}, \quad \text{fan\_in} = I R, \quad
       \text{fan\_out} = O R

    so the groups may overlap (Flax's embedding init, ``variance_scaling(1.0, "fan_in",
    "normal", out_axis=0)`` on a ``(vocab, features)`` table, is
    :math:`\mathcal{N}(0, 1/\text{features})`) and 0-D and 1-D shapes work with explicit axes.
    Complex dtypes are not supported (``TypeError``).

    >>> from jaxinit import jax_nn
    >>> jax_nn.variance_scaling(1.0, "fan_in", "normal", out_axis=0).distribution((1000, 4))
    Normal(mean=0.0, std=0.5)
    >>> jax_nn.variance_scaling(1.0, "fan_in", "normal", in_axis=[0], out_axis=[]).distribution((4,))
    Normal(mean=0.0, std=0.5)
    """
    scale = checks.positive("scale", scale)
    checks.choice("mode", mode, FAN_MODES)
    checks.choice("distribution", distribution, factories.DISTRIBUTIONS)
    return _JaxinitInitializer(
        _VARIANCE_SCALING,
        {"scale": scale, "mode": mode, "distribution": distribution},
        dtype,
        _axes(in_axis, out_axis, batch_axis),
    )


def _case_law(case: Hyper, h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    return factories.variance_scaling_law(case, shape, axes)


class NamedCase(Protocol):
    """A named case of :func:`variance_scaling` (``glorot_uniform`` ...), with jax's signature."""

    def __call__(
        self, in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (), dtype: DTypeLike = None
    ) -> _JaxinitInitializer: ...


def _named_case(
    name: str, scale: float, mode: FanMode, distribution: DistributionName, doc: str
) -> NamedCase:
    case = {"scale": scale, "mode": mode, "distribution": distribution}
    recipe = Recipe(PREFIX + name, functools.partial(_case_law, case), fan_based=True)

    def factory(
        in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (), dtype: DTypeLike = None
    ) -> _JaxinitInitializer:
        return _JaxinitInitializer(recipe, {}, dtype, _axes(in_axis, out_axis, batch_axis))

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = (
        doc.rstrip()
        + f"""

    This is ``variance_scaling({scale}, "{mode}", "{distribution}", in_axis, out_axis,
    batch_axis, dtype)``.
"""
        + _AXES_DOC
    )
    return _factory(factory)


glorot_uniform: NamedCase = _named_case(
    "glorot_uniform",
    1.0,
    "fan_avg",
    "uniform",
    r"""
    Glorot/Xavier uniform, as jax and Keras define it:
    :math:`\mathcal{U}(-a, a)` with :math:`a = \sqrt{6 / (\text{fan\_in} + \text{fan\_out})}`.

    >>> from jaxinit import jax_nn
    >>> jax_nn.glorot_uniform().distribution((2, 4))
    Uniform(low=-1.0, high=1.0)
    """,
)
glorot_normal: NamedCase = _named_case(
    "glorot_normal",
    1.0,
    "fan_avg",
    "truncated_normal",
    r"""
    Glorot/Xavier normal, as jax and Keras define it: a **truncated** normal cut at
    :math:`\pm 2\sigma` whose std after truncation is
    :math:`\sqrt{2 / (\text{fan\_in} + \text{fan\_out})}` (torch's ``xavier_normal_``, which is
    :func:`jaxinit.xavier_normal`, is a plain normal).

    >>> from jaxinit import jax_nn
    >>> law = jax_nn.glorot_normal().distribution((3, 5))
    >>> round(float(law.scipy().std()), 12)
    0.5
    """,
)
lecun_uniform: NamedCase = _named_case(
    "lecun_uniform",
    1.0,
    "fan_in",
    "uniform",
    r"""
    LeCun uniform: :math:`\mathcal{U}(-\sqrt{3/\text{fan\_in}}, \sqrt{3/\text{fan\_in}})`.

    >>> from jaxinit import jax_nn
    >>> jax_nn.lecun_uniform().distribution((12, 4))
    Uniform(low=-0.5, high=0.5)
    """,
)
lecun_normal: NamedCase = _named_case(
    "lecun_normal",
    1.0,
    "fan_in",
    "truncated_normal",
    r"""
    LeCun normal, as jax defines it: a **truncated** normal cut at :math:`\pm 2\sigma` whose
    std after truncation is :math:`\sqrt{1/\text{fan\_in}}` (flint's ``lecun_normal_``, which
    is :func:`jaxinit.lecun_normal`, is a plain normal).

    >>> from jaxinit import jax_nn
    >>> law = jax_nn.lecun_normal().distribution((4, 9))
    >>> round(float(law.scipy().std()), 12)
    0.5
    """,
)
he_uniform: NamedCase = _named_case(
    "he_uniform",
    2.0,
    "fan_in",
    "uniform",
    r"""
    He/Kaiming uniform, as jax and Keras define it:
    :math:`\mathcal{U}(-\sqrt{6/\text{fan\_in}}, \sqrt{6/\text{fan\_in}})`.

    >>> from jaxinit import jax_nn
    >>> jax_nn.he_uniform().distribution((24, 7))
    Uniform(low=-0.5, high=0.5)
    """,
)
he_normal: NamedCase = _named_case(
    "he_normal",
    2.0,
    "fan_in",
    "truncated_normal",
    r"""
    He/Kaiming normal, as jax and Keras define it: a **truncated** normal cut at
    :math:`\pm 2\sigma` whose std after truncation is :math:`\sqrt{2/\text{fan\_in}}`
    (torch's ``kaiming_normal_``, which is :func:`jaxinit.kaiming_normal`, is a plain normal).

    >>> import jax
    >>> from jaxinit import jax_nn
    >>> w = jax_nn.he_normal()(jax.random.key(0), (512, 512))
    >>> bool(abs(w).max() <= jax_nn.he_normal().distribution((512, 512)).high)
    True
    """,
)
# jax's aliases are the same functions
xavier_uniform: NamedCase = glorot_uniform
xavier_normal: NamedCase = glorot_normal
kaiming_uniform: NamedCase = he_uniform
kaiming_normal: NamedCase = he_normal


# -- orthogonal laws -----------------------------------------------------------------------


def _column_axes(h: Hyper) -> FanAxes:
    # jax's matrix is (everything else, column axis); jaxinit's orthogonal kernel takes the
    # output axes as the rows of (rows, everything else): its transpose, which is Haar too
    return FanAxes((), (h["column_axis"],), ())


def _orthogonal_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    if len(shape) < 2:
        raise ValueError(f"orthogonal needs at least 2 dimensions, got shape {shape}")
    if not -len(shape) <= h["column_axis"] < len(shape):
        raise ValueError(
            f"`column_axis` {h['column_axis']} is out of range for a {len(shape)}-dimensional shape {shape}"
        )
    return Orthogonal(gain=h["scale"])


_ORTHOGONAL = Recipe(PREFIX + "orthogonal", _orthogonal_law, axes_of=_column_axes)


@_factory
@shared_doc(_DTYPE_DOC)
def orthogonal(scale: RealLike = 1.0, column_axis: int = -1, dtype: DTypeLike = None) -> _JaxinitInitializer:
    r"""A Haar-random (semi-)orthogonal matrix times ``scale``, as jax draws it.

    The weight is seen as a matrix whose columns run along ``column_axis`` and whose rows
    run over every other axis (in order); that matrix has orthonormal columns if it is tall
    and orthonormal rows if it is wide. Computed in float32 (float64 for float64) and cast once.

    >>> import jax, jax.numpy as jnp
    >>> from jaxinit import jax_nn
    >>> w = jax_nn.orthogonal()(jax.random.key(0), (5, 3))
    >>> bool(jnp.allclose(w.T @ w, jnp.eye(3), atol=1e-5))
    True
    """
    return _JaxinitInitializer(
        _ORTHOGONAL,
        {"scale": checks.real("scale", scale), "column_axis": checks.integer("column_axis", column_axis)},
        dtype,
    )


def _jax_delta_orthogonal_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    return factories.delta_orthogonal_law({"gain": h["scale"]}, shape, axes)


_DELTA_ORTHOGONAL = Recipe(PREFIX + "delta_orthogonal", _jax_delta_orthogonal_law)


@_factory
@shared_doc(_DTYPE_DOC)
def delta_orthogonal(
    scale: RealLike = 1.0, column_axis: int = -1, dtype: DTypeLike = None
) -> _JaxinitInitializer:
    r"""Delta-orthogonal for 3-, 4- and 5-D kernels ``(*spatial, in, out)`` (Xiao et al.,
    2018): a Haar-random ``(in, out)`` matrix with orthonormal rows, times ``scale``, at
    index ``(k - 1) // 2`` of every spatial axis of size ``k``; zeros elsewhere. Needs
    ``in <= out``. ``column_axis`` (-2, -1, 0 or 1: an axis of the ``(in, out)`` matrix)
    does not change the law, as in jax; :func:`jaxinit.delta_orthogonal` is the same law
    with ``layout`` and axis keywords.

    >>> import jax
    >>> from jaxinit import jax_nn
    >>> k = jax_nn.delta_orthogonal()(jax.random.key(0), (4, 4, 3, 3))
    >>> [float(abs(k[i, j]).sum() > 0) for i, j in [(0, 0), (1, 1), (2, 2)]]
    [0.0, 1.0, 0.0]
    """
    column_axis = checks.integer("column_axis", column_axis)
    if not -2 <= column_axis < 2:
        raise ValueError(
            f"`column_axis` must be -2, -1, 0 or 1 (an axis of the (in, out) matrix), got {column_axis!r}"
        )
    return _JaxinitInitializer(
        _DELTA_ORTHOGONAL, {"scale": checks.real("scale", scale), "column_axis": column_axis}, dtype
    )


FACTORIES.update(
    xavier_uniform=xavier_uniform,
    xavier_normal=xavier_normal,
    kaiming_uniform=kaiming_uniform,
    kaiming_normal=kaiming_normal,
    zeros=zeros,
    ones=ones,
)
