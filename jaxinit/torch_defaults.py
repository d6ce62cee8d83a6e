"""PyTorch's default initialisation for Flax and Equinox models.

Per layer: initializers for a torch layer's hyperparameters, in Flax's parameter layout
(:mod:`jaxinit._src.torch_layers.helpers`). Per model: :func:`reset_parameters` re-draws every
parameter of an NNX, linen or Equinox model as the equivalent torch model would be drawn.

>>> import flax.linen as nn, jaxinit
>>> layer = nn.Dense(10, **jaxinit.torch_defaults.dense(in_features=784).kwargs())
"""

from jaxinit._src.composite import Concat, ZeroRow, laws
from jaxinit._src.torch_layers.helpers import (
    AttentionInit,
    DecoderLayerInit,
    EncoderLayerInit,
    LayerInit,
    NormInit,
    RecurrentInit,
    ScaleInit,
    bilinear,
    conv,
    conv_transpose,
    dense,
    embed,
    multihead_attention,
    norm,
    prelu,
    recurrent,
    rms_norm,
    transformer_decoder_layer,
    transformer_encoder_layer,
)
from jaxinit._src.torch_layers.models import TorchParam, initializers, register_layer, reset_parameters

__all__ = [
    "AttentionInit",
    "Concat",
    "DecoderLayerInit",
    "EncoderLayerInit",
    "LayerInit",
    "NormInit",
    "RecurrentInit",
    "ScaleInit",
    "TorchParam",
    "ZeroRow",
    "bilinear",
    "conv",
    "conv_transpose",
    "dense",
    "embed",
    "initializers",
    "laws",
    "multihead_attention",
    "norm",
    "prelu",
    "recurrent",
    "register_layer",
    "reset_parameters",
    "rms_norm",
    "transformer_decoder_layer",
    "transformer_encoder_layer",
]
