"""The law families: the exact law an initializer samples, as ``init.distribution(shape)`` returns it.

Each family is one frozen, typed class of plain data: its parameters, its name and ``scipy()``.
How a law is sampled lives below the engine, with its sampler (:mod:`jaxinit._src.samplers`),
which reads these classes; this module imports nothing that samples. Adding a family is a class
here and a sampler there.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

import jax

from jaxinit._src.export import public

#: A law parameter: a Python float, or a tracer when a hyperparameter is vmapped.
Real = float | jax.Array


@public("jaxinit")
@dataclasses.dataclass(frozen=True)
class Distribution:
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
    ``Distribution.of(family, **params)`` builds the family by name.

    >>> import jaxinit
    >>> jaxinit.kaiming_uniform(nonlinearity="relu").distribution((600, 10))
    Uniform(low=-0.1, high=0.1)
    """

    family: ClassVar[str]

    @property
    def params(self) -> dict[str, Any]:
        """The parameters as a new dict."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def __post_init__(self) -> None:
        if type(self) is Distribution:
            raise TypeError(
                "Distribution is the base of the law families: build a law with its family's class "
                "(Uniform(low=..., high=...)) or by name, Distribution.of(family, **params)"
            )

    @classmethod
    def of(cls, family: str, /, **params: Any) -> Distribution:
        """The family named ``family`` with ``params``: ``Distribution.of("uniform", low=0.0,
        high=1.0) == Uniform(low=0.0, high=1.0)``, and ``Distribution.of(law.family,
        **law.params) == law``.

        >>> import jaxinit
        >>> jaxinit.Distribution.of("normal", mean=0.0, std=2.0)
        Normal(mean=0.0, std=2.0)
        """
        names = [cls.family] if cls is not Distribution else list(_BY_NAME)  # Uniform.of: "uniform" only
        if family not in names:
            raise ValueError(f"`family` must be one of {', '.join(map(repr, names))}, got {family!r}")
        return _BY_NAME[family](**params)

    if not TYPE_CHECKING:  # type checkers see the declared parameters only

        def __getattr__(self, name: str) -> Any:
            names = sorted(f.name for f in dataclasses.fields(self))
            if name.startswith("__") or name in names:  # dunder probes; a field not yet set
                raise AttributeError(name)
            raise AttributeError(
                f"a {self.family!r} distribution has no parameter {name!r}; it has {names or 'none'}"
            )

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


# -- elementwise families ----------------------------------------------------------------


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Uniform(Distribution):
    """:math:`\\mathcal{U}(\\text{low}, \\text{high})`."""

    low: Real
    high: Real
    family: ClassVar[str] = "uniform"

    def scipy(self) -> Any:
        from scipy import stats

        return stats.uniform(loc=self.low, scale=self.high - self.low)


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Normal(Distribution):
    """:math:`\\mathcal{N}(\\text{mean}, \\text{std}^2)`."""

    mean: Real
    std: Real
    family: ClassVar[str] = "normal"

    def scipy(self) -> Any:
        from scipy import stats

        return stats.norm(loc=self.mean, scale=self.std)


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

    def scipy(self) -> Any:
        from scipy import stats

        return stats.truncnorm(
            (self.low - self.mean) / self.std,
            (self.high - self.mean) / self.std,
            loc=self.mean,
            scale=self.std,
        )


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Triangular(Distribution):
    """The symmetric triangular law on :math:`[\\text{low}, \\text{high}]`: the law of the sum
    of two independent :math:`\\mathcal{U}(\\text{low}/2, \\text{high}/2)` values."""

    low: Real
    high: Real
    family: ClassVar[str] = "triangular"

    def scipy(self) -> Any:
        from scipy import stats

        return stats.triang(0.5, loc=self.low, scale=self.high - self.low)


# -- structured families -----------------------------------------------------------------


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Constant(Distribution):
    """Every element is ``value`` (a scalar, or an array that broadcasts to the shape)."""

    value: Any
    family: ClassVar[str] = "constant"


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Eye(Distribution):
    """The identity matrix times ``gain``, padded with zeros when not square."""

    gain: Real
    family: ClassVar[str] = "eye"


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Dirac(Distribution):
    """The Dirac delta of a convolution kernel: ones at the spatial centre, per group."""

    groups: int
    family: ClassVar[str] = "dirac"


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Orthogonal(Distribution):
    """A Haar-random (semi-)orthogonal matrix ``(outputs, inputs * receptive field)`` times
    ``gain``."""

    gain: Real
    family: ClassVar[str] = "orthogonal"


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class DeltaOrthogonal(Distribution):
    """A Haar-random orthogonal ``(inputs, outputs)`` matrix times ``gain`` at the spatial
    centre of a convolution kernel, zeros elsewhere."""

    gain: Real
    family: ClassVar[str] = "delta_orthogonal"


@public("jaxinit.distributions")
@dataclasses.dataclass(frozen=True)
class Sparse(Distribution):
    """For every input unit, ``zeros_per_input`` of its weights are zero at random places; the
    rest are :math:`\\mathcal{N}(0, \\text{std}^2)`."""

    sparsity: float
    std: Real
    zeros_per_input: int
    family: ClassVar[str] = "sparse"

    def scipy(self) -> Any:
        from scipy import stats

        return stats.norm(loc=0.0, scale=self.std)


FAMILIES: tuple[type[Distribution], ...] = (
    Uniform,
    Normal,
    TruncatedNormal,
    Triangular,
    Constant,
    Eye,
    Dirac,
    Orthogonal,
    DeltaOrthogonal,
    Sparse,
)
_BY_NAME: dict[str, type[Distribution]] = {family.family: family for family in FAMILIES}
