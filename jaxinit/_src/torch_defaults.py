"""PyTorch's default layer initialisation, as kernel/bias initializer pairs for Flax layers.

PyTorch draws a layer's bias from U(±1/sqrt(fan_in)), with the fan_in of the layer's *weight*;
a Flax ``bias_init`` only sees the bias shape, so these helpers take what the fan needs
(``in_features``, ``kernel_size``, ...) and hand back matching pairs.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Sequence

from jaxinit._src import checks
from jaxinit._src.core import Initializer
from jaxinit._src.initializers import kaiming_uniform, normal, ones, uniform, zeros

SQRT5 = math.sqrt(5.0)


class LayerInit(NamedTuple):
    """``kernel_init`` and ``bias_init`` of one layer; ``**init.kwargs()`` passes both to Flax."""

    kernel_init: Initializer
    bias_init: Initializer

    def kwargs(self) -> dict[str, Initializer]:
        return self._asdict()


class NormInit(NamedTuple):
    """``scale_init`` and ``bias_init`` of a normalisation layer."""

    scale_init: Initializer
    bias_init: Initializer

    def kwargs(self) -> dict[str, Initializer]:
        return self._asdict()


class RecurrentInit(NamedTuple):
    """The three initializers of a Flax recurrent cell (LSTM, GRU, simple RNN)."""

    kernel_init: Initializer
    recurrent_kernel_init: Initializer
    bias_init: Initializer

    def kwargs(self) -> dict[str, Initializer]:
        return self._asdict()


def _symmetric(bound: float) -> Initializer:
    return uniform(-bound, bound)


def _kernel_fan(kernel_size: Any, channels: int) -> int:
    size = (kernel_size,) if isinstance(kernel_size, int) else tuple(kernel_size)
    return channels * math.prod(checks.integer("kernel_size", k, minimum=1) for k in size)


def dense(in_features: int) -> LayerInit:
    r"""``torch.nn.Linear``'s defaults for a Flax ``Dense`` / ``nnx.Linear`` with ``in_features``
    inputs: weight and bias both :math:`\mathcal{U}(\pm 1/\sqrt{\text{in\_features}})`.

    The weight is ``kaiming_uniform(a=math.sqrt(5))``, exactly as torch writes it: with gain
    :math:`\sqrt{2/(1+5)}` its bound :math:`\text{gain}\sqrt{3/\text{fan\_in}}` is
    :math:`1/\sqrt{\text{fan\_in}}`.

    >>> import jaxinit
    >>> init = jaxinit.torch_defaults.dense(64)
    >>> init.bias_init
    uniform(a=-0.125, b=0.125)
    """
    fan_in = checks.integer("in_features", in_features, minimum=1)
    return LayerInit(kaiming_uniform(a=SQRT5), _symmetric(1.0 / math.sqrt(fan_in)))


def conv(in_features: int, kernel_size: int | Sequence[int], feature_group_count: int = 1) -> LayerInit:
    """``torch.nn.Conv{1,2,3}d``'s defaults for a Flax ``Conv`` (kernel ``(*spatial, in/groups, out)``):
    weight and bias U(±1/sqrt(fan_in)) with fan_in = in_features / groups * prod(kernel_size).

    >>> import jaxinit
    >>> jaxinit.torch_defaults.conv(16, (3, 3), feature_group_count=4).bias_init
    uniform(a=-0.16666666666666666, b=0.16666666666666666)
    """
    groups = checks.integer("feature_group_count", feature_group_count, minimum=1)
    channels = checks.integer("in_features", in_features, minimum=1)
    if channels % groups:
        raise ValueError(f"`feature_group_count` must divide `in_features`, got {groups} and {channels}")
    fan_in = _kernel_fan(kernel_size, channels // groups)
    return LayerInit(kaiming_uniform(a=SQRT5), _symmetric(1.0 / math.sqrt(fan_in)))


def conv_transpose(out_features: int, kernel_size: int | Sequence[int], groups: int = 1) -> LayerInit:
    """``torch.nn.ConvTranspose{1,2,3}d``'s defaults for a Flax ``ConvTranspose``.

    torch stores that weight as ``(in, out/groups, *spatial)`` and so takes its fan_in from the
    *output* channels: both laws are U(±1/sqrt(out_features / groups * prod(kernel_size))).
    For a Flax kernel ``(*spatial, in, out)`` that is ``kaiming_uniform(a=sqrt(5), mode="fan_out")``.

    >>> import jaxinit
    >>> jaxinit.torch_defaults.conv_transpose(8, 2).bias_init
    uniform(a=-0.25, b=0.25)
    """
    groups = checks.integer("groups", groups, minimum=1)
    channels = checks.integer("out_features", out_features, minimum=1)
    if channels % groups:
        raise ValueError(f"`groups` must divide `out_features`, got {groups} and {channels}")
    bound = 1.0 / math.sqrt(_kernel_fan(kernel_size, channels // groups))
    kernel = kaiming_uniform(a=SQRT5, mode="fan_out") if groups == 1 else _symmetric(bound)
    return LayerInit(kernel, _symmetric(bound))


def embed() -> Initializer:
    """``torch.nn.Embedding``'s default: N(0, 1) (Flax's ``Embed`` default is variance scaling)."""
    return normal(0.0, 1.0)


def norm() -> NormInit:
    """``torch.nn.LayerNorm`` / ``BatchNorm*d`` / ``GroupNorm`` defaults: scale 1, bias 0."""
    return NormInit(ones(), zeros())


def recurrent(hidden_size: int) -> RecurrentInit:
    """``torch.nn.RNN`` / ``LSTM`` / ``GRU`` (and their cells) defaults: every weight and bias
    U(±1/sqrt(hidden_size)).

    >>> import jaxinit
    >>> jaxinit.torch_defaults.recurrent(100).bias_init
    uniform(a=-0.1, b=0.1)
    """
    bound = 1.0 / math.sqrt(checks.integer("hidden_size", hidden_size, minimum=1))
    return RecurrentInit(_symmetric(bound), _symmetric(bound), _symmetric(bound))
