"""The law families that ``init.distribution(shape)`` returns: typed, frozen values.

>>> import jaxinit
>>> from jaxinit.distributions import TruncatedNormal
>>> law = jaxinit.trunc_normal(std=0.02, a=-0.04, b=0.04).distribution((768, 768))
>>> law
TruncatedNormal(mean=0.0, std=0.02, low=-0.04, high=0.04)
>>> isinstance(law, TruncatedNormal), law.family, round(float(law.scipy().std()), 5)
(True, 'truncated_normal', 0.01759)
"""

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

__all__ = [
    "Constant",
    "DeltaOrthogonal",
    "Dirac",
    "Distribution",
    "Eye",
    "Normal",
    "Orthogonal",
    "Sparse",
    "Triangular",
    "TruncatedNormal",
    "Uniform",
]
