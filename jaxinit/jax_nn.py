"""Every name of ``jax.nn.initializers``, with jax's signatures and laws, as jaxinit initializers.

Moving a Flax codebase over is one import line::

    from jaxinit import jax_nn as initializers   # was: from jax.nn import initializers

The laws are jax's (truncated normals where jax truncates, ``normal(stddev=1e-2)``,
``uniform(scale)`` = U(0, scale), jax's fans); the values are not jax.random's bits.

>>> import jax
>>> from jaxinit import jax_nn as initializers
>>> initializers.lecun_normal()(jax.random.key(0), (3, 4)).shape
(3, 4)
"""

from jaxinit._src.jax_nn import (
    Initializer,
    constant,
    delta_orthogonal,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    normal,
    ones,
    orthogonal,
    truncated_normal,
    uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
    zeros,
)

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
