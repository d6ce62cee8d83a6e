"""PyTorch's default layer initialisation for Flax layers: see :mod:`jaxinit._src.torch_defaults`.

>>> import flax.linen as nn, jaxinit
>>> layer = nn.Dense(10, **jaxinit.torch_defaults.dense(in_features=784).kwargs())
"""

from jaxinit._src.torch_defaults import (
    LayerInit, NormInit, RecurrentInit, conv, conv_transpose, dense, embed, norm, recurrent,
)

__all__ = ["LayerInit", "NormInit", "RecurrentInit", "conv", "conv_transpose", "dense", "embed",
           "norm", "recurrent"]
