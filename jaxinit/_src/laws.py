"""The law families: the exact law an initializer samples, as ``init.distribution(shape)`` returns it.

Each family is one frozen, typed class that owns everything about its law: its parameters,
``scipy()``, how it is handed to the engine (:meth:`Distribution.pack`: a static part that picks
the compiled program and the dynamic numbers, after checking that the dtype can honour the law),
and how it is sampled: an elementwise ``transform`` of one uniform per element, or a structured
``sample`` of the whole array (:mod:`jaxinit._src.structured`). Adding a family is adding a class
here; the engine and the initializer know only this interface.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any, ClassVar, TypeGuard

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxinit._src import checks, sampling, structured
from jaxinit._src.export import public
from jaxinit._src.fans import FanAxes
from jaxinit._src.representable import (
    as_compute, check_reach, compute_dtype, constant_value, interval,
)

#: A law parameter: a Python float, or a tracer when a hyperparameter is vmapped.
Real = float | jax.Array
#: What :meth:`Distribution.pack` hands the engine: the static part (hashable: it selects the
#: compiled program) and the numbers (passed at run time, so one program serves every value).
Packed = tuple[tuple[Any, ...], tuple[Any, ...]]


class _ByFamily(type):
    """``Distribution("uniform", low=0.0, high=1.0)`` builds the family named by its first
    argument (the spelling of ``family`` and ``params``); a family class builds itself."""

    if not TYPE_CHECKING:  # type checkers see each class's own constructor
        def __call__(cls, *args, **kwargs):
            by_family = len(args) == 1 and isinstance(args[0], str) and args[0] == getattr(
                cls, "family", None)  # Uniform("uniform", low=..., high=...), as type(law)(...)
            if cls is not Distribution and not by_family:
                return super().__call__(*args, **kwargs)
            if not args and "family" in kwargs:  # Distribution(family="uniform", ...)
                args = (kwargs.pop("family"),)
            if len(args) != 1:
                raise TypeError(f"Distribution(family, **params) takes the family's name and its "
                                f"parameters by keyword, got {len(args)} positional arguments")
            if args[0] not in _BY_NAME:
                raise ValueError(f"`family` must be one of {', '.join(map(repr, _BY_NAME))}, "
                                 f"got {args[0]!r}")
            return _BY_NAME[args[0]](**kwargs)


@public("jaxinit")
@dataclasses.dataclass(frozen=True)
class Distribution(metaclass=_ByFamily):
    """The law of the values an initializer produces for one shape.

    ``init.distribution(shape)`` returns one of these families; its parameters are typed
    attributes (Python floats when the hyperparameters are concrete):

    ============================ ==================================================
    family                       parameters
    ============================ ==================================================
    :class:`Uniform`             ``low``, ``high``
    :class:`Normal`              ``mean``, ``std``
    :class:`TruncatedNormal`     ``mean``, ``std`` (of the normal before truncation),
                                 ``low``, ``high`` (absolute bounds)
    :class:`Triangular`          ``low``, ``high`` (the density rises linearly from
                                 ``low`` to the midpoint and falls to ``high``)
    :class:`Constant`            ``value``
    :class:`Eye`                 ``gain`` (the identity matrix times gain)
    :class:`Dirac`               ``groups``
    :class:`Orthogonal`          ``gain`` (a Haar-random (semi-)orthogonal matrix)
    :class:`DeltaOrthogonal`     ``gain`` (an orthogonal matrix at the kernel's centre)
    :class:`Sparse`              ``sparsity``, ``std``, ``zeros_per_input``
    ============================ ==================================================

    ``family`` is the family's name (``"uniform"`` ...), ``params`` its parameters as a dict;
    ``Distribution(family, **params)`` builds the family by name.

    >>> import jaxinit
    >>> jaxinit.kaiming_uniform(nonlinearity="relu").distribution((600, 10))
    Uniform(low=-0.1, high=0.1)
    """

    family: ClassVar[str]
    #: sampled one value per element from one uniform (``transform``), else as a whole (``sample``)
    elementwise: ClassVar[bool] = False
    #: needs the whole matrix at once (QR, a sort): a sharded output builds all of it everywhere
    whole_matrix: ClassVar[bool] = False

    @property
    def params(self) -> dict[str, Any]:
        """The parameters as a new dict."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    if TYPE_CHECKING:  # Distribution("uniform", low=..., high=...): see _ByFamily
        def __init__(self, family: str = ..., /, **params: Any) -> None: ...
    else:  # type checkers see the declared parameters only
        def __getattr__(self, name: str) -> Any:
            names = sorted(f.name for f in dataclasses.fields(self))
            if name.startswith("__") or name in names:  # dunder probes; a field not yet set
                raise AttributeError(name)
            raise AttributeError(f"a {self.family!r} distribution has no parameter {name!r}; "
                                 f"it has {names or 'none'}")

    def scipy(self) -> Any:
        """The frozen ``scipy.stats`` law of one element.

        Defined for the elementwise families (:class:`Triangular` is ``scipy.stats.triang``
        with ``c=0.5``) and for :class:`Sparse`, where it is the law of the non-zero entries.
        Other families have no elementwise continuous law and raise ``TypeError``.

        >>> import jaxinit
        >>> float(jaxinit.normal(std=2.0).distribution((3,)).scipy().std())
        2.0
        """
        raise TypeError(f"the {self.family!r} family has no elementwise continuous law in scipy.stats")

    def pack(self, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        """The engine's static part and dynamic numbers for sampling this law into ``shape``
        and ``dtype``, after checking that the law can be honoured there (a clear
        ``ValueError``, never an inf, a NaN or a value outside the law)."""
        raise NotImplementedError

    @classmethod
    def blocked(cls, static: tuple[Any, ...]) -> bool:
        """Whether the per-element code is too large for XLA:CPU to fuse into one loop, so the
        engine computes it block by block (to keep its temporaries one block in size)."""
        return False

    @staticmethod
    def transform(u: jax.Array, numbers: tuple[Any, ...], static: tuple[Any, ...],
                  dtype: np.dtype[Any]) -> jax.Array:
        """Elementwise families: the values for the uniforms ``u`` (in the compute dtype)."""
        raise NotImplementedError

    @staticmethod
    def sample(words: Any, numbers: tuple[Any, ...], static: tuple[Any, ...],
               shape: tuple[int, ...], dtype: np.dtype[Any]) -> jax.Array:
        """Structured families: the whole array (see :mod:`jaxinit._src.structured`)."""
        raise NotImplementedError


def _number(value: Real) -> TypeGuard[float]:
    """A law parameter that is a number (not a tracer: no hyperparameter is vmapped)."""
    return checks.is_concrete(value)


def _bounded(x: jax.Array, numbers: tuple[Any, ...], dtype: np.dtype[Any]) -> jax.Array:
    """``x`` cast into ``dtype`` inside the law's bounds, the last two numbers."""
    return sampling.cast_inside(x, numbers[-2], numbers[-1], dtype)


# -- elementwise families ----------------------------------------------------------------

@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Uniform(Distribution):
    """:math:`\\mathcal{U}(\\text{low}, \\text{high})`."""

    low: Real
    high: Real
    family: ClassVar[str] = "uniform"
    elementwise: ClassVar[bool] = True

    def scipy(self) -> Any:
        from scipy import stats
        return stats.uniform(loc=self.low, scale=self.high - self.low)

    def pack(self, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        low, high, compute = self.low, self.high, compute_dtype(dtype)
        bounds = interval(self, low, high, dtype)
        if _number(low) and _number(high):
            form, affine = sampling.affine(low, high - low, high - low, compute)
            return (form,), (*affine, *bounds)
        low, high = as_compute(low, compute), as_compute(high, compute)
        return ("plain",), (low, None, high - low, None, *bounds)

    @staticmethod
    def transform(u: jax.Array, numbers: tuple[Any, ...], static: tuple[Any, ...],
                  dtype: np.dtype[Any]) -> jax.Array:
        return _bounded(sampling.apply_affine(u, static[0], numbers[:4]), numbers, dtype)


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Normal(Distribution):
    """:math:`\\mathcal{N}(\\text{mean}, \\text{std}^2)`."""

    mean: Real
    std: Real
    family: ClassVar[str] = "normal"
    elementwise: ClassVar[bool] = True

    def scipy(self) -> Any:
        from scipy import stats
        return stats.norm(loc=self.mean, scale=self.std)

    def pack(self, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        mean, std, compute = self.mean, self.std, compute_dtype(dtype)
        if _number(mean) and _number(std):
            check_reach(self, abs(mean) + 8.0 * std, dtype)
            form, affine = sampling.affine(mean, std * math.sqrt(2.0), 0.0, compute)
            return (form,), affine
        return ("plain",), (as_compute(mean, compute), None,
                            as_compute(std, compute) * math.sqrt(2.0), None)

    @staticmethod
    def transform(u: jax.Array, numbers: tuple[Any, ...], static: tuple[Any, ...],
                  dtype: np.dtype[Any]) -> jax.Array:
        # mean + (std sqrt2) erfinv(2u - 1), the scale folded on the host: XLA reassociates a
        # product of scalars with the array for some shapes and not others (the last bit with it)
        z = lax.erf_inv(np.asarray(2, u.dtype) * u - np.asarray(1, u.dtype))
        return sampling.apply_affine(z, static[0], numbers).astype(dtype)


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class TruncatedNormal(Distribution):
    """:math:`\\mathcal{N}(\\text{mean}, \\text{std}^2)` conditioned on :math:`[\\text{low},
    \\text{high}]` (``std`` is the std before truncation, the bounds are absolute)."""

    mean: Real
    std: Real
    low: Real
    high: Real
    family: ClassVar[str] = "truncated_normal"
    elementwise: ClassVar[bool] = True

    def scipy(self) -> Any:
        from scipy import stats
        return stats.truncnorm((self.low - self.mean) / self.std, (self.high - self.mean) / self.std,
                               loc=self.mean, scale=self.std)

    def pack(self, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        mean, std, low, high, compute = self.mean, self.std, self.low, self.high, compute_dtype(dtype)
        bounds = interval(self, low, high, dtype)
        constants: tuple[Any, ...]
        static, constants = sampling.truncnorm_plan(mean, std, low, high, compute)
        if static[0] == "general":
            mean, std = as_compute(mean, compute), as_compute(std, compute)
            low, high = as_compute(low, compute), as_compute(high, compute)
            constants = (mean, std, *sampling.legacy_truncnorm_constants(
                (low - mean) / std, (high - mean) / std, compute))
        return static, (*constants, *bounds)

    @classmethod
    def blocked(cls, static: tuple[Any, ...]) -> bool:
        # the far tail's log-space Newton iteration, which XLA:CPU will not duplicate into
        # each consumer: fused, its code splits into several loops and full-size temporaries
        return static[0] in ("deep", "narrow", "general")

    @staticmethod
    def transform(u: jax.Array, numbers: tuple[Any, ...], static: tuple[Any, ...],
                  dtype: np.dtype[Any]) -> jax.Array:
        regime, form = static
        if regime == "general":
            mean, std, *constants = numbers[:-2]
            x = mean + std * sampling.legacy_standard_truncated_normal(u, constants)
        else:
            offset = sampling.truncnorm_offset(u, numbers[4:-2], regime)
            x = sampling.apply_affine(offset, form, numbers[:4])
        return _bounded(x, numbers, dtype)


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Triangular(Distribution):
    """The symmetric triangular law on :math:`[\\text{low}, \\text{high}]`: the law of the sum
    of two independent :math:`\\mathcal{U}(\\text{low}/2, \\text{high}/2)` values."""

    low: Real
    high: Real
    family: ClassVar[str] = "triangular"
    elementwise: ClassVar[bool] = True

    def scipy(self) -> Any:
        from scipy import stats
        return stats.triang(0.5, loc=self.low, scale=self.high - self.low)

    def pack(self, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        """(low, high) rounded inwards, the centre and the half-width, in the compute dtype."""
        low, high, compute = self.low, self.high, compute_dtype(dtype)
        bounds = interval(self, low, high, dtype)
        if not (_number(low) and _number(high)):
            low, high = as_compute(low, compute), as_compute(high, compute)
            return (), (low, high, low / 2 + high / 2, high / 2 - low / 2, *bounds)  # no overflow
        centre, half = (low + high) / 2, (high - low) / 2  # Python floats: exact enough, no overflow
        return (), (*sampling.bounds_in(low, high, compute), as_compute(centre, compute),
                    as_compute(half, compute), *bounds)

    @staticmethod
    def transform(u: jax.Array, numbers: tuple[Any, ...], static: tuple[Any, ...],
                  dtype: np.dtype[Any]) -> jax.Array:
        """The inverse CDF.

        With q = 2 min(u, 1 - u), the value lies at ``half * sqrt(q)`` from the bound on the
        side of ``u``, that is at ``half * (1 - sqrt(q)) = half * (1 - q) / (1 + sqrt(q))`` from
        the centre. For the grid of :func:`sampling.unit_interval`, q and 1 - q are exact. The
        value is computed from whichever reference point is nearer (the bound while sqrt(q) <
        1/2, else the centre), so its error is a few ulps of that point's distance: full
        relative precision at a bound or a centre at zero, the usual cases.
        """
        low, high, centre, half = numbers[:4]
        dt = u.dtype
        one = np.asarray(1, dt)
        below = u < np.asarray(0.5, dt)
        q = np.asarray(2, dt) * jnp.minimum(u, one - u)
        root = jnp.sqrt(q)
        from_bound = half * root
        from_centre = half * ((one - q) / (one + root))
        x = jnp.where(q < np.asarray(0.25, dt),
                      jnp.where(below, low + from_bound, high - from_bound),
                      jnp.where(below, centre - from_centre, centre + from_centre))
        return _bounded(jnp.clip(x, low, high), numbers, dtype)


# -- structured families -----------------------------------------------------------------

@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Constant(Distribution):
    """Every element is ``value`` (a scalar, or an array that broadcasts to the shape)."""

    value: Any
    family: ClassVar[str] = "constant"

    def pack(self, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        return (), (constant_value(self.value, dtype),)

    @staticmethod
    def sample(words: Any, numbers: tuple[Any, ...], static: tuple[Any, ...],
               shape: tuple[int, ...], dtype: np.dtype[Any]) -> jax.Array:
        return structured.constant(words, numbers, static, shape, dtype)


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Eye(Distribution):
    """The identity matrix times ``gain``, padded with zeros when not square."""

    gain: Real
    family: ClassVar[str] = "eye"

    def pack(self, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        return (), (constant_value(self.gain, dtype, "gain"),)

    @staticmethod
    def sample(words: Any, numbers: tuple[Any, ...], static: tuple[Any, ...],
               shape: tuple[int, ...], dtype: np.dtype[Any]) -> jax.Array:
        return structured.eye(words, numbers, static, shape, dtype)


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Dirac(Distribution):
    """The Dirac delta of a convolution kernel: ones at the spatial centre, per group."""

    groups: int
    family: ClassVar[str] = "dirac"

    def pack(self, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        # torch puts the one at k // 2, the identity of a symmetric padding of k // 2; Flax's
        # padding="SAME" pads (k - 1) // 2 before, so its identity has the one there
        return (self.groups, axes.matrix_layout(len(shape)), axes.layout == "torch"), ()

    @staticmethod
    def sample(words: Any, numbers: tuple[Any, ...], static: tuple[Any, ...],
               shape: tuple[int, ...], dtype: np.dtype[Any]) -> jax.Array:
        return structured.dirac(words, numbers, static, shape, dtype)


def _orthogonal_times_gain(law: Distribution, gain: Real, shape: tuple[int, ...],
                           dtype: np.dtype[Any], axes: FanAxes) -> Packed:
    """The packing of Orthogonal and DeltaOrthogonal: the matrix layout, and the gain."""
    check_reach(law, abs(gain), dtype)  # entries of an orthogonal matrix are in [-1, 1]
    return (axes.matrix_layout(len(shape)),), (as_compute(gain, compute_dtype(dtype)),)


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Orthogonal(Distribution):
    """A Haar-random (semi-)orthogonal matrix ``(outputs, inputs * receptive field)`` times
    ``gain``."""

    gain: Real
    family: ClassVar[str] = "orthogonal"
    whole_matrix: ClassVar[bool] = True

    def pack(self, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        return _orthogonal_times_gain(self, self.gain, shape, dtype, axes)

    @staticmethod
    def sample(words: Any, numbers: tuple[Any, ...], static: tuple[Any, ...],
               shape: tuple[int, ...], dtype: np.dtype[Any]) -> jax.Array:
        return structured.orthogonal(words, numbers, static, shape, dtype)


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class DeltaOrthogonal(Distribution):
    """A Haar-random orthogonal ``(inputs, outputs)`` matrix times ``gain`` at the spatial
    centre of a convolution kernel, zeros elsewhere."""

    gain: Real
    family: ClassVar[str] = "delta_orthogonal"
    whole_matrix: ClassVar[bool] = True

    def pack(self, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        return _orthogonal_times_gain(self, self.gain, shape, dtype, axes)

    @staticmethod
    def sample(words: Any, numbers: tuple[Any, ...], static: tuple[Any, ...],
               shape: tuple[int, ...], dtype: np.dtype[Any]) -> jax.Array:
        return structured.delta_orthogonal(words, numbers, static, shape, dtype)


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Sparse(Distribution):
    """For every input unit, ``zeros_per_input`` of its weights are zero at random places; the
    rest are :math:`\\mathcal{N}(0, \\text{std}^2)`."""

    sparsity: float
    std: Real
    zeros_per_input: int
    family: ClassVar[str] = "sparse"
    whole_matrix: ClassVar[bool] = True

    def scipy(self) -> Any:
        from scipy import stats
        return stats.norm(loc=0.0, scale=self.std)

    def pack(self, shape: tuple[int, ...], dtype: np.dtype[Any], axes: FanAxes) -> Packed:
        check_reach(self, 8.0 * self.std, dtype)
        return ((axes.matrix_layout(len(shape)), self.zeros_per_input),
                (as_compute(self.std, compute_dtype(dtype)),))

    @staticmethod
    def sample(words: Any, numbers: tuple[Any, ...], static: tuple[Any, ...],
               shape: tuple[int, ...], dtype: np.dtype[Any]) -> jax.Array:
        return structured.sparse(words, numbers, static, shape, dtype)


FAMILIES: tuple[type[Distribution], ...] = (
    Uniform, Normal, TruncatedNormal, Triangular, Constant, Eye, Dirac, Orthogonal,
    DeltaOrthogonal, Sparse)
_BY_NAME: dict[str, type[Distribution]] = {family.family: family for family in FAMILIES}


def _rebuild(family: str, params: dict[str, Any]) -> Distribution:
    """Unpickles a law pickled by jaxinit 0.1.0's untyped Distribution."""
    return Distribution(family, **params)
