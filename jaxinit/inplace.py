"""The trailing-underscore API of ``torch.nn.init``, on top of the jaxinit factories.

>>> import numpy as np
>>> from jaxinit import inplace as init
>>> w = np.empty((3, 5), np.float32)
>>> _ = init.manual_seed(0)
>>> init.xavier_uniform_(w, gain=init.calculate_gain("relu")) is w
True

The layout follows the array: torch's ``(out, in, *spatial)`` for NumPy and JAX arrays (this is
torch's API: torch code gets torch's laws), Flax's ``(*spatial, in, out)`` for an
``nnx.Variable``; an explicit ``layout``, ``in_axis`` or ``out_axis`` wins.
"""

from jaxinit._src.fans import calculate_gain
from jaxinit._src.generator import Generator, default_generator, manual_seed
from jaxinit._src.inplace import (
    constant_,
    dirac_,
    eye_,
    kaiming_normal_,
    kaiming_uniform_,
    lecun_normal_,
    lecun_uniform_,
    normal_,
    ones_,
    orthogonal_,
    sparse_,
    trunc_normal_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)

__all__ = [
    "Generator",
    "calculate_gain",
    "constant_",
    "default_generator",
    "dirac_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "lecun_normal_",
    "lecun_uniform_",
    "manual_seed",
    "normal_",
    "ones_",
    "orthogonal_",
    "sparse_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]
