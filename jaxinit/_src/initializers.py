"""The public factories. Each validates its hyperparameters and names the law it samples;
the core (:mod:`jaxinit._src.core`) does the rest for all of them."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxinit._src import checks
from jaxinit._src.core import Initializer, register
from jaxinit._src.fans import FAN_MODES, NONLINEARITIES, FanAxes, fan_for_mode, leaky_relu_gain
from jaxinit._src.laws import Distribution

DISTRIBUTIONS = ("normal", "truncated_normal", "uniform")
# std of a standard normal truncated to [-2, 2]; variance_scaling divides by it (as jax does).
_TRUNCATED_STD = 0.87962566103423978


def _sqrt(x: Any) -> Any:
    return jnp.sqrt(x) if isinstance(x, jax.core.Tracer) else math.sqrt(x)


def _nonzero_fan(fan: float, mode: str, shape: tuple) -> float:
    if fan == 0:
        raise ValueError(f"{mode} is 0 for shape {shape}; the law's scale is undefined")
    return fan


def _make(name: str, hyper: dict, dtype: Any, axes: FanAxes | None = None) -> Initializer:
    return Initializer(name, hyper, dtype, axes)


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


def _shared_doc(text: str):
    """Append a shared paragraph to a factory's docstring."""
    def wrap(factory):
        factory.__doc__ = factory.__doc__.rstrip() + "\n" + text
        return factory
    return wrap


# -- constant fills --------------------------------------------------------------------

@register("constant", random=False)
def _constant_law(h, shape, axes):
    value = h["val"]
    if isinstance(value, tuple) or isinstance(value, jax.core.Tracer) and value.ndim:
        value_shape = np.shape(value) if isinstance(value, jax.core.Tracer) else np.asarray(value).shape
        try:
            fits = np.broadcast_shapes(value_shape, shape) == shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"`val` of shape {value_shape} does not broadcast to shape {shape}")
    return Distribution("constant", value=value)


def _frozen(array: np.ndarray) -> Any:
    """An array as nested tuples of Python numbers: hashable, comparable, exact."""
    if array.ndim == 0:
        return array.item()
    return tuple(_frozen(a) for a in array)


def _constant_val(val: Any) -> Any:
    if isinstance(val, jax.core.Tracer) and val.ndim:
        if not (jnp.issubdtype(val.dtype, jnp.integer) or jnp.issubdtype(val.dtype, jnp.floating)
                or val.dtype == jnp.bool_):
            raise TypeError(f"`val` must be real, got a traced {val.dtype}{list(val.shape)}")
        return val
    if isinstance(val, (jax.core.Tracer, str, bytes)):
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


@_shared_doc(DTYPE_DOC)
def constant(val: Any, *, dtype: Any = None) -> Initializer:
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
    return _make("constant", {"val": _constant_val(val)}, dtype)


def _fixed(name: str, value: float, doc: str):
    register(name, random=False)(lambda h, shape, axes: Distribution("constant", value=value))

    def factory(*, dtype: Any = None) -> Initializer:
        return _make(name, {}, dtype)

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = doc.rstrip() + "\n" + DTYPE_DOC
    return factory


ones = _fixed("ones", 1.0, """Fill with ones (any numeric or bool dtype).

    >>> import jax, jaxinit
    >>> jaxinit.ones()(jax.random.key(0), 3, jax.numpy.int32)
    Array([1, 1, 1], dtype=int32)
    """)
zeros = _fixed("zeros", 0.0, """Fill with zeros (any numeric or bool dtype).

    >>> import jax, jaxinit
    >>> jaxinit.zeros()(jax.random.key(0), (2,))
    Array([0., 0.], dtype=float32)
    """)


# -- plain random laws -----------------------------------------------------------------

@register("uniform")
def _uniform_law(h, shape, axes):
    return Distribution("uniform", low=h["a"], high=h["b"])


@_shared_doc(DTYPE_DOC)
def uniform(a: float = 0.0, b: float = 1.0, *, dtype: Any = None) -> Initializer:
    r"""Values from :math:`\mathcal{U}(a, b)`.

    After the cast to the requested dtype every value stays inside :math:`[a, b]`.

    >>> import jax, jaxinit
    >>> jaxinit.uniform(-1.0, 1.0).distribution((4, 4))
    Distribution(family='uniform', low=-1.0, high=1.0)
    """
    a, b = checks.real("a", a), checks.real("b", b)
    checks.ordered("a", a, "b", b)
    return _make("uniform", {"a": a, "b": b}, dtype)


@register("triangular")
def _triangular_law(h, shape, axes):
    return Distribution("triangular", low=h["a"], high=h["b"])


def triangular(a: float = -1.0, b: float = 1.0, *, dtype: Any = None) -> Initializer:
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
    Distribution(family='triangular', low=-0.2, high=0.2)
    >>> round(float(law.scipy().std()), 6)
    0.08165
    """
    a, b = checks.real("a", a), checks.real("b", b)
    checks.ordered("a", a, "b", b)
    return _make("triangular", {"a": a, "b": b}, dtype)


@register("normal")
def _normal_law(h, shape, axes):
    return Distribution("normal", mean=h["mean"], std=h["std"])


@_shared_doc(DTYPE_DOC)
def normal(mean: float = 0.0, std: float = 1.0, *, dtype: Any = None) -> Initializer:
    r"""Values from :math:`\mathcal{N}(\text{mean}, \text{std}^2)`.

    >>> import jax, jaxinit
    >>> x = jaxinit.normal(std=0.02)(jax.random.key(0), (256, 256))
    >>> bool(abs(float(x.std()) - 0.02) < 1e-3)
    True
    """
    return _make("normal", {"mean": checks.real("mean", mean),
                            "std": checks.nonnegative("std", std)}, dtype)


@register("trunc_normal")
def _trunc_normal_law(h, shape, axes):
    return Distribution("truncated_normal", mean=h["mean"], std=h["std"], low=h["a"], high=h["b"])


@_shared_doc(DTYPE_DOC)
def trunc_normal(mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, *,
                 dtype: Any = None) -> Initializer:
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
    return _make("trunc_normal", {"mean": mean, "std": checks.positive("std", std), "a": a, "b": b}, dtype)


# -- fan-based laws --------------------------------------------------------------------

def _fan_args(layout, in_axis, out_axis, batch_axis) -> FanAxes:
    return FanAxes.make(layout, in_axis, out_axis, batch_axis)


@register("variance_scaling", fan_based=True, uses_axes=True)
def _variance_scaling_law(h, shape, axes):
    mode, distribution = h["mode"], h["distribution"]
    n = _nonzero_fan(fan_for_mode(*axes.jax_fans(shape), mode), mode, shape)
    if distribution == "uniform":
        bound = _sqrt(3.0 * h["scale"] / n)
        return Distribution("uniform", low=-bound, high=bound)
    std = _sqrt(h["scale"] / n)
    if distribution == "normal":
        return Distribution("normal", mean=0.0, std=std)
    std = std / _TRUNCATED_STD
    return Distribution("truncated_normal", mean=0.0, std=std, low=-2.0 * std, high=2.0 * std)


@_shared_doc(AXES_DOC)
def variance_scaling(scale: float = 1.0, mode: str = "fan_in", distribution: str = "normal", *,
                     layout: str | None = None, in_axis: Any = None, out_axis: Any = None,
                     batch_axis: Any = (), dtype: Any = None) -> Initializer:
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
    Distribution(family='uniform', low=-1.0, high=1.0)
    >>> jaxinit.variance_scaling(1.0, "fan_in", "normal", out_axis=0).distribution((1000, 4))
    Distribution(family='normal', mean=0.0, std=0.5)
    """
    scale = checks.positive("scale", scale)
    checks.choice("mode", mode, FAN_MODES)
    checks.choice("distribution", distribution, DISTRIBUTIONS)
    return _make("variance_scaling", {"scale": scale, "mode": mode, "distribution": distribution},
                 dtype, FanAxes.make(layout, in_axis, out_axis, batch_axis, overlapping=True))


@register("xavier_uniform", fan_based=True, uses_axes=True)
def _xavier_uniform_law(h, shape, axes):
    fan_in, fan_out = axes.fans(shape)
    std = h["gain"] * _sqrt(2.0 / _nonzero_fan(fan_in + fan_out, "fan_in + fan_out", shape))
    bound = math.sqrt(3.0) * std
    return Distribution("uniform", low=-bound, high=bound)


@register("xavier_normal", fan_based=True, uses_axes=True)
def _xavier_normal_law(h, shape, axes):
    fan_in, fan_out = axes.fans(shape)
    std = h["gain"] * _sqrt(2.0 / _nonzero_fan(fan_in + fan_out, "fan_in + fan_out", shape))
    return Distribution("normal", mean=0.0, std=std)


@_shared_doc(AXES_DOC)
def xavier_uniform(gain: float = 1.0, *, layout: str | None = None, in_axis: Any = None,
                   out_axis: Any = None, batch_axis: Any = (), dtype: Any = None) -> Initializer:
    r"""Glorot/Xavier uniform (Glorot & Bengio, 2010): :math:`\mathcal{U}(-a, a)` with

    .. math::
       a = \text{gain} \times \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}}

    >>> import jaxinit
    >>> round(jaxinit.xavier_uniform().distribution((2, 4)).high, 12)
    1.0
    """
    return _make("xavier_uniform", {"gain": checks.nonnegative("gain", gain)}, dtype,
                 _fan_args(layout, in_axis, out_axis, batch_axis))


@_shared_doc(AXES_DOC)
def xavier_normal(gain: float = 1.0, *, layout: str | None = None, in_axis: Any = None,
                  out_axis: Any = None, batch_axis: Any = (), dtype: Any = None) -> Initializer:
    r"""Glorot/Xavier normal (Glorot & Bengio, 2010): :math:`\mathcal{N}(0, \text{std}^2)` with

    .. math::
       \text{std} = \text{gain} \times \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}

    >>> import jaxinit
    >>> jaxinit.xavier_normal().distribution((3, 5))
    Distribution(family='normal', mean=0.0, std=0.5)
    """
    return _make("xavier_normal", {"gain": checks.nonnegative("gain", gain)}, dtype,
                 _fan_args(layout, in_axis, out_axis, batch_axis))


def _kaiming_std(h, shape, axes):
    fan = fan_for_mode(*axes.fans(shape), h["mode"])
    nonlinearity, a = h["nonlinearity"], h["a"]
    if nonlinearity == "leaky_relu" and isinstance(a, jax.core.Tracer):
        gain = jnp.sqrt(2.0 / (1.0 + a ** 2))
    else:
        from jaxinit._src.fans import calculate_gain
        gain = calculate_gain(nonlinearity, a if nonlinearity == "leaky_relu" else None)
    return gain / _sqrt(_nonzero_fan(fan, h["mode"], shape))


@register("kaiming_uniform", fan_based=True, uses_axes=True)
def _kaiming_uniform_law(h, shape, axes):
    bound = math.sqrt(3.0) * _kaiming_std(h, shape, axes)
    return Distribution("uniform", low=-bound, high=bound)


@register("kaiming_normal", fan_based=True, uses_axes=True)
def _kaiming_normal_law(h, shape, axes):
    return Distribution("normal", mean=0.0, std=_kaiming_std(h, shape, axes))


def _kaiming_hyper(a, mode, nonlinearity) -> dict:
    checks.choice("mode", mode, ("fan_in", "fan_out"))
    checks.choice("nonlinearity", nonlinearity, NONLINEARITIES)
    a = checks.real("a", a)
    if nonlinearity == "leaky_relu" and checks.is_concrete(a):
        leaky_relu_gain(a, "a")  # the gain must exist: a clear error now, not at call time
    return {"a": a, "mode": mode, "nonlinearity": nonlinearity}


@_shared_doc(AXES_DOC)
def kaiming_uniform(a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                    layout: str | None = None, in_axis: Any = None, out_axis: Any = None,
                    batch_axis: Any = (), dtype: Any = None) -> Initializer:
    r"""He/Kaiming uniform (He et al., 2015): :math:`\mathcal{U}(-\text{bound}, \text{bound})` with

    .. math::
       \text{bound} = \text{gain} \times \sqrt{\frac{3}{\text{fan\_mode}}}

    where gain is :func:`calculate_gain` of ``nonlinearity`` (with negative slope ``a`` for
    ``'leaky_relu'``). ``mode='fan_in'`` keeps the forward variance, ``'fan_out'`` the backward.
    ``kaiming_uniform(a=math.sqrt(5))`` is PyTorch's default Linear/Conv weight law,
    :math:`\mathcal{U}(\pm 1/\sqrt{\text{fan\_in}})`.

    >>> import jaxinit
    >>> jaxinit.kaiming_uniform(nonlinearity="relu").distribution((24, 7))
    Distribution(family='uniform', low=-0.5, high=0.5)
    """
    return _make("kaiming_uniform", _kaiming_hyper(a, mode, nonlinearity), dtype,
                 _fan_args(layout, in_axis, out_axis, batch_axis))


@_shared_doc(AXES_DOC)
def kaiming_normal(a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                   layout: str | None = None, in_axis: Any = None, out_axis: Any = None,
                   batch_axis: Any = (), dtype: Any = None) -> Initializer:
    r"""He/Kaiming normal (He et al., 2015): :math:`\mathcal{N}(0, \text{std}^2)` with

    .. math::
       \text{std} = \frac{\text{gain}}{\sqrt{\text{fan\_mode}}}

    Parameters as in :func:`kaiming_uniform`.

    >>> import jaxinit
    >>> jaxinit.kaiming_normal(mode="fan_out", nonlinearity="relu").distribution((3, 8))
    Distribution(family='normal', mean=0.0, std=0.5)
    """
    return _make("kaiming_normal", _kaiming_hyper(a, mode, nonlinearity), dtype,
                 _fan_args(layout, in_axis, out_axis, batch_axis))


@register("lecun_uniform", fan_based=True, uses_axes=True)
def _lecun_uniform_law(h, shape, axes):
    bound = math.sqrt(3.0 / _nonzero_fan(axes.fans(shape)[0], "fan_in", shape))
    return Distribution("uniform", low=-bound, high=bound)


@register("lecun_normal", fan_based=True, uses_axes=True)
def _lecun_normal_law(h, shape, axes):
    std = math.sqrt(1.0 / _nonzero_fan(axes.fans(shape)[0], "fan_in", shape))
    return Distribution("normal", mean=0.0, std=std)


@_shared_doc(AXES_DOC)
def lecun_uniform(*, layout: str | None = None, in_axis: Any = None, out_axis: Any = None,
                  batch_axis: Any = (), dtype: Any = None) -> Initializer:
    r"""LeCun uniform (LeCun et al., 1998): :math:`\mathcal{U}(-\sqrt{3/\text{fan\_in}}, \sqrt{3/\text{fan\_in}})`.

    >>> import jaxinit
    >>> jaxinit.lecun_uniform().distribution((12, 4))
    Distribution(family='uniform', low=-0.5, high=0.5)
    """
    return _make("lecun_uniform", {}, dtype, _fan_args(layout, in_axis, out_axis, batch_axis))


@_shared_doc(AXES_DOC)
def lecun_normal(*, layout: str | None = None, in_axis: Any = None, out_axis: Any = None,
                 batch_axis: Any = (), dtype: Any = None) -> Initializer:
    r"""LeCun normal (LeCun et al., 1998): :math:`\mathcal{N}(0, 1/\text{fan\_in})`.

    A plain normal, as the flint document defines it. ``jax.nn.initializers.lecun_normal``
    is a *truncated* normal with the same variance: that law is
    :func:`jaxinit.jax_nn.lecun_normal`.

    >>> import jaxinit
    >>> jaxinit.lecun_normal().distribution((4, 9))
    Distribution(family='normal', mean=0.0, std=0.5)
    """
    return _make("lecun_normal", {}, dtype, _fan_args(layout, in_axis, out_axis, batch_axis))


# -- structured initializers -----------------------------------------------------------

@register("eye", random=False)
def _eye_law(h, shape, axes):
    if len(shape) != 2:
        raise ValueError(f"eye needs a 2-dimensional shape, got shape {shape}")
    return Distribution("eye", gain=h["gain"])


@_shared_doc(DTYPE_DOC)
def eye(*, gain: float = 1.0, dtype: Any = None) -> Initializer:
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
    return _make("eye", {"gain": checks.real("gain", gain)}, dtype)


def _conv_channels(name: str, shape: tuple, axes: FanAxes) -> tuple[int, int]:
    in_axes, out_axes, batch_axes = axes.resolve(len(shape))
    spatial_dims = len(shape) - len(batch_axes) - len(in_axes) - len(out_axes)
    if spatial_dims not in (1, 2, 3) or len(shape) - len(batch_axes) not in (3, 4, 5):
        raise ValueError(f"{name} needs a 3-, 4- or 5-dimensional convolution kernel, got shape {shape}")
    return math.prod(shape[i] for i in out_axes), math.prod(shape[i] for i in in_axes)


@register("dirac", random=False, uses_axes=True)
def _dirac_law(h, shape, axes):
    out_channels, _ = _conv_channels("dirac", shape, axes)
    if out_channels % h["groups"]:
        raise ValueError(f"`groups` must divide the number of output channels, got groups={h['groups']} "
                         f"for {out_channels} output channels (shape {shape})")
    return Distribution("dirac", groups=h["groups"])


@_shared_doc(AXES_DOC)
def dirac(groups: int = 1, *, layout: str | None = None, in_axis: Any = None, out_axis: Any = None,
          batch_axis: Any = (), dtype: Any = None) -> Initializer:
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
    return _make("dirac", {"groups": groups}, dtype, _fan_args(layout, in_axis, out_axis, batch_axis))


@register("orthogonal", uses_axes=True)
def _orthogonal_law(h, shape, axes):
    if len(shape) < 2:
        raise ValueError(f"orthogonal needs at least 2 dimensions, got shape {shape}")
    axes.resolve(len(shape))
    return Distribution("orthogonal", gain=h["gain"])


@_shared_doc(AXES_DOC)
def orthogonal(gain: float = 1.0, *, layout: str | None = None, in_axis: Any = None,
               out_axis: Any = None, batch_axis: Any = (), dtype: Any = None) -> Initializer:
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
    return _make("orthogonal", {"gain": checks.real("gain", gain)}, dtype,
                 _fan_args(layout, in_axis, out_axis, batch_axis))


@register("delta_orthogonal", uses_axes=True)
def _delta_orthogonal_law(h, shape, axes):
    out_channels, in_channels = _conv_channels("delta_orthogonal", shape, axes)
    if in_channels > out_channels:
        raise ValueError(f"delta_orthogonal needs input channels <= output channels, got "
                         f"{in_channels} > {out_channels} (shape {shape})")
    return Distribution("delta_orthogonal", gain=h["gain"])


@_shared_doc(AXES_DOC)
def delta_orthogonal(gain: float = 1.0, *, layout: str | None = None, in_axis: Any = None,
                     out_axis: Any = None, batch_axis: Any = (), dtype: Any = None) -> Initializer:
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
    return _make("delta_orthogonal", {"gain": checks.real("gain", gain)}, dtype,
                 _fan_args(layout, in_axis, out_axis, batch_axis))


@register("sparse", uses_axes=True)
def _sparse_law(h, shape, axes):
    if len(shape) != 2:
        raise ValueError(f"sparse needs a 2-dimensional shape, got shape {shape}")
    in_axes, out_axes, _ = axes.resolve(2)
    if len(in_axes) != 1 or len(out_axes) != 1:
        raise ValueError(f"sparse needs one input axis and one output axis, got in_axis="
                         f"{axes.in_axes}, out_axis={axes.out_axes} for shape {shape}")
    n_out = shape[out_axes[0]]
    return Distribution("sparse", sparsity=h["sparsity"], std=h["std"],
                        zeros_per_input=int(math.ceil(h["sparsity"] * n_out)))


@_shared_doc(AXES_DOC)
def sparse(sparsity: float, std: float = 0.01, *, layout: str | None = None, in_axis: Any = None,
           out_axis: Any = None, batch_axis: Any = (), dtype: Any = None) -> Initializer:
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
    return _make("sparse", {"sparsity": sparsity, "std": checks.nonnegative("std", std)}, dtype,
                 _fan_args(layout, in_axis, out_axis, batch_axis))
