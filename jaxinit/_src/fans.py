"""Gains and fans: plain Python arithmetic on shapes, exact and shared by every initializer."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, Literal

import jax
import numpy as np

from jaxinit._src import checks
from jaxinit._src.export import public
from jaxinit.typing import Axes, Layout, Nonlinearity, RealLike, Shape, ShapeLike

_UNIT_GAIN = (
    "linear",
    "identity",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)
NONLINEARITIES = _UNIT_GAIN + ("tanh", "relu", "leaky_relu", "selu")
FAN_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
LAYOUTS = ("flax", "jax", "torch")


@public("jaxinit")
def calculate_gain(nonlinearity: Nonlinearity, param: RealLike | None = None) -> float:
    r"""The recommended gain for a nonlinearity, as a Python float.

    ================================== ===================================================
    nonlinearity                       gain
    ================================== ===================================================
    linear, identity, conv{1,2,3}d,    :math:`1`
    conv_transpose{1,2,3}d, sigmoid
    tanh                               :math:`5/3`
    relu                               :math:`\sqrt{2}`
    leaky_relu                         :math:`\sqrt{2 / (1 + \text{negative\_slope}^2)}`
    selu                               :math:`3/4`
    ================================== ===================================================

    Args:
      nonlinearity: the name of the nonlinearity (``torch.nn.functional`` names).
      param: the negative slope for ``'leaky_relu'`` (default 0.01); ignored otherwise.
        Must be a real number.

    For self-normalising networks use ``'linear'`` rather than ``'selu'``: the weights
    then get variance :math:`1/N`, which SELU's fixed point needs; the SELU gain trades
    that for steadier gradients.

    >>> calculate_gain("leaky_relu", 0.2)
    1.3867504905630728
    >>> calculate_gain("tanh")
    1.6666666666666667
    """
    checks.choice("nonlinearity", nonlinearity, NONLINEARITIES)
    if nonlinearity in _UNIT_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4.0
    return leaky_relu_gain(0.01 if param is None else param, "param")


def leaky_relu_gain(slope: RealLike, name: str) -> float:
    """sqrt(2 / (1 + slope^2)); ``name`` is the argument that holds the slope, for errors."""
    try:
        value = checks.real(name, slope)
    except TypeError as error:  # torch raises ValueError for a slope that is not a number
        raise ValueError(str(error)) from None
    if abs(value) > 1e150:  # its square would overflow a float
        raise ValueError(
            f"`{name}` (the negative slope of leaky_relu) must be at most 1e150 in magnitude, got {value!r}"
        )
    return math.sqrt(2.0 / (1.0 + value**2))


def _axes_tuple(name: str, value: Axes) -> tuple[int, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(checks.integer(name, v) for v in value)
    return (checks.integer(name, value),)


@dataclasses.dataclass(frozen=True)
class FanAxes:
    """Which axes of a weight are inputs, outputs and batch (ignored); the rest are receptive field.

    Built from the user's ``layout`` / ``in_axis`` / ``out_axis`` / ``batch_axis`` keywords
    by :meth:`make`, which validates what can be checked without a shape.
    """

    in_axes: tuple[int, ...] = (-2,)
    out_axes: tuple[int, ...] = (-1,)
    batch_axes: tuple[int, ...] = ()
    layout: str | None = None

    @classmethod
    def make(
        cls,
        layout: str | None = None,
        in_axis: Axes | None = None,
        out_axis: Axes | None = None,
        batch_axis: Axes = (),
        *,
        overlapping: bool = False,
    ) -> FanAxes:
        """``overlapping=True`` lets the groups share axes (and name an axis twice), as
        ``jax.nn.initializers`` allows; such axes only make sense with :meth:`jax_fans`."""
        if layout is not None:
            checks.choice("layout", layout, LAYOUTS)
            if in_axis is not None or out_axis is not None:
                raise ValueError(
                    f"pass either `layout` or `in_axis`/`out_axis`, not both; got "
                    f"layout={layout!r}, in_axis={in_axis!r}, out_axis={out_axis!r}"
                )
            if layout != "torch":  # "flax" and "jax" name the default: the same axes, equal values
                layout = None
        default_in, default_out = (1, 0) if layout == "torch" else (-2, -1)
        axes = cls(
            _axes_tuple("in_axis", default_in if in_axis is None else in_axis),
            _axes_tuple("out_axis", default_out if out_axis is None else out_axis),
            _axes_tuple("batch_axis", batch_axis),
            layout,
        )
        if not overlapping:
            axes._check_overlap(None)
        return axes

    def is_default(self) -> bool:
        return self == FanAxes()

    def kwargs(self) -> dict[str, Any]:
        """The keywords that rebuild these axes (empty for the default), for repr and configs."""
        if self.is_default():
            return {}
        out: dict[str, Any]
        if self.layout is not None:
            out = {"layout": self.layout}
        else:

            def unwrap(t: tuple[int, ...]) -> int | tuple[int, ...]:
                return t[0] if len(t) == 1 else t

            out = {}
            if self.in_axes != FanAxes.in_axes:
                out["in_axis"] = unwrap(self.in_axes)
            if self.out_axes != FanAxes.out_axes:
                out["out_axis"] = unwrap(self.out_axes)
        if self.batch_axes:
            out["batch_axis"] = self.batch_axes[0] if len(self.batch_axes) == 1 else self.batch_axes
        return out

    def _check_overlap(self, ndim: int | None) -> None:
        groups = (("in_axis", self.in_axes), ("out_axis", self.out_axes), ("batch_axis", self.batch_axes))
        seen: dict[int | tuple[str, int], str] = {}
        for name, axes in groups:
            for axis in axes:
                index = axis if ndim is None else axis % ndim
                key: int | tuple[str, int] = index
                if ndim is None and index < 0:
                    key = ("neg", index)  # only same-sign axes can be compared without a shape
                if key in seen:
                    other = seen[key]
                    raise ValueError(
                        f"`{name}` and `{other}` overlap: axis {axis} appears in both"
                        if other != name
                        else f"`{name}` names axis {axis} twice"
                    )
                seen[key] = name

    def resolve(self, ndim: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """Non-negative (in_axes, out_axes, batch_axes) for an array of ``ndim`` dimensions."""
        for name, axes in (
            ("in_axis", self.in_axes),
            ("out_axis", self.out_axes),
            ("batch_axis", self.batch_axes),
        ):
            for axis in axes:
                if not -ndim <= axis < ndim:
                    raise ValueError(f"`{name}` {axis} is out of range for a {ndim}-dimensional shape")
        self._check_overlap(ndim)

        def norm(axes: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(a % ndim for a in axes)

        return norm(self.in_axes), norm(self.out_axes), norm(self.batch_axes)

    def fans(self, shape: Sequence[int]) -> tuple[int, int]:
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(
                f"fan in and fan out can not be computed for a shape with fewer than 2 "
                f"dimensions, got shape {shape}"
            )
        in_axes, out_axes, batch_axes = self.resolve(len(shape))
        named = set(in_axes) | set(out_axes) | set(batch_axes)
        receptive = math.prod(d for i, d in enumerate(shape) if i not in named)
        fan_in = math.prod(shape[i] for i in in_axes) * receptive
        fan_out = math.prod(shape[i] for i in out_axes) * receptive
        return int(fan_in), int(fan_out)

    def jax_fans(self, shape: Sequence[int]) -> tuple[float, float]:
        """``(fan_in, fan_out)`` computed as ``jax.nn.initializers`` computes them, as floats.

        The receptive field is the size of the whole shape divided by the sizes of the in,
        out and batch groups, so axes may overlap: Flax's default embedding init names axis 0
        as outputs and leaves inputs on axis -2, and a ``(vocab, features)`` table gets
        ``fan_in = features``. 0-D and 1-D shapes work with explicit axes (``in_axis=[0]``,
        ``out_axis=[]``); the defaults -2 / -1 need two dimensions.
        """
        shape = tuple(shape)
        ndim = len(shape)
        if ndim < 2 and self.in_axes == (-2,):
            raise ValueError(
                f"fan in and fan out of a {ndim}-dimensional shape {shape} need explicit "
                f"axes: the default in_axis=-2 needs at least 2 dimensions (e.g. pass "
                f"in_axis=[0], out_axis=[] for a 1-dimensional shape)"
            )
        for name, axes in (
            ("in_axis", self.in_axes),
            ("out_axis", self.out_axes),
            ("batch_axis", self.batch_axes),
        ):
            for axis in axes:
                if not -ndim <= axis < ndim:
                    raise ValueError(
                        f"`{name}` {axis} is out of range for a {ndim}-dimensional shape {shape}"
                    )
        in_size = math.prod(shape[a] for a in self.in_axes)
        out_size = math.prod(shape[a] for a in self.out_axes)
        batch_size = math.prod(shape[a] for a in self.batch_axes)
        if in_size and out_size and batch_size:
            # jax's arithmetic, in jax's order, so that fractional fans round alike
            receptive = math.prod(shape) / in_size / out_size / batch_size
        else:  # a zero-size group (jax divides by zero): the unnamed axes are the receptive field
            named = {a % ndim for a in self.in_axes + self.out_axes + self.batch_axes}
            receptive = float(math.prod(d for i, d in enumerate(shape) if i not in named))
        return in_size * receptive, out_size * receptive

    def matrix_layout(self, ndim: int) -> tuple[tuple[int, ...], tuple[int, int, int]]:
        """The axis order (batch..., out..., in..., receptive...) that views a weight as torch's
        matrix ``(outputs, inputs * receptive field)``, and the counts of batch, out and in axes."""
        in_axes, out_axes, batch_axes = self.resolve(ndim)
        rest = tuple(i for i in range(ndim) if i not in set(in_axes + out_axes + batch_axes))
        return batch_axes + out_axes + in_axes + rest, (len(batch_axes), len(out_axes), len(in_axes))


def _shape_of(shape_or_array: ShapeLike | jax.Array | np.ndarray[Any, Any]) -> Shape:
    if hasattr(shape_or_array, "shape") and not isinstance(shape_or_array, (tuple, list)):
        return tuple(int(d) for d in np.shape(shape_or_array))
    return checks.shape(shape_or_array)


@public("jaxinit")
def calculate_fan_in_and_fan_out(
    shape_or_array: ShapeLike | jax.Array | np.ndarray[Any, Any],
    *,
    layout: Layout | None = None,
    in_axis: Axes | None = None,
    out_axis: Axes | None = None,
    batch_axis: Axes = (),
) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shape (or of an array's shape), as Python ints.

    The default convention is JAX/Flax: inputs on axis -2, outputs on axis -1, every other
    axis is receptive field (a Dense kernel ``(in, out)``, a Conv kernel ``(*spatial, in, out)``).
    ``layout="torch"`` means inputs on axis 1 and outputs on axis 0 (``(out, in, *spatial)``).
    ``in_axis``/``out_axis`` may be ints or sequences of ints (einsum or attention kernels);
    ``batch_axis`` axes are left out of both fans (e.g. a leading group axis of a grouped kernel).

    .. math::
       \\text{fan\\_in} = \\prod_{i \\in \\text{in}} d_i \\cdot R, \\quad
       \\text{fan\\_out} = \\prod_{o \\in \\text{out}} d_o \\cdot R, \\quad
       R = \\prod_{\\text{other axes}} d_k

    >>> calculate_fan_in_and_fan_out((3, 3, 64, 128))
    (576, 1152)
    >>> calculate_fan_in_and_fan_out((128, 64, 3, 3), layout="torch")
    (576, 1152)
    """
    return FanAxes.make(layout, in_axis, out_axis, batch_axis).fans(_shape_of(shape_or_array))


def fan_for_mode(fan_in: float, fan_out: float, mode: str) -> float:
    """The fan that ``mode`` selects (``fan_avg`` and ``fan_geo_avg`` may be fractional)."""
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    if mode == "fan_avg":
        return (fan_in + fan_out) / 2
    return math.sqrt(fan_in * fan_out)


@public("jaxinit")
def calculate_correct_fan(
    shape_or_array: ShapeLike | jax.Array | np.ndarray[Any, Any],
    mode: Literal["fan_in", "fan_out"],
    *,
    layout: Layout | None = None,
    in_axis: Axes | None = None,
    out_axis: Axes | None = None,
    batch_axis: Axes = (),
) -> int:
    """The fan selected by ``mode`` (``'fan_in'`` or ``'fan_out'``), as a Python int.

    Same axis conventions as :func:`calculate_fan_in_and_fan_out`.

    >>> calculate_correct_fan((256, 512), "fan_out")
    512
    """
    checks.choice("mode", mode, ("fan_in", "fan_out"))
    fan_in, fan_out = calculate_fan_in_and_fan_out(
        shape_or_array, layout=layout, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis
    )
    return fan_in if mode == "fan_in" else fan_out
