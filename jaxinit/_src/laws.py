"""The exact law an initializer samples, as returned by ``init.distribution(shape)``."""

from __future__ import annotations

from typing import Any

CONTINUOUS = ("uniform", "normal", "truncated_normal", "triangular")
FAMILIES = CONTINUOUS + ("constant", "orthogonal", "sparse", "eye", "dirac", "delta_orthogonal")


class Distribution:
    """The law of the values an initializer produces for one shape.

    ``family`` names the law; its parameters are attributes (Python floats when the
    hyperparameters are concrete):

    ==================== ==========================================================
    family               parameters
    ==================== ==========================================================
    ``uniform``          ``low``, ``high``
    ``normal``           ``mean``, ``std``
    ``truncated_normal`` ``mean``, ``std`` (of the normal before truncation),
                         ``low``, ``high`` (absolute bounds)
    ``triangular``       ``low``, ``high`` (the density rises linearly from ``low``
                         to the midpoint and falls to ``high``)
    ``constant``         ``value``
    ``orthogonal``       ``gain`` (a Haar-random (semi-)orthogonal matrix times gain)
    ``delta_orthogonal`` ``gain`` (an orthogonal matrix at the kernel's centre)
    ``sparse``           ``sparsity``, ``std``, ``zeros_per_input``
    ``eye``, ``dirac``   none (``dirac`` has ``groups``); deterministic
    ==================== ==========================================================

    >>> import jaxinit
    >>> jaxinit.kaiming_uniform(nonlinearity="relu").distribution((600, 10))
    Distribution(family='uniform', low=-0.1, high=0.1)
    """

    __slots__ = ("family", "_params")

    def __init__(self, family: str, **params: Any):
        if family not in FAMILIES:
            raise ValueError(f"`family` must be one of {', '.join(map(repr, FAMILIES))}, got {family!r}")
        object.__setattr__(self, "family", family)
        object.__setattr__(self, "_params", dict(params))

    def __getattr__(self, name: str) -> Any:
        params = object.__getattribute__(self, "_params")
        if name in params:
            return params[name]
        raise AttributeError(f"a {self.family!r} distribution has no parameter {name!r}; "
                             f"it has {sorted(params) or 'none'}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Distribution is immutable")

    @property
    def params(self) -> dict[str, Any]:
        """The parameters as a new dict."""
        return dict(self._params)

    def __repr__(self) -> str:
        params = "".join(f", {k}={v!r}" for k, v in self._params.items())
        return f"Distribution(family={self.family!r}{params})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Distribution):
            return NotImplemented
        return self.family == other.family and self._params == other._params

    def __hash__(self) -> int:
        return hash((self.family, tuple(sorted(self._params.items()))))

    def __reduce__(self):
        return _rebuild, (self.family, self._params)

    def scipy(self):
        """The frozen ``scipy.stats`` law of one element.

        Defined for ``uniform``, ``normal``, ``truncated_normal`` and ``triangular``
        (``scipy.stats.triang`` with ``c=0.5``); for ``sparse`` it is
        the law of the non-zero entries. Other families have no elementwise continuous law
        and raise ``TypeError``.

        >>> import jaxinit
        >>> float(jaxinit.normal(std=2.0).distribution((3,)).scipy().std())
        2.0
        """
        from scipy import stats

        p = self._params
        if self.family == "uniform":
            return stats.uniform(loc=p["low"], scale=p["high"] - p["low"])
        if self.family in ("normal", "sparse"):
            return stats.norm(loc=p.get("mean", 0.0), scale=p["std"])
        if self.family == "truncated_normal":
            mean, std = p["mean"], p["std"]
            return stats.truncnorm((p["low"] - mean) / std, (p["high"] - mean) / std, loc=mean, scale=std)
        if self.family == "triangular":
            return stats.triang(0.5, loc=p["low"], scale=p["high"] - p["low"])
        raise TypeError(f"the {self.family!r} family has no elementwise continuous law in scipy.stats")


def _rebuild(family: str, params: dict) -> Distribution:
    return Distribution(family, **params)
