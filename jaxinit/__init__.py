"""jaxinit: every neural-network weight initializer of torch.nn.init, as pure, jit-compiled JAX factories.

>>> import jax, jaxinit
>>> init = jaxinit.kaiming_uniform(nonlinearity="relu")
>>> init(jax.random.key(0), (784, 256)).shape
(784, 256)
"""

from jaxinit import distributions, inplace, jax_nn, recipes, torch_defaults, typing
from jaxinit._src.adapters import to_haiku
from jaxinit._src.factories import (
    constant,
    delta_orthogonal,
    dirac,
    eye,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    normal,
    ones,
    orthogonal,
    sparse,
    triangular,
    trunc_normal,
    uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
    zeros,
)
from jaxinit._src.fans import calculate_correct_fan, calculate_fan_in_and_fan_out, calculate_gain
from jaxinit._src.generator import Generator
from jaxinit._src.initializer import Initializer
from jaxinit._src.laws import Distribution
from jaxinit._src.registry import get
from jaxinit._src.tree import path_key, reinit

# Names only JAX and Keras use mean what they mean there: jax's laws (truncated normals for
# *_normal), with jax's signatures. torch's xavier_* / kaiming_* keep torch's laws.
from jaxinit.jax_nn import glorot_normal, glorot_uniform, he_normal, he_uniform  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Distribution",
    "Generator",
    "Initializer",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "distributions",
    "inplace",
    "jax_nn",
    "path_key",
    "recipes",
    "reinit",
    "to_haiku",
    "torch_defaults",
    "typing",
    "calculate_correct_fan",
    "calculate_fan_in_and_fan_out",
    "calculate_gain",
    "constant",
    "delta_orthogonal",
    "dirac",
    "eye",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "orthogonal",
    "sparse",
    "triangular",
    "trunc_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]
