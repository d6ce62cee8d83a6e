"""The public factories. Each validates its hyperparameters eagerly and holds a
:class:`Recipe` whose law function names the law it samples for a shape; the engine
(:mod:`jaxinit._src.engine`) samples every law."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, Literal, Protocol, TypeVar

import jax.numpy as jnp
import numpy as np

from jaxinit._src import checks
from jaxinit._src.export import public, shared_doc
from jaxinit._src.fans import (
    FAN_MODES,
    NONLINEARITIES,
    FanAxes,
    calculate_gain,
    fan_for_mode,
    leaky_relu_gain,
)
from jaxinit._src.initializer import Hyper, Initializer, Recipe
from jaxinit._src.laws import (
    Constant,
    DeltaOrthogonal,
    Dirac,
    Distribution,
    Eye,
    Normal,
    Orthogonal,
    Sparse,
    Triangular,
    TruncatedNormal,
    Uniform,
)
from jaxinit.typing import (
    Axes,
    DistributionName,
    DTypeLike,
    FanMode,
    Layout,
    Nonlinearity,
    RealLike,
    Shape,
)

F = TypeVar("F", bound=Callable[..., Initializer])
KaimingMode = Literal["fan_in", "fan_out"]

#: Every factory, by name: the registry behind :func:`jaxinit.get` (filled by :func:`factory`).
FACTORIES: dict[str, Callable[..., Initializer]] = {}


def factory(fn: F) -> F:
    """A public factory: exported as ``jaxinit.<name>`` and registered under its name."""
    FACTORIES[fn.__name__] = public("jaxinit")(fn)
    return fn


DISTRIBUTIONS = ("normal", "truncated_normal", "uniform")
# std of a standard normal truncated to [-2, 2]; variance_scaling divides by it (as jax does).
_TRUNCATED_STD = 0.87962566103423978


def _sqrt(x: Any) -> Any:
    return jnp.sqrt(x) if checks.is_tracer(x) else math.sqrt(x)


def _nonzero_fan(fan: float, mode: str, shape: Shape) -> float:
    if fan == 0:
        raise ValueError(f"{mode} is 0 for shape {shape}; the law's scale is undefined")
    return fan


DTYPE_DOC = """
    ``dtype`` (keyword) is the default dtype of the result (``None``: JAX's default float
    dtype); a dtype passed to the call wins.
"""
AXES_DOC = """
    Keywords shared by the factories that need to know which axes are which:

    * ``layout``: ``None``, ``"flax"`` or ``"jax"`` for JAX's layout (inputs on axis -2,
      outputs on axis -1, every other axis receptive field: Dense ``(in, out)``, Conv
      ``(*spatial, in, out)``); ``"torch"`` for ``(out, in, *spatial)`` (torch, Equinox).
    * ``in_axis``, ``out_axis``: an axis or a sequence of axes holding the inputs and the
      outputs (einsum and attention kernels); not together with ``layout``.
    * ``batch_axis``: axes left out of both fans, e.g. a leading group axis; structured
      initializers draw an independent matrix for every index of them.
    * ``dtype``: the default dtype of the result (``None``: JAX's default float dtype); a
      dtype passed to the call wins.
"""


# -- constant fills --------------------------------------------------------------------


def _constant_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    value = h["val"]
    if isinstance(value, tuple) or checks.is_tracer(value) and value.ndim:
        value_shape = np.shape(value) if checks.is_tracer(value) else np.asarray(value).shape
        try:
            fits = np.broadcast_shapes(value_shape, shape) == shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"`val` of shape {value_shape} does not broadcast to shape {shape}")
    return Constant(value=value)


_CONSTANT = Recipe("constant", _constant_law, random=False)


def _frozen(array: np.ndarray) -> Any:
    """An array as nested tuples of Python numbers: hashable, comparable, exact."""
    if array.ndim == 0:
        return array.item()
    return tuple(_frozen(a) for a in array)


def _constant_val(val: Any) -> Any:
    if checks.is_tracer(val) and val.ndim:
        if not (
            jnp.issubdtype(val.dtype, jnp.integer)
            or jnp.issubdtype(val.dtype, jnp.floating)
            or val.dtype == jnp.bool_
        ):
            raise TypeError(f"`val` must be real, got a traced {val.dtype}{list(val.shape)}")
        return val
    if checks.is_tracer(val) or isinstance(val, (str, bytes)):
        return checks.real("val", val)
    try:
        array = np.asarray(val)
    except (ValueError, TypeError):  # ragged nested lists
        raise TypeError(f"`val` must be a real number or an array of real numbers, got {val!r}") from None
    if array.ndim == 0:
        return checks.real("val", val)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"`val` must be a real number or an array of real numbers, got {val!r}")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"`val` must be finite, got {val!r}")
    return _frozen(array)


@factory
@shared_doc(DTYPE_DOC)
def constant(val: Any, *, dtype: DTypeLike = None) -> Initializer:
    """Fill with ``val``: a scalar, or an array (or nested lists) that broadcasts to the
    shape, as in ``jax.nn.initializers.constant``, Keras and Haiku. Works for float, integer
    and bool dtypes; a value the dtype cannot hold exactly (0.5 into int32) is an error, not
    a silent truncation.

    >>> import jax, jaxinit
    >>> jaxinit.constant(0.3)(jax.random.key(0), (2, 2))
    Array([[0.3, 0.3],
           [0.3, 0.3]], dtype=float32)
    >>> jaxinit.constant([1, 2, 3])(jax.random.key(0), (2, 3), jax.numpy.int32)
    Array([[1, 2, 3],
           [1, 2, 3]], dtype=int32)
    """
    return Initializer(_CONSTANT, {"val": _constant_val(val)}, dtype)


def _fill_law(value: float, h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    return Constant(value=value)


class FillFactory(Protocol):
    """``ones`` and ``zeros``: factories that take only a default dtype."""

    def __call__(self, *, dtype: DTypeLike = None) -> Initializer: ...


def _fixed(name: str, value: float, doc: str) -> FillFactory:
    recipe = Recipe(name, functools.partial(_fill_law, value), random=False)

    def fill(*, dtype: DTypeLike = None) -> Initializer:
        return Initializer(recipe, {}, dtype)

    fill.__name__ = fill.__qualname__ = name
    fill.__doc__ = doc
    return factory(shared_doc(DTYPE_DOC)(fill))


ones: FillFactory = _fixed(
    "ones",
    1.0,
    """Fill with ones (any numeric or bool dtype).

    >>> import jax, jaxinit
    >>> jaxinit.ones()(jax.random.key(0), 3, jax.numpy.int32)
    Array([1, 1, 1], dtype=int32)
    """,
)
zeros: FillFactory = _fixed(
    "zeros",
    0.0,
    """Fill with zeros (any numeric or bool dtype).

    >>> import jax, jaxinit
    >>> jaxinit.zeros()(jax.random.key(0), (2,))
    Array([0., 0.], dtype=float32)
    """,
)


# -- plain random laws -----------------------------------------------------------------


def _uniform_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    return Uniform(low=h["a"], high=h["b"])


_UNIFORM = Recipe("uniform", _uniform_law)


@factory
@shared_doc(DTYPE_DOC)
def uniform(a: RealLike = 0.0, b: RealLike = 1.0, *, dtype: DTypeLike = None) -> Initializer:
    r"""Values from :math:`\mathcal{U}(a, b)`.

    After the cast to the requested dtype every value stays inside :math:`[a, b]`.

    >>> import jax, jaxinit
    >>> jaxinit.uniform(-1.0, 1.0).distribution((4, 4))
    Uniform(low=-1.0, high=1.0)
    """
    a, b = checks.real("a", a), checks.real("b", b)
    checks.ordered("a", a, "b", b)
    return Initializer(_UNIFORM, {"a": a, "b": b}, dtype)


def _triangular_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    return Triangular(low=h["a"], high=h["b"])


_TRIANGULAR = Recipe("triangular", _triangular_law)


@factory
def triangular(a: RealLike = -1.0, b: RealLike = 1.0, *, dtype: DTypeLike = None) -> Initializer:
    r"""Values from the symmetric triangular law on :math:`[a, b]`: the law of the sum of two
    independent :math:`\mathcal{U}(a/2, b/2)` values.

    .. math::
       p(x) = \frac{4}{(b - a)^2}\,\Big(\frac{b - a}{2} - \Big|x - \frac{a + b}{2}\Big|\Big),
       \qquad \text{std} = \frac{b - a}{2\sqrt{6}}

    PyTorch's recurrent layers add two biases drawn from :math:`\mathcal{U}(\pm k)`,
    :math:`k = 1/\sqrt{\text{hidden\_size}}` (``b_ih + b_hh``); a Flax cell has one bias per
    gate, and ``triangular(-2k, 2k)`` is the law of that sum. Sampled by inverse CDF from one
    uniform per value (exact in float32 and float64), so after the cast to the requested
    dtype every value stays inside :math:`[a, b]`.

    >>> import jaxinit
    >>> law = jaxinit.triangular(-0.2, 0.2).distribution((4,))
    >>> law
    Triangular(low=-0.2, high=0.2)
    >>> round(float(law.scipy().std()), 6)
    0.08165
    """
    a, b = checks.real("a", a), checks.real("b", b)
    checks.ordered("a", a, "b", b)
    return Initializer(_TRIANGULAR, {"a": a, "b": b}, dtype)


def _normal_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    return Normal(mean=h["mean"], std=h["std"])


_NORMAL = Recipe("normal", _normal_law)


@factory
@shared_doc(DTYPE_DOC)
def normal(mean: RealLike = 0.0, std: RealLike = 1.0, *, dtype: DTypeLike = None) -> Initializer:
    r"""Values from :math:`\mathcal{N}(\text{mean}, \text{std}^2)`.

    >>> import jax, jaxinit
    >>> x = jaxinit.normal(std=0.02)(jax.random.key(0), (256, 256))
    >>> bool(abs(float(x.std()) - 0.02) < 1e-3)
    True
    """
    return Initializer(
        _NORMAL, {"mean": checks.real("mean", mean), "std": checks.nonnegative("std", std)}, dtype
    )


def _trunc_normal_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    return TruncatedNormal(mean=h["mean"], std=h["std"], low=h["a"], high=h["b"])


_TRUNC_NORMAL = Recipe("trunc_normal", _trunc_normal_law)


@factory
@shared_doc(DTYPE_DOC)
def trunc_normal(
    mean: RealLike = 0.0,
    std: RealLike = 1.0,
    a: RealLike = -2.0,
    b: RealLike = 2.0,
    *,
    dtype: DTypeLike = None,
) -> Initializer:
    r"""Values from :math:`\mathcal{N}(\text{mean}, \text{std}^2)` conditioned on :math:`[a, b]`.

    ``a`` and ``b`` are **absolute** bounds and ``std`` is the std of the normal *before*
    truncation, as in ``torch.nn.init.trunc_normal_``. ``jax.nn.initializers.truncated_normal
    (stddev, dtype, lower, upper)`` (:func:`jaxinit.jax_nn.truncated_normal`) also takes the std
    before truncation, but its bounds are in units of ``stddev`` and its mean is 0. Sampling is by
    inverse CDF on the tail nearer the bounds, so it is exact for any ``a < b``, including
    far tails such as ``a=5, b=6``: no rejection, no clamping pile-ups, no inf or NaN.

    >>> import jax, jaxinit
    >>> x = jaxinit.trunc_normal(std=0.02, a=-0.04, b=0.04)(jax.random.key(0), (64, 64))
    >>> bool(x.min() >= -0.04 and x.max() <= 0.04)
    True
    """
    mean, a, b = checks.real("mean", mean), checks.real("a", a), checks.real("b", b)
    checks.ordered("a", a, "b", b)
    return Initializer(
        _TRUNC_NORMAL, {"mean": mean, "std": checks.positive("std", std), "a": a, "b": b}, dtype
    )


# -- fan-based laws --------------------------------------------------------------------


def variance_scaling_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    mode, distribution = h["mode"], h["distribution"]
    n = _nonzero_fan(fan_for_mode(*axes.jax_fans(shape), mode), mode, shape)
    if distribution == "uniform":
        bound = _sqrt(3.0 * h["scale"] / n)
        return Uniform(low=-bound, high=bound)
    std = _sqrt(h["scale"] / n)
    if distribution == "normal":
        return Normal(mean=0.0, std=std)
    std = std / _TRUNCATED_STD
    return TruncatedNormal(mean=0.0, std=std, low=-2.0 * std, high=2.0 * std)


_VARIANCE_SCALING = Recipe("variance_scaling", variance_scaling_law, fan_based=True)


@factory
@shared_doc(AXES_DOC)
def variance_scaling(
    scale: RealLike = 1.0,
    mode: FanMode = "fan_in",
    distribution: DistributionName = "normal",
    *,
    layout: Layout | None = None,
    in_axis: Axes | None = None,
    out_axis: Axes | None = None,
    batch_axis: Axes = (),
    dtype: DTypeLike = None,
) -> Initializer:
    r"""The general fan-scaled law, with exactly the law of ``jax.nn.initializers.variance_scaling``.

    With :math:`n` the fan selected by ``mode`` (``fan_in``, ``fan_out``, ``fan_avg`` =
    (in + out) / 2, ``fan_geo_avg`` = :math:`\sqrt{\text{in} \cdot \text{out}}`):

    * ``normal``: :math:`\mathcal{N}(0, \text{scale}/n)`;
    * ``uniform``: :math:`\mathcal{U}(-\sqrt{3\,\text{scale}/n}, \sqrt{3\,\text{scale}/n})`;
    * ``truncated_normal``: a normal cut at :math:`\pm 2\sigma`, with :math:`\sigma` chosen
      so that the std *after* truncation is :math:`\sqrt{\text{scale}/n}`.

    The fans are computed exactly as jax computes them (:meth:`FanAxes.jax_fans`): the
    receptive field is the shape's size divided by the sizes of the in, out and batch axes,
    so the groups may overlap (Flax's embedding init ``variance_scaling(1.0, "fan_in",
    "normal", out_axis=0)`` on a ``(vocab, features)`` table is :math:`\mathcal{N}(0,
    1/\text{features})`), and 0-D and 1-D shapes work with explicit axes (``in_axis=[0],
    out_axis=[]``). :func:`jaxinit.jax_nn.variance_scaling` has jax's signature.

    >>> import jaxinit
    >>> jaxinit.variance_scaling(2.0, "fan_in", "uniform").distribution((6, 5))
    Uniform(low=-1.0, high=1.0)
    >>> jaxinit.variance_scaling(1.0, "fan_in", "normal", out_axis=0).distribution((1000, 4))
    Normal(mean=0.0, std=0.5)
    """
    scale = checks.positive("scale", scale)
    checks.choice("mode", mode, FAN_MODES)
    checks.choice("distribution", distribution, DISTRIBUTIONS)
    return Initializer(
        _VARIANCE_SCALING,
        {"scale": scale, "mode": mode, "distribution": distribution},
        dtype,
        FanAxes.make(layout, in_axis, out_axis, batch_axis, overlapping=True),
    )


def _xavier_uniform_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    fan_in, fan_out = axes.fans(shape)
    std = h["gain"] * _sqrt(2.0 / _nonzero_fan(fan_in + fan_out, "fan_in + fan_out", shape))
    bound = math.sqrt(3.0) * std
    return Uniform(low=-bound, high=bound)


_XAVIER_UNIFORM = Recipe("xavier_uniform", _xavier_uniform_law, fan_based=True)


def _xavier_normal_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    fan_in, fan_out = axes.fans(shape)
    std = h["gain"] * _sqrt(2.0 / _nonzero_fan(fan_in + fan_out, "fan_in + fan_out", shape))
    return Normal(mean=0.0, std=std)


_XAVIER_NORMAL = Recipe("xavier_normal", _xavier_normal_law, fan_based=True)


@factory
@shared_doc(AXES_DOC)
def xavier_uniform(
    gain: RealLike = 1.0,
    *,
    layout: Layout | None = None,
    in_axis: Axes | None = None,
    out_axis: Axes | None = None,
    batch_axis: Axes = (),
    dtype: DTypeLike = None,
) -> Initializer:
    r"""Glorot/Xavier uniform (Glorot & Bengio, 2010): :math:`\mathcal{U}(-a, a)` with

    .. math::
       a = \text{gain} \times \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}}

    >>> import jaxinit
    >>> round(jaxinit.xavier_uniform().distribution((2, 4)).high, 12)
    1.0
    """
    return Initializer(
        _XAVIER_UNIFORM,
        {"gain": checks.nonnegative("gain", gain)},
        dtype,
        FanAxes.make(layout, in_axis, out_axis, batch_axis),
    )


@factory
@shared_doc(AXES_DOC)
def xavier_normal(
    gain: RealLike = 1.0,
    *,
    layout: Layout | None = None,
    in_axis: Axes | None = None,
    out_axis: Axes | None = None,
    batch_axis: Axes = (),
    dtype: DTypeLike = None,
) -> Initializer:
    r"""Glorot/Xavier normal (Glorot & Bengio, 2010): :math:`\mathcal{N}(0, \text{std}^2)` with

    .. math::
       \text{std} = \text{gain} \times \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}

    >>> import jaxinit
    >>> jaxinit.xavier_normal().distribution((3, 5))
    Normal(mean=0.0, std=0.5)
    """
    return Initializer(
        _XAVIER_NORMAL,
        {"gain": checks.nonnegative("gain", gain)},
        dtype,
        FanAxes.make(layout, in_axis, out_axis, batch_axis),
    )


def _kaiming_std(h: Hyper, shape: Shape, axes: FanAxes) -> Any:
    fan_in, fan_out = axes.fans(shape)
    fan = fan_for_mode(fan_in, fan_out, h["mode"])
    nonlinearity, a = h["nonlinearity"], h["a"]
    gain: Any
    if nonlinearity == "leaky_relu" and checks.is_tracer(a):
        gain = jnp.sqrt(2.0 / (1.0 + a**2))
    else:
        gain = calculate_gain(nonlinearity, a if nonlinearity == "leaky_relu" else None)
    return gain / _sqrt(_nonzero_fan(fan, h["mode"], shape))


def _kaiming_uniform_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    bound = math.sqrt(3.0) * _kaiming_std(h, shape, axes)
    return Uniform(low=-bound, high=bound)


_KAIMING_UNIFORM = Recipe("kaiming_uniform", _kaiming_uniform_law, fan_based=True)


def _kaiming_normal_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    return Normal(mean=0.0, std=_kaiming_std(h, shape, axes))


_KAIMING_NORMAL = Recipe("kaiming_normal", _kaiming_normal_law, fan_based=True)


def _kaiming_hyper(a: RealLike, mode: str, nonlinearity: str) -> dict[str, Any]:
    checks.choice("mode", mode, ("fan_in", "fan_out"))
    checks.choice("nonlinearity", nonlinearity, NONLINEARITIES)
    a = checks.real("a", a)
    if nonlinearity == "leaky_relu" and checks.is_concrete(a):
        leaky_relu_gain(a, "a")  # the gain must exist: a clear error now, not at call time
    return {"a": a, "mode": mode, "nonlinearity": nonlinearity}


@factory
@shared_doc(AXES_DOC)
def kaiming_uniform(
    a: RealLike = 0.0,
    mode: KaimingMode = "fan_in",
    nonlinearity: Nonlinearity = "leaky_relu",
    *,
    layout: Layout | None = None,
    in_axis: Axes | None = None,
    out_axis: Axes | None = None,
    batch_axis: Axes = (),
    dtype: DTypeLike = None,
) -> Initializer:
    r"""He/Kaiming uniform (He et al., 2015): :math:`\mathcal{U}(-\text{bound}, \text{bound})` with

    .. math::
       \text{bound} = \text{gain} \times \sqrt{\frac{3}{\text{fan\_mode}}}

    where gain is :func:`calculate_gain` of ``nonlinearity`` (with negative slope ``a`` for
    ``'leaky_relu'``). ``mode='fan_in'`` keeps the forward variance, ``'fan_out'`` the backward.
    ``kaiming_uniform(a=math.sqrt(5))`` is PyTorch's default Linear/Conv weight law,
    :math:`\mathcal{U}(\pm 1/\sqrt{\text{fan\_in}})`.

    >>> import jaxinit
    >>> jaxinit.kaiming_uniform(nonlinearity="relu").distribution((24, 7))
    Uniform(low=-0.5, high=0.5)
    """
    return Initializer(
        _KAIMING_UNIFORM,
        _kaiming_hyper(a, mode, nonlinearity),
        dtype,
        FanAxes.make(layout, in_axis, out_axis, batch_axis),
    )


@factory
@shared_doc(AXES_DOC)
def kaiming_normal(
    a: RealLike = 0.0,
    mode: KaimingMode = "fan_in",
    nonlinearity: Nonlinearity = "leaky_relu",
    *,
    layout: Layout | None = None,
    in_axis: Axes | None = None,
    out_axis: Axes | None = None,
    batch_axis: Axes = (),
    dtype: DTypeLike = None,
) -> Initializer:
    r"""He/Kaiming normal (He et al., 2015): :math:`\mathcal{N}(0, \text{std}^2)` with

    .. math::
       \text{std} = \frac{\text{gain}}{\sqrt{\text{fan\_mode}}}

    Parameters as in :func:`kaiming_uniform`.

    >>> import jaxinit
    >>> jaxinit.kaiming_normal(mode="fan_out", nonlinearity="relu").distribution((3, 8))
    Normal(mean=0.0, std=0.5)
    """
    return Initializer(
        _KAIMING_NORMAL,
        _kaiming_hyper(a, mode, nonlinearity),
        dtype,
        FanAxes.make(layout, in_axis, out_axis, batch_axis),
    )


def _lecun_uniform_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    bound = math.sqrt(3.0 / _nonzero_fan(axes.fans(shape)[0], "fan_in", shape))
    return Uniform(low=-bound, high=bound)


_LECUN_UNIFORM = Recipe("lecun_uniform", _lecun_uniform_law, fan_based=True)


def _lecun_normal_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    std = math.sqrt(1.0 / _nonzero_fan(axes.fans(shape)[0], "fan_in", shape))
    return Normal(mean=0.0, std=std)


_LECUN_NORMAL = Recipe("lecun_normal", _lecun_normal_law, fan_based=True)


@factory
@shared_doc(AXES_DOC)
def lecun_uniform(
    *,
    layout: Layout | None = None,
    in_axis: Axes | None = None,
    out_axis: Axes | None = None,
    batch_axis: Axes = (),
    dtype: DTypeLike = None,
) -> Initializer:
    r"""LeCun uniform (LeCun et al., 1998): :math:`\mathcal{U}(-\sqrt{3/\text{fan\_in}}, \sqrt{3/\text{fan\_in}})`.

    >>> import jaxinit
    >>> jaxinit.lecun_uniform().distribution((12, 4))
    Uniform(low=-0.5, high=0.5)
    """
    return Initializer(_LECUN_UNIFORM, {}, dtype, FanAxes.make(layout, in_axis, out_axis, batch_axis))


@factory
@shared_doc(AXES_DOC)
def lecun_normal(
    *,
    layout: Layout | None = None,
    in_axis: Axes | None = None,
    out_axis: Axes | None = None,
    batch_axis: Axes = (),
    dtype: DTypeLike = None,
) -> Initializer:
    r"""LeCun normal (LeCun et al., 1998): :math:`\mathcal{N}(0, 1/\text{fan\_in})`.

    A plain normal, as the flint document defines it. ``jax.nn.initializers.lecun_normal``
    is a *truncated* normal with the same variance: that law is
    :func:`jaxinit.jax_nn.lecun_normal`.

    >>> import jaxinit
    >>> jaxinit.lecun_normal().distribution((4, 9))
    Normal(mean=0.0, std=0.5)
    """
    return Initializer(_LECUN_NORMAL, {}, dtype, FanAxes.make(layout, in_axis, out_axis, batch_axis))


# -- structured initializers -----------------------------------------------------------


def _eye_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    if len(shape) != 2:
        raise ValueError(f"eye needs a 2-dimensional shape, got shape {shape}")
    return Eye(gain=h["gain"])


_EYE = Recipe("eye", _eye_law, random=False)


@factory
@shared_doc(DTYPE_DOC)
def eye(*, gain: RealLike = 1.0, dtype: DTypeLike = None) -> Initializer:
    """The identity matrix times ``gain`` (Keras' and Haiku's ``Identity(gain)``); a
    non-square shape gets the identity padded with zeros, so a Dense layer passes on as many
    of its inputs as it can. 2-D shapes only.

    >>> import jax, jaxinit
    >>> jaxinit.eye()(jax.random.key(0), (2, 3))
    Array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    >>> jaxinit.eye(gain=0.5)(jax.random.key(0), (2, 2))
    Array([[0.5, 0. ],
           [0. , 0.5]], dtype=float32)
    """
    return Initializer(_EYE, {"gain": checks.real("gain", gain)}, dtype)


def _conv_channels(name: str, shape: Shape, axes: FanAxes) -> tuple[int, int]:
    in_axes, out_axes, batch_axes = axes.resolve(len(shape))
    spatial_dims = len(shape) - len(batch_axes) - len(in_axes) - len(out_axes)
    if spatial_dims not in (1, 2, 3) or len(shape) - len(batch_axes) not in (3, 4, 5):
        raise ValueError(f"{name} needs a 3-, 4- or 5-dimensional convolution kernel, got shape {shape}")
    return math.prod(shape[i] for i in out_axes), math.prod(shape[i] for i in in_axes)


def _dirac_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    out_channels, _ = _conv_channels("dirac", shape, axes)
    if out_channels % h["groups"]:
        raise ValueError(
            f"`groups` must divide the number of output channels, got groups={h['groups']} "
            f"for {out_channels} output channels (shape {shape})"
        )
    return Dirac(groups=h["groups"])


_DIRAC = Recipe("dirac", _dirac_law, random=False)


@factory
@shared_doc(AXES_DOC)
def dirac(
    groups: int = 1,
    *,
    layout: Layout | None = None,
    in_axis: Axes | None = None,
    out_axis: Axes | None = None,
    batch_axis: Axes = (),
    dtype: DTypeLike = None,
) -> Initializer:
    """The Dirac delta for 3-, 4- and 5-D convolution kernels: a convolution with this kernel
    passes as many input channels through unchanged as it can (per group when ``groups > 1``).

    Output channel ``g * (out // groups) + d`` gets a one at input channel ``d`` and the centre
    of the spatial window. In the default layout ``(*spatial, in, out)`` the centre of a size-k
    axis is ``(k - 1) // 2``, so a Flax ``nn.Conv`` (with ``feature_group_count=groups``) using
    this kernel and ``padding='SAME'`` is the identity, for even kernel sizes too. With
    ``layout="torch"`` it is exactly ``torch.nn.init.dirac_`` (centre ``k // 2``: the identity of
    a torch conv with ``padding=k // 2``, on the first outputs for even ``k``).

    >>> import jax, jaxinit
    >>> k = jaxinit.dirac()(jax.random.key(0), (3, 2, 2))
    >>> k[1]
    Array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    groups = checks.integer("groups", groups, minimum=1)
    return Initializer(_DIRAC, {"groups": groups}, dtype, FanAxes.make(layout, in_axis, out_axis, batch_axis))


def _orthogonal_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    if len(shape) < 2:
        raise ValueError(f"orthogonal needs at least 2 dimensions, got shape {shape}")
    axes.resolve(len(shape))
    return Orthogonal(gain=h["gain"])


_ORTHOGONAL = Recipe("orthogonal", _orthogonal_law)


@factory
@shared_doc(AXES_DOC)
def orthogonal(
    gain: RealLike = 1.0,
    *,
    layout: Layout | None = None,
    in_axis: Axes | None = None,
    out_axis: Axes | None = None,
    batch_axis: Axes = (),
    dtype: DTypeLike = None,
) -> Initializer:
    r"""A (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013).

    The weight is seen as torch sees it: a matrix of output units by everything else
    (``(out, in * spatial)``). That matrix is drawn from the Haar measure: orthonormal rows
    if it is wide, orthonormal columns if it is tall, computed in float32 (float64 for
    float64) by a sign-corrected QR and cast once. ``batch_axis`` axes get independent matrices.

    >>> import jax, jax.numpy as jnp, jaxinit
    >>> w = jaxinit.orthogonal()(jax.random.key(0), (4, 3))
    >>> bool(jnp.allclose(w.T @ w, jnp.eye(3), atol=1e-5))
    True
    """
    return Initializer(
        _ORTHOGONAL,
        {"gain": checks.real("gain", gain)},
        dtype,
        FanAxes.make(layout, in_axis, out_axis, batch_axis),
    )


def delta_orthogonal_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    out_channels, in_channels = _conv_channels("delta_orthogonal", shape, axes)
    if in_channels > out_channels:
        raise ValueError(
            f"delta_orthogonal needs input channels <= output channels, got "
            f"{in_channels} > {out_channels} (shape {shape})"
        )
    return DeltaOrthogonal(gain=h["gain"])


_DELTA_ORTHOGONAL = Recipe("delta_orthogonal", delta_orthogonal_law)


@factory
@shared_doc(AXES_DOC)
def delta_orthogonal(
    gain: RealLike = 1.0,
    *,
    layout: Layout | None = None,
    in_axis: Axes | None = None,
    out_axis: Axes | None = None,
    batch_axis: Axes = (),
    dtype: DTypeLike = None,
) -> Initializer:
    """Delta-orthogonal for 3-, 4- and 5-D convolution kernels (Xiao et al., 2018): an
    orthogonal ``(in, out)`` matrix times ``gain`` at the spatial centre (index ``(k - 1) // 2``
    of a size-k axis), zeros elsewhere, as ``jax.nn.initializers.delta_orthogonal``: a Flax
    ``nn.Conv(padding="SAME")`` with this kernel multiplies every position by that matrix.
    Needs input channels <= output channels.

    >>> import jax, jaxinit
    >>> k = jaxinit.delta_orthogonal()(jax.random.key(0), (3, 3, 4, 4))
    >>> float(abs(k[0, 0]).sum())
    0.0
    """
    return Initializer(
        _DELTA_ORTHOGONAL,
        {"gain": checks.real("gain", gain)},
        dtype,
        FanAxes.make(layout, in_axis, out_axis, batch_axis),
    )


def _sparse_law(h: Hyper, shape: Shape, axes: FanAxes) -> Distribution:
    if len(shape) != 2:
        raise ValueError(f"sparse needs a 2-dimensional shape, got shape {shape}")
    in_axes, out_axes, _ = axes.resolve(2)
    if len(in_axes) != 1 or len(out_axes) != 1:
        raise ValueError(
            f"sparse needs one input axis and one output axis, got in_axis="
            f"{axes.in_axes}, out_axis={axes.out_axes} for shape {shape}"
        )
    n_out = shape[out_axes[0]]
    return Sparse(sparsity=h["sparsity"], std=h["std"], zeros_per_input=int(math.ceil(h["sparsity"] * n_out)))


_SPARSE = Recipe("sparse", _sparse_law)


@factory
@shared_doc(AXES_DOC)
def sparse(
    sparsity: float,
    std: RealLike = 0.01,
    *,
    layout: Layout | None = None,
    in_axis: Axes | None = None,
    out_axis: Axes | None = None,
    batch_axis: Axes = (),
    dtype: DTypeLike = None,
) -> Initializer:
    r"""A sparse 2-D matrix (Martens, 2010): for every input unit, ``ceil(sparsity * n_out)``
    of its weights are zero, at random places; the rest are :math:`\mathcal{N}(0, \text{std}^2)`.

    In the default layout ``(in, out)`` that is per row; with ``layout="torch"`` it is exactly
    torch's ``ceil(sparsity * rows)`` zeros in every column of ``(out, in)``.

    >>> import jax, jaxinit
    >>> w = jaxinit.sparse(0.5)(jax.random.key(0), (3, 4))
    >>> [int((row == 0).sum()) for row in w]
    [2, 2, 2]
    """
    sparsity = checks.real("sparsity", sparsity)
    if not isinstance(sparsity, float):
        raise TypeError("`sparsity` must be a concrete number: it decides how many zeros there are")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"`sparsity` must be in [0, 1], got {sparsity!r}")
    return Initializer(
        _SPARSE,
        {"sparsity": sparsity, "std": checks.nonnegative("std", std)},
        dtype,
        FanAxes.make(layout, in_axis, out_axis, batch_axis),
    )
