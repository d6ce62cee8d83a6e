"""The sampler of each law family (:mod:`.elementwise`, :mod:`.structured`), found by the
law's class.

The engine asks :func:`of` for a law's sampler and hands that (static, hashable) sampler to its
kernels. Samplers read the law classes; the laws know nothing of them.
"""

from __future__ import annotations

from typing import Any

from jaxinit._src import laws
from jaxinit._src.samplers.base import Sampler
from jaxinit._src.samplers.elementwise import (
    NormalSampler,
    TriangularSampler,
    TruncatedNormalSampler,
    UniformSampler,
)
from jaxinit._src.samplers.structured import (
    ConstantSampler,
    DeltaOrthogonalSampler,
    DiracSampler,
    EyeSampler,
    OrthogonalSampler,
    SparseSampler,
)

__all__ = ["BY_FAMILY", "of"]

#: The sampler of each law family.
BY_FAMILY: dict[type[laws.Distribution], Sampler[Any]] = {
    laws.Uniform: UniformSampler(),
    laws.Normal: NormalSampler(),
    laws.TruncatedNormal: TruncatedNormalSampler(),
    laws.Triangular: TriangularSampler(),
    laws.Constant: ConstantSampler(),
    laws.Eye: EyeSampler(),
    laws.Dirac: DiracSampler(),
    laws.Orthogonal: OrthogonalSampler(),
    laws.DeltaOrthogonal: DeltaOrthogonalSampler(),
    laws.Sparse: SparseSampler(),
}


def of(law: laws.Distribution) -> Sampler[Any]:
    """The sampler of ``law``'s family (a subclass of a family is sampled as that family)."""
    for family in type(law).__mro__:
        if family in BY_FAMILY:
            return BY_FAMILY[family]
    raise TypeError(
        f"jaxinit has no sampler for {type(law).__name__}; a law must be one of "
        f"the jaxinit.distributions families"
    )
