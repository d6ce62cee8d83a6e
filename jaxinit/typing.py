"""Types for code that builds, passes and calls initializers.

>>> import jaxinit
>>> from jaxinit.typing import Initializer
>>> init: Initializer = jaxinit.xavier_uniform()
>>> isinstance(init, Initializer)
True

:class:`Initializer` is a structural :class:`typing.Protocol`, the same call as
``jax.nn.initializers.Initializer``: any ``init(key, shape, dtype=...)`` callable satisfies it,
whether it comes from jaxinit, ``jax.nn.initializers`` or user code, so a function typed
against it accepts all three. The ``Literal`` types name the strings the factories accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol, TypeAlias, runtime_checkable

import jax
import numpy as np

__all__ = [
    "Axes",
    "DistributionName",
    "DTypeLike",
    "FanMode",
    "Initializer",
    "KeyArray",
    "Layout",
    "Nonlinearity",
    "RealLike",
    "Shape",
    "ShapeLike",
    "ShardingLike",
]

#: A normalised shape: a tuple of non-negative ints.
Shape: TypeAlias = tuple[int, ...]
#: What a shape argument may be: an int or a sequence of ints.
ShapeLike: TypeAlias = int | Sequence[int]
#: A dtype argument: ``jnp.float32``, ``"bfloat16"``, ``np.dtype(...)``; ``None`` for the default.
DTypeLike: TypeAlias = str | type[Any] | np.dtype[Any] | None
#: A PRNG key: a typed key (``jax.random.key``) or raw ``uint32`` key data (``PRNGKey``).
KeyArray: TypeAlias = jax.Array
#: An ``out_sharding`` argument: a ``jax.sharding.Sharding`` or a ``PartitionSpec`` (inside
#: ``jax.set_mesh``), or ``None`` for an unsharded result.
ShardingLike: TypeAlias = jax.sharding.Sharding | jax.sharding.PartitionSpec | None
#: An axis or a sequence of axes (``in_axis``, ``out_axis``, ``batch_axis``).
Axes: TypeAlias = int | Sequence[int]
#: A real hyperparameter: a Python number, a NumPy or JAX scalar, or a tracer under ``jax.vmap``.
RealLike: TypeAlias = float | int | np.floating[Any] | np.integer[Any] | jax.Array

#: The weight layouts the fan-based factories accept (``None``: JAX's, inputs on -2, outputs on -1).
Layout: TypeAlias = Literal["flax", "jax", "torch"]
#: The fans ``variance_scaling`` may scale by (``kaiming_*`` take ``"fan_in"`` / ``"fan_out"``).
FanMode: TypeAlias = Literal["fan_in", "fan_out", "fan_avg", "fan_geo_avg"]
#: The nonlinearities :func:`jaxinit.calculate_gain` knows (``torch.nn.functional`` names).
Nonlinearity: TypeAlias = Literal[
    "linear",
    "identity",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
]
#: The laws ``variance_scaling`` draws from.
DistributionName: TypeAlias = Literal["normal", "truncated_normal", "uniform"]


@runtime_checkable
class Initializer(Protocol):
    """``init(key, shape, dtype=None) -> jax.Array``: the call of ``jax.nn.initializers``.

    jaxinit's initializers also take ``out_sharding`` (a keyword here, so that any
    ``jax.nn.initializers`` initializer satisfies this protocol).
    """

    def __call__(self, key: KeyArray, shape: ShapeLike, dtype: DTypeLike = ..., /) -> jax.Array: ...
